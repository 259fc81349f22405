// TransportBench's server-side request rate: the same h2load command (10 connections × 10
// streams) against our server and against nghttpd (nghttp2's own C server) in one run.
// Workloads: a 1 KiB GET, and a small unary RPC (a 64-byte framed request POSTed, a 64-byte
// framed reply with trailers) — against nghttpd the same POST fetches a 69-byte file. Each
// server runs with 1 and 2 event-loop / worker threads; ratios compare each server's best,
// so neither is held to a thread count that suits the other. Every figure is the best of
// three h2load runs.

import Foundation
import Transport
import Wire

extension TransportBench {
    static func h2load(_ bench: BenchServer, options: Options, into report: inout TransportBenchReport) async throws {
        let h2load = "/usr/bin/h2load", nghttpd = "/usr/sbin/nghttpd"
        guard FileManager.default.isExecutableFile(atPath: h2load) else {
            report.skipped.append("h2load: not installed (apt nghttp2-client)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-h2load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let body = dir.appendingPathComponent("request.bin")
        try Data(Framer.prefix(length: 64) + [UInt8](repeating: 1, count: 64)).write(to: body)
        try Data(repeating: 0x61, count: 1024).write(to: dir.appendingPathComponent("1k"))
        try Data(repeating: 0x62, count: 69).write(to: dir.appendingPathComponent("echo"))
        let common = ["-n", String(options.h2loadRequests), "-c", "10", "-m", "10"]
        let post = ["-d", body.path, "-H", "content-type: \(WireProtocol.contentType)"]

        // Each measurement is the best of three h2load runs (a run lasts well under a second, so
        // one run swings ±10 % with whatever else the machine does); the same for every server.
        func run(_ server: String, _ workload: String, threads: Int, _ args: [String]) throws {
            var best: H2LoadSummary?
            for _ in 0..<3 {
                let (_, out, err) = try Tool.run(h2load, args)
                guard let s = H2LoadSummary(out) else {
                    report.skipped.append("h2load \(workload) against \(server): unparseable output: \(err.prefix(200))")
                    return
                }
                if best == nil || s.requestsPerSecond > best!.requestsPerSecond { best = s }
            }
            guard let s = best else { return }
            report.getLoad.append(.init(server: server, workload: workload, threads: threads, requests: s.total,
                                        succeeded: s.succeeded, requestsPerSecond: s.requestsPerSecond))
        }

        for threads in [1, 2] {
            let server = threads == 1 ? bench : try await BenchServer.start(pki: nil, threads: threads)
            let base = "http://127.0.0.1:\(server.server.cleartextPort!)"
            try run("tributary", "get_1k", threads: threads, common + ["\(base)/bench/1k"])
            try run("tributary", "unary_rpc", threads: threads, common + post + ["\(base)/bench.v1/Echo"])
            try run("tributary", "unary_rpc_on_loop", threads: threads, common + post + ["\(base)/bench.v1/EchoOnLoop"])
            try run("tributary", "unary_rpc_immediate", threads: threads, common + post + ["\(base)/bench.v1/EchoImmediate"])
            if threads != 1 { await server.server.shutdown(grace: 1) }
        }
        guard FileManager.default.isExecutableFile(atPath: nghttpd) else {
            report.skipped.append("nghttpd: not installed (apt nghttp2-server)")
            return
        }
        for workers in [1, 2] {
            guard let port = try await startNghttpd(nghttpd, h2load: h2load, dir: dir, workers: workers) else {
                report.skipped.append("nghttpd -n \(workers): could not start on a free port")
                continue
            }
            defer {
                kill(port.process.processIdentifier, SIGKILL) // nghttpd ignores SIGTERM
                port.process.waitUntilExit()
            }
            let base = "http://127.0.0.1:\(port.number)"
            try run("nghttpd", "get_1k", threads: workers, common + ["\(base)/1k"])
            try run("nghttpd", "unary_rpc", threads: workers, common + post + ["\(base)/echo"])
        }
    }

    /// nghttpd does not report an ephemeral port: tries a few random high ports until one answers.
    private static func startNghttpd(_ nghttpd: String, h2load: String, dir: URL,
                                     workers: Int) async throws -> (process: Process, number: Int)? {
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nghttpd)
            process.arguments = ["--no-tls", "-n", String(workers), "-d", dir.path, String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<50 where process.isRunning {
                try await Task.sleep(nanoseconds: 20_000_000)
                let (_, out, _) = try Tool.run(h2load, ["-n", "1", "-c", "1", "http://127.0.0.1:\(port)/1k"])
                if H2LoadSummary(out)?.succeeded == 1 { return (process, port) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return nil
    }
}
