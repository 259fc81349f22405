// Shared helpers for end-to-end tests with long-running child processes: a free loopback
// port, spawning `tributary` in the background, reading `tributary status --json`, and
// polling it until a condition holds.

import Foundation
import XCTest

enum Processes {
    /// A loopback TCP port that was free a moment ago.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    /// Starts `tributary args…` in the background (stdout to `stdout` or discarded).
    static func spawn(_ args: [String], env: [String: String] = [:], stdout: FileHandle? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.standardOutput = stdout ?? FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// The learner's `/status` as JSON, or nil when it does not answer.
    static func status(_ port: Int) -> [String: Any]? {
        guard let r = try? Binary.run(["status", "--learner", "http://127.0.0.1:\(port)", "--json"]), r.status == 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    }

    /// Polls until `cond` holds for the status (or fails after `timeout` seconds).
    static func waitFor(_ port: Int, timeout: Double = 90, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line,
                        _ cond: ([String: Any]) -> Bool) throws -> [String: Any] {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if let s = status(port), cond(s) { return s }
            usleep(200_000)
        }
        XCTFail("timed out waiting for \(what)", file: file, line: line)
        throw CocoaError(.userCancelled)
    }

    /// The prompt indices of every batch file the learner dumped in `dir` (read from each
    /// safetensors header's `__metadata__.prompt_indices`, plus `filtered_prompt_indices`: groups
    /// dynamic sampling left out of a step count as trained by it), in step order.
    static func dumpedPromptIndices(_ dir: URL) throws -> [Int] {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("batch-") }.sorted()
        return try names.flatMap { name -> [Int] in
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
            let meta = header["__metadata__"] as! [String: String]
            // Groups dynamic sampling filtered out of a step count as trained by it.
            let filtered = try meta["filtered_prompt_indices"].map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Int] } ?? []
            return try JSONSerialization.jsonObject(with: Data(meta["prompt_indices"]!.utf8)) as! [Int] + filtered
        }
    }
}
