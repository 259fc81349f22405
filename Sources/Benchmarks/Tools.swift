// Outside tools used by TransportBench (and the interop tests): running a program with
// Foundation.Process and parsing h2load's summary lines.

import Foundation
import NIOConcurrencyHelpers

enum Tool {
    /// Runs `path` with `arguments`; returns (exit status, stdout, stderr).
    static func run(_ path: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = NIOLockedValueBox(Data()), errData = NIOLockedValueBox(Data())
        let group = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                box.withLockedValue { $0 = d }
                group.leave()
            }
        }
        p.waitUntilExit()
        group.wait()
        return (p.terminationStatus, String(decoding: outData.withLockedValue { $0 }, as: UTF8.self),
                String(decoding: errData.withLockedValue { $0 }, as: UTF8.self))
    }
}

/// The summary of one h2load run.
package struct H2LoadSummary: Sendable, Equatable {
    package var total: Int
    package var succeeded: Int
    package var failed: Int
    package var requestsPerSecond: Double

    /// Parses `finished in …, N req/s, …` and `requests: N total, … N succeeded, N failed, …`; nil if absent.
    package init?(_ output: String) {
        var total: Int?, succeeded: Int?, failed = 0, rps: Double?
        for line in output.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "," })
            if line.hasPrefix("finished in"), let i = words.firstIndex(of: "req/s"), i > 0 {
                rps = Double(words[i - 1])
            }
            if line.hasPrefix("requests:") {
                for (i, w) in words.enumerated() where i > 0 {
                    let n = Int(words[i - 1])
                    switch w {
                    case "total": total = n
                    case "succeeded": succeeded = n
                    case "failed": failed = n ?? 0
                    default: break
                    }
                }
            }
        }
        guard let total, let succeeded, let rps else { return nil }
        self.total = total
        self.succeeded = succeeded
        self.failed = failed
        self.requestsPerSecond = rps
    }
}
