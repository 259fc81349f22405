// `tributary worker`: a stateless rollout worker (or several sampler loops in one process).
// Reconnects by itself; on SIGTERM/SIGINT it stops taking leases, says goodbye and exits (a
// ServiceGroup of the workers and their progress log, Lifecycle.swift).

import ArgumentParser
import Foundation
import Pretrained
import TLS
import Training
import Transport
import Learner
import Logging
import ServiceLifecycle
import Worker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run a rollout worker.")

    @Option(help: "Learner address: http://HOST:PORT (h2c) or https://HOST:PORT (TLS).") var learner: String
    @Option(help: "Worker bearer token (default: $TRIBUTARY_TOKEN).") var token: String?
    @Option(help: "CA certificate file to verify the learner (https).") var ca: String?
    @Option(help: "Client certificate and key for mTLS (PEM files).") var cert: String?
    @Option(help: "Client private key for mTLS.") var key: String?
    @Option(help: "Worker name reported to the learner.") var name: String = ProcessInfo.processInfo.hostName
    @Option(help: "Concurrent sampler loops (each registers as its own worker).") var samplerThreads: Int = 1
    @Option(help: "Prompts per lease.") var promptsPerLease: Int = 4
    @Option(help: "External verifier program instead of the task's reward, e.g. 'python3 verify.py': an external reward component with protocol=\"single\" (docs/rewards.md).") var verifier: String?
    @Option(help: "Seconds an external verifier call may take.") var verifierTimeout: Double = 5
    @Option(help: "Seed for sampling.") var seed: UInt64 = 1
    @Option(help: "The pretrained model's tokenizer when the learner trains one: its GGUF file, Hugging Face directory or checkpoint (docs/models.md).")
    var tokenizer: String?
    @OptionGroup var logging: LogOptions

    func validate() throws {
        guard promptsPerLease >= 1 else { throw ValidationError("--prompts-per-lease must be at least 1 (PROTOCOL.md §6.4)") }
    }

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "tributary.worker")
        let url = try LearnerURL(learner)
        let tls: TLSContext? = url.tls ? try TLSContext.client(trustRoots: ca.map { .file($0) }, certificateChain: cert.map { .file($0) },
                                                                 privateKey: key.map { .file($0) }) : nil
        let client = TransportClient(configuration: .init(host: url.host, port: url.port, tls: tls))
        let tok = token ?? ProcessInfo.processInfo.environment["TRIBUTARY_TOKEN"]
        let endpoint = RemoteEndpoint(client: client, token: tok)
        let modelTokenizer = try tokenizer.map { try ModelTokenizer.load(URL(fileURLWithPath: $0)) }
        let workers = (0..<max(1, samplerThreads)).map { i -> RolloutWorker in
            var o = WorkerOptions(name: samplerThreads > 1 ? "\(name)/\(i)" : name)
            o.promptsPerLease = promptsPerLease
            o.seed = seed &+ UInt64(i)
            o.verifierCommand = verifier.map { $0.split(separator: " ").map(String.init) }
            o.verifierTimeout = verifierTimeout
            o.tokenizer = modelTokenizer
            return RolloutWorker(endpoint: endpoint, options: o)
        }
        // Until SIGTERM/SIGINT; then the workers stop taking leases and get 10 s for the current
        // one (bounded exit), then the progress log stops.
        try await ServiceGroup.daemon([WorkerProgressService(workers: workers, logger: logger),
                                       WorkerPoolService(workers: workers, bound: 10)], logger: logger).run()
        for w in workers {
            let s = await w.stats
            let failures = s.rewardFailures.counts.sorted { $0.key < $1.key }.flatMap { c, kinds in
                kinds.sorted { $0.key < $1.key }.map { "\(c)/\($0.key) \($0.value)" }
            }
            print("worker \(w.options.name): accepted \(s.groupsAccepted) groups (submitted \(s.groupsSubmitted), reconnects \(s.reconnects))"
                  + (failures.isEmpty ? "" : "; reward failures: " + failures.joined(separator: ", ")))
        }
        await client.close()
        Foundation.exit(0)
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show where training stands.")

    @Option(help: "Learner address: http://HOST:PORT or https://HOST:PORT.") var learner: String = "http://127.0.0.1:7070"
    @Option(help: "Bearer token if the status routes need one.") var token: String?
    @Option(help: "CA certificate file (https).") var ca: String?
    @Flag(help: "Print the raw JSON.") var json = false

    func run() async throws {
        let (code, body) = try await LearnerGET.fetch(try LearnerURL(learner), path: "/status", token: token, caFile: ca)
        guard code == 200 else { throw RunError("\(learner)/status answered HTTP \(code): \(String(decoding: body, as: UTF8.self))") }
        if json { FileHandle.standardOutput.write(Data(body)); return }
        print(try StatusText.render(Data(body)))
    }
}
