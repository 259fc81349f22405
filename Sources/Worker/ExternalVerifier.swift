// Reward plug-ins: an external verifier program that the worker keeps running and talks to
// in JSON lines on stdin/stdout, so users can score completions with their own code in any
// language. Each call has a timeout; calls are multiplexed by id with bounded concurrency.
// A verifier that hangs (a call times out), crashes or prints garbage is killed and restarted
// on the next call; the affected calls fail with a typed reason — the worker never hangs.
//
// Request line:  {"id": 7, "prompt": "123", "answer": "321", "completion": "321"}
// Response line: {"id": 7, "reward": 1.0, "correct": true}

import Foundation
import Tasks

/// Why an external verifier call failed.
public enum ExternalVerifierError: Error, Equatable, CustomStringConvertible, Sendable {
    case launchFailed(String)
    case timeout(seconds: Double)
    case exited(status: Int32)
    case badResponse(String)

    public var description: String {
        switch self {
        case let .launchFailed(s): return "external verifier could not start: \(s)"
        case let .timeout(s): return "external verifier did not answer within \(s) s (restarted)"
        case let .exited(st): return "external verifier exited with status \(st) (restarted)"
        case let .badResponse(s): return "external verifier sent a malformed response: \(s)"
        }
    }
}

/// A persistent verifier process with per-call timeouts and bounded concurrency.
public actor ExternalVerifier {
    public let command: [String]
    public let timeout: Double
    public let maxConcurrent: Int
    /// Number of times the process was (re)started.
    public private(set) var launches = 0

    private var process: Process?
    private var stdin: FileHandle?
    private var generation = 0
    private var nextID = 0
    private var pending: [Int: CheckedContinuation<Verdict, Error>] = [:]
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// `command[0]` is the program (looked up in PATH when it has no slash), the rest its arguments.
    public init(command: [String], timeout: Double = 5, maxConcurrent: Int = 4) {
        self.command = command
        self.timeout = timeout
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Scores one completion. Throws `ExternalVerifierError` on timeout, crash or garbage.
    public func verify(prompt: String, answer: String, completion: String) async throws -> Verdict {
        while inFlight >= maxConcurrent { await withCheckedContinuation { waiters.append($0) } }
        inFlight += 1
        defer {
            inFlight -= 1
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        try startIfNeeded()
        nextID += 1
        let id = nextID, gen = generation
        let line: [String: Any] = ["id": id, "prompt": prompt, "answer": answer, "completion": completion]
        var data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        data.append(0x0A)
        let timeout = self.timeout
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
            await self?.expire(id: id, generation: gen)
        }
        return try await withCheckedThrowingContinuation { cont in
            pending[id] = cont
            do { try stdin?.write(contentsOf: data) } catch {
                fail(generation: gen, with: .exited(status: -1))
            }
        }
    }

    /// Stops the process; pending calls fail.
    public func shutdown() {
        fail(generation: generation, with: .exited(status: 0))
    }

    private func startIfNeeded() throws {
        if let p = process, p.isRunning { return }
        let p = Process()
        if command.first?.contains("/") == true {
            p.executableURL = URL(fileURLWithPath: command[0])
            p.arguments = Array(command.dropFirst())
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = command
        }
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = FileHandle.standardError
        do { try p.run() } catch { throw ExternalVerifierError.launchFailed("\(command.joined(separator: " ")): \(error)") }
        generation += 1
        launches += 1
        process = p
        stdin = inPipe.fileHandleForWriting
        let gen = generation
        let reader = outPipe.fileHandleForReading
        // One reader thread per process: blocking line reads, results handed to the actor.
        Thread.detachNewThread { [weak self] in
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<nl]
                    buffer = Data(buffer[(nl + 1)...])
                    let copy = Data(line)
                    Task { await self?.deliver(copy, generation: gen) }
                }
            }
            p.waitUntilExit()
            let status = p.terminationStatus
            Task { await self?.fail(generation: gen, with: .exited(status: status)) }
        }
    }

    private func deliver(_ line: Data, generation gen: Int) {
        guard gen == generation else { return }
        guard let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let id = (obj["id"] as? NSNumber)?.intValue else {
            fail(generation: gen, with: .badResponse(String(decoding: line.prefix(200), as: UTF8.self)))
            return
        }
        guard let cont = pending.removeValue(forKey: id) else { return }
        // Any finite real is a reward (PROTOCOL.md §6.2.2); JSON has no NaN or infinity, but a
        // number too large for f32 becomes ∞.
        guard let reward = (obj["reward"] as? NSNumber)?.floatValue, reward.isFinite else {
            cont.resume(throwing: ExternalVerifierError.badResponse("id \(id): reward must be a finite number"))
            return
        }
        let correct = (obj["correct"] as? Bool) ?? (reward == 1)
        cont.resume(returning: Verdict(reward: reward, correct: correct))
    }

    private func expire(id: Int, generation gen: Int) {
        guard gen == generation, pending[id] != nil else { return }
        fail(generation: gen, with: .timeout(seconds: timeout))
    }

    /// Kills the current process and fails every pending call; the next call restarts it.
    private func fail(generation gen: Int, with error: ExternalVerifierError) {
        guard gen == generation else { return }
        generation += 1
        if let p = process, p.isRunning { p.terminate() }
        process = nil
        try? stdin?.close()
        stdin = nil
        let calls = pending
        pending = [:]
        for (_, c) in calls { c.resume(throwing: error) }
    }
}
