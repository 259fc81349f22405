// TransportBench: the `bench transport` measurements as a library function (the CLI calls
// it): loopback unary RPC rate and p50/p99 latency at 1, 16 and 64 concurrent calls;
// streaming throughput for 64 KiB and 1 MiB messages both ways over h2c and TLS; and the
// server-side request rate of the same h2load runs against us and `nghttpd --no-tls`
// (TransportBench+H2Load.swift), reported as ratios.
// Workloads live in TransportBench+Workloads.swift.

import Foundation
import TLS
import Transport

/// Everything one bench run measured (JSON-encodable for the CLI).
package struct TransportBenchReport: Codable, Sendable {
    package struct Unary: Codable, Sendable {
        package var transport: String
        package var concurrency: Int
        package var calls: Int
        package var callsPerSecond: Double
        package var p50Microseconds: Double
        package var p99Microseconds: Double
    }
    package struct Streaming: Codable, Sendable {
        package var transport: String
        /// "upload" (client → server) or "download".
        package var direction: String
        package var messageBytes: Int
        package var totalBytes: Int
        package var megabytesPerSecond: Double
    }
    package struct GETLoad: Codable, Sendable {
        /// "tributary" or "nghttpd".
        package var server: String
        /// "get_1k", "unary_rpc" (async handler on the concurrency pool), "unary_rpc_on_loop"
        /// (async handler, a task on the event loop) or "unary_rpc_immediate" (an immediate unary
        /// route: the handler called in place on the loop).
        package var workload: String
        /// Our event-loop threads, or nghttpd's `-n` workers.
        package var threads: Int
        package var requests: Int
        package var succeeded: Int
        package var requestsPerSecond: Double
    }
    package var unary: [Unary] = []
    package var streaming: [Streaming] = []
    /// The same h2load runs (`-c 10 -m 10`) against our server and nghttpd, per workload and
    /// thread count (TransportBench+H2Load.swift).
    package var getLoad: [GETLoad] = []
    /// Ratios to the nghttpd ceiling, e.g. `get_rps_vs_nghttpd`.
    package var ratios: [String: Double] = [:]
    /// Parts that could not run (missing tools…), with the reason.
    package var skipped: [String] = []
}

/// The transport benchmark.
package enum TransportBench {
    /// Knobs; defaults finish in well under a minute on 2 cores.
    package struct Options: Sendable {
        /// Seconds per unary concurrency level.
        package var unarySeconds: Double = 2
        package var concurrencies: [Int] = [1, 16, 64]
        /// Bytes per streaming measurement (each size × direction × transport).
        package var streamBytes: Int = 256 << 20
        package var messageSizes: [Int] = [64 << 10, 1 << 20]
        package var includeTLS = true
        /// Run h2load against our server and nghttpd (TransportBench+H2Load.swift).
        package var includeH2Load = true
        package var h2loadRequests = 100_000
        /// Called with a line before each measurement (e.g. print to stderr); nil: silent.
        package var progress: (@Sendable (String) -> Void)?
        package init() {}
    }

    /// Runs every measurement; never throws for a missing outside tool (it is listed in `skipped`).
    package static func run(_ options: Options = Options()) async throws -> TransportBenchReport {
        var report = TransportBenchReport()
        let log = options.progress ?? { _ in }
        let pki = options.includeTLS ? try? BenchPKI.make() : nil
        if options.includeTLS && pki == nil { report.skipped.append("tls: could not make certificates with openssl") }
        let bench = try await BenchServer.start(pki: pki)
        do {
            try await measure(bench, pki: pki, options: options, log: log, into: &report)
        } catch {
            await bench.server.shutdown(grace: 1)
            throw error
        }
        computeRatios(&report)
        await bench.server.shutdown(grace: 1)
        return report
    }

    /// Runs only the bench server (routes `/bench.v1/Echo`, `…/EchoOnLoop`, `…/EchoImmediate`, `/bench.v1/Upload`,
    /// `/bench.v1/Download`, `GET /bench/1k`) on an ephemeral h2c port for `seconds`, so outside
    /// tools (h2load, perf) can drive and profile it; `ready` gets the port.
    package static func serve(seconds: Double, threads: Int = 1, ready: @Sendable (Int) -> Void) async throws {
        let bench = try await BenchServer.start(pki: nil, threads: threads)
        ready(bench.server.cleartextPort!)
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        await bench.server.shutdown(grace: 1)
    }

    private static func measure(_ bench: BenchServer, pki: BenchPKI?, options: Options, log: (String) -> Void,
                                into report: inout TransportBenchReport) async throws {

        if options.includeH2Load && ProcessInfo.processInfo.environment["TRIBUTARY_H2LOAD_FIRST"] != nil {
            log("h2load"); try await h2load(bench, options: options, into: &report)
        }
        var transports: [(String, TransportClient)] = [("h2c", bench.h2cClient())]
        if let pki, let client = try? bench.tlsClient(pki: pki) { transports.append(("tls", client)) }

        for (name, client) in transports {
            for c in options.concurrencies {
                log("unary \(name) c=\(c)")
                report.unary.append(try await unary(client, transport: name, concurrency: c, seconds: options.unarySeconds))
            }
            for size in options.messageSizes {
                for upload in [true, false] {
                    log("stream \(name) \(size) upload=\(upload)")
                    report.streaming.append(try await stream(client, transport: name, upload: upload,
                                                             messageBytes: size, totalBytes: options.streamBytes))
                }
            }
            await client.close()
        }
        log("h2load")
        if options.includeH2Load { try await h2load(bench, options: options, into: &report) }
    }

    static func computeRatios(_ report: inout TransportBenchReport) {
        // Each server at its best thread count for the workload.
        func best(_ server: String, _ workload: String) -> Double? {
            report.getLoad.filter { $0.server == server && $0.workload == workload && $0.succeeded == $0.requests }
                .map(\.requestsPerSecond).max()
        }
        for (ours, theirs) in [("get_1k", "get_1k"), ("unary_rpc", "unary_rpc"), ("unary_rpc_on_loop", "unary_rpc"),
                                 ("unary_rpc_immediate", "unary_rpc")] {
            if let a = best("tributary", ours), let b = best("nghttpd", theirs), b > 0 {
                report.ratios["\(ours)_rps_vs_nghttpd"] = a / b
            }
        }
        for s in report.streaming where s.transport == "tls" {
            if let plain = report.streaming.first(where: {
                $0.transport == "h2c" && $0.direction == s.direction && $0.messageBytes == s.messageBytes
            }), plain.megabytesPerSecond > 0 {
                report.ratios["tls_vs_h2c_\(s.direction)_\(s.messageBytes >> 10)k"] = s.megabytesPerSecond / plain.megabytesPerSecond
            }
        }
    }

    /// The p-th percentile (0...1) of sorted values (nearest rank).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// Certificates for the TLS legs, made with the openssl CLI in a temporary directory.
struct BenchPKI {
    let ca: String, cert: String, key: String

    static func make() throws -> BenchPKI {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ext = "\(dir)/ext"
        try "subjectAltName=DNS:localhost,IP:127.0.0.1".write(toFile: ext, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
             "-subj", "/CN=bench CA", "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr"],
            ["x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
             "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", "\(dir)/server.pem"],
        ]
        for args in steps {
            let (rc, _, err) = try Tool.run("/usr/bin/openssl", args)
            if rc != 0 { throw TransportError.invalidConfiguration("openssl \(args[0]) failed: \(err)") }
        }
        return BenchPKI(ca: "\(dir)/ca.pem", cert: "\(dir)/server.pem", key: "\(dir)/server.key")
    }
}
