// Helpers for end-to-end tests that run the real `tributary` binary as a child process.
// The binary is the release build that `make test` produces first (override with
// TRIBUTARY_BIN); a missing binary is a test failure with a clear message, never a skip.

import Foundation
import XCTest

enum Binary {
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var path: String {
        if let p = ProcessInfo.processInfo.environment["TRIBUTARY_BIN"] { return p }
        return repoRoot.appendingPathComponent(".build/release/tributary").path
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `tributary args…` to completion.
    static func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("no tributary binary at \(path): run `swift build -c release --product tributary` (make test does)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return try runProgram(path, args, environment: ["CI": "true"])   // plain log lines, no progress bar
    }

    /// Runs any program to completion with the test's environment plus `environment`.
    static func runProgram(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func tempDir(_ test: XCTestCase) -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-e2e-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }
}
