// `tributary loadgen`: simulated workers against a running learner, for load tests and the
// ingest benchmark. `--scenario load` (default): N lightweight workers submit well-formed
// groups as fast as they can for a bounded time while `/status` is probed every 0.25 s;
// prints one JSON line (acks, rejections by reason, groups/s, bytes/s, probe latencies).
// `--scenario bad-inputs`: plays every submission the learner must refuse (BadInputScenario).

import ArgumentParser
import Foundation
import LoadTools
import NIOPosix
import TLS
import Transport
import Worker

struct LoadgenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loadgen",
                                                    abstract: "Simulated workers against a learner (load tests, ingest benchmark).")

    @Option(help: "Learner address: http://HOST:PORT or https://HOST:PORT.") var learner: String
    @Option(help: "Worker bearer token.") var token: String
    @Option(help: "CA certificate file (https).") var ca: String?
    @Option(help: "load or bad-inputs.") var scenario: String = "load"
    @Option(help: "Simulated workers (load).") var workers: Int = 64
    @Option(help: "HTTP/2 connections the simulated workers share (the learner caps connections per address at 64).")
    var connections: Int = 16
    @Option(help: "Seconds to run (load).") var seconds: Double = 15
    @Option(help: "Prompts per lease (load).") var promptsPerLease: Int = 4
    @Option(help: "The learner's lease duration in seconds (bad-inputs).") var leaseSeconds: Double = 30
    @Option(help: "The learner's admission.max_staleness (bad-inputs).") var maxStaleness: Int = 8

    func run() async throws {
        let url = try LearnerURL(learner)
        let tls: TLSContext? = url.tls ? try TLSContext.client(trustRoots: ca.map { .file($0) }) : nil
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        @Sendable func endpoint(_ token: String) -> RemoteEndpoint {
            RemoteEndpoint(client: TransportClient(configuration: .init(host: url.host, port: url.port, tls: tls), group: group),
                           token: token)
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        switch scenario {
        case "load":
            // The probe's own event loop: the simulated workers' loop is busy with their calls.
            let probe = StatusProbe(url: url, caFile: ca, group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
            let probing = Task.detached { await probe.run() }
            let shared = (0..<max(1, min(connections, workers))).map { _ in endpoint(token) }
            var report = await SimulatedWorkers.run(workers: workers, seconds: seconds, promptsPerLease: promptsPerLease) { i in
                shared[i % shared.count]
            }
            probe.stop()
            let latencies = await probing.value
            report.workers = workers
            let out = LoadgenOutput(load: report, statusProbes: latencies.count, statusFailures: latencies.filter { $0 < 0 }.count,
                                    statusLatencyMs: Summary(latencies.filter { $0 >= 0 }))
            print(String(decoding: try enc.encode(out), as: UTF8.self))
        case "bad-inputs":
            let cases = try await BadInputScenario.run(endpoint: endpoint(token), wrongToken: endpoint(token + "-wrong"),
                                                       leaseSeconds: leaseSeconds, maxStaleness: maxStaleness)
            print(String(decoding: try enc.encode(cases), as: UTF8.self))
        default:
            throw ValidationError("--scenario must be load or bad-inputs")
        }
        Foundation.exit(0)
    }
}

struct LoadgenOutput: Encodable {
    var load: LoadReport
    var statusProbes: Int
    var statusFailures: Int
    var statusLatencyMs: Summary
}

/// p50 / p99 / max of a sample.
struct Summary: Encodable {
    var p50 = 0.0, p99 = 0.0, max = 0.0
    init(_ values: [Double]) {
        let s = values.sorted()
        guard !s.isEmpty else { return }
        p50 = s[s.count / 2]
        p99 = s[Swift.min(s.count - 1, Int(Double(s.count) * 0.99))]
        max = s.last!
    }
}

/// GETs `/status` every 0.25 s, each on a new connection (connect, TLS, GET: what a fresh
/// client sees); latencies in ms, -1 for a failure.
final class StatusProbe: @unchecked Sendable {
    let url: LearnerURL, caFile: String?, group: MultiThreadedEventLoopGroup
    private let lock = NSLock()
    private var stopped = false
    init(url: LearnerURL, caFile: String?, group: MultiThreadedEventLoopGroup) { self.url = url; self.caFile = caFile; self.group = group }
    func stop() { lock.withLock { stopped = true } }
    func run() async -> [Double] {
        var out: [Double] = []
        while !lock.withLock({ stopped }) {
            let t0 = Date()
            let ok = (try? await LearnerGET.fetch(url, path: "/status", token: nil, caFile: caFile, timeout: 10, group: group))?.0 == 200
            out.append(ok ? Date().timeIntervalSince(t0) * 1000 : -1)
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
        return out
    }
}
