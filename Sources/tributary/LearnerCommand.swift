// `tributary learner`: the learner daemon. Configuration from a TOML file, overridden by
// TRIBUTARY_* environment variables and flags (docs/configuration.md). Serves the worker RPCs
// and the status routes on h2c and/or TLS, trains on a thread of its own, checkpoints, and
// on SIGTERM/SIGINT stops taking work, checkpoints and closes connections gracefully (a
// ServiceGroup of the listener and training services, Lifecycle.swift).

import ArgumentParser
import Foundation
import Learner
import Objectives
import Logging
import ServiceLifecycle
import TLS
import Training
import Transport

struct LearnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "learner", abstract: "Run the learner daemon.")

    @Option(help: "TOML configuration file (docs/configuration.md).") var config: String?
    @Option(help: "State directory (checkpoints, write-ahead log).") var stateDir: String?
    @Option(help: "h2c listener host:port (status routes and RPCs).") var listen: String?
    @Option(help: "TLS listener host:port.") var listenTls: String?
    @Option(help: "HTTP/1.1 listener host:port for the status routes only (probes, Prometheus, browsers).") var listenStatus: String?
    @Option(help: "Task spec.") var task: String?
    @Option(name: .customLong("init"), help: "Checkpoint to start from when the state directory is empty.") var initFrom: String?
    @Option(help: "Stop after this many updates (0 = until the target).") var steps: Int?
    @Option(help: "Objective preset (\(ObjectiveConfig.presetNames.joined(separator: ", ")); `tributary objectives`).") var objective: String?
    @Option(help: "Write every training batch here (batch-NNNNNN.safetensors, for replay and audits).") var dumpBatches: String?
    @Flag(help: "Synchronous mode: workers sample only with the newest version.") var sync = false
    @Option(help: "Report (and stop) after this many batches in a row without reward signal (0 = never).") var noSignalBatches: Int?
    @Option(help: "Report (and stop) when held-out accuracy falls this far below its best (0 = never).") var collapseDrop: Double?
    @Option(help: "A worker bearer token (repeatable; adds to auth.worker_tokens).") var workerToken: [String] = []
    @Flag(help: "Print the effective configuration and exit.") var printConfig = false
    @OptionGroup var logging: LogOptions

    /// The configuration in effect and the deprecated keys it was given with (warned about at
    /// start-up).
    func effectiveConfigAndDeprecations() throws -> (config: LearnerConfig, deprecations: [ConfigDeprecation]) {
        var c = LearnerConfig()
        var deprecations: [ConfigDeprecation] = []
        if let config { deprecations += try c.load(file: URL(fileURLWithPath: config)) }
        deprecations += try c.load(environment: ProcessInfo.processInfo.environment)
        var flags: [String: TOMLValue] = [:]
        if let stateDir { flags["state.dir"] = .string(stateDir) }
        if let listen { flags["listen.rpc"] = .string(listen) }
        if let listenTls { flags["listen.tls"] = .string(listenTls) }
        if let listenStatus { flags["listen.status"] = .string(listenStatus) }
        if let task { flags["task.name"] = .string(task) }
        if let initFrom { flags["task.init"] = .string(initFrom) }
        if let steps { flags["training.steps"] = .integer(steps) }
        if let objective { flags["training.objective"] = .string(objective) }
        if let dumpBatches { flags["state.dump_batches"] = .string(dumpBatches) }
        if sync { flags["training.sync"] = .bool(true) }
        if let noSignalBatches { flags["training.no_signal_batches"] = .integer(noSignalBatches) }
        if let collapseDrop { flags["training.collapse_drop"] = .float(collapseDrop) }
        if !workerToken.isEmpty { flags["auth.worker_tokens"] = .array((c.workerTokens + workerToken).map { .string($0) }) }
        deprecations += try c.apply(flags, source: "command line")
        deprecations += try ObjectiveConfig.parseReportingDeprecations(
            name: c.objective, overrides: ObjectiveConfig.parseOverrides(c.objectiveSet)).deprecations
        return (c, deprecations)
    }

    func run() async throws {
        let (cfg, deprecations) = try effectiveConfigAndDeprecations()
        if printConfig {
            for d in deprecations { FileHandle.standardError.write(Data("learner: warning: \(d)\n".utf8)) }
            print(cfg.toml, terminator: "")
            return
        }
        try logging.bootstrap()
        let logger = Logger(label: "tributary.learner")
        for d in deprecations { logger.warning("learner: warning: \(d)") }
        let log: @Sendable (String) -> Void = { logger.info("\($0)") }
        let daemon = try await LearnerDaemon.start(cfg, log: log)
        // Until training ends (and, with exit_when_done = false, a signal) or SIGTERM/SIGINT;
        // then training stops and checkpoints first, the listeners drain and close second.
        try await ServiceGroup.daemon([ListenerService(daemon: daemon, grace: 5),
                                       TrainingService(daemon: daemon, exitWhenDone: cfg.exitWhenDone, log: log)],
                                      logger: logger).run()
        if let p = daemon.node.training.status.stoppedBy {
            // Learning cannot work: a non-zero exit, so a supervisor shows the failure.
            logger.error("learner: training stopped at step \(p.step): \(p.message)")
            Foundation.exit(4)
        }
        // Exit now rather than waiting for idle event-loop threads.
        Foundation.exit(0)
    }
}

/// A running learner: node, server, status service.
final class LearnerDaemon: Sendable {
    let node: LearnerNode
    let server: TransportServer
    let status: StatusService

    init(node: LearnerNode, server: TransportServer, status: StatusService) {
        self.node = node; self.server = server; self.status = status
    }

    static func start(_ cfg: LearnerConfig, log: @escaping @Sendable (String) -> Void) async throws -> LearnerDaemon {
        guard !cfg.workerTokens.isEmpty else {
            throw RunError("no worker tokens: workers could not authenticate. Set auth.worker_tokens in the configuration, TRIBUTARY_AUTH_WORKER_TOKENS='[\"…\"]' or --worker-token (docs/configuration.md)")
        }
        let node = try await LearnerNode.open(cfg)
        var sc = ServerConfiguration()
        sc.cleartext = cfg.rpcAddress.isEmpty ? nil : try parseAddress(cfg.rpcAddress)
        if !cfg.tlsAddress.isEmpty {
            guard !cfg.tlsCertificate.isEmpty, !cfg.tlsKey.isEmpty else {
                throw RunError("listen.tls needs listen.tls_certificate and listen.tls_key (docs/tls.md)")
            }
            let ctx = try TLSContext.server(certificateChain: .file(cfg.tlsCertificate), privateKey: .file(cfg.tlsKey),
                                            clientCA: cfg.tlsClientCA.isEmpty ? nil : .file(cfg.tlsClientCA),
                                            requireClientCertificate: !cfg.tlsClientCA.isEmpty)
            sc.tls = TLSListener(address: try parseAddress(cfg.tlsAddress), context: ctx)
        }
        if !cfg.statusAddress.isEmpty { sc.http1Status = try parseAddress(cfg.statusAddress) }
        sc.tokens = TokenSets(worker: cfg.workerTokens, admin: cfg.adminTokens)
        let server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        let status = StatusService(node: node)
        try status.register(on: server)
        try await server.start()
        let ports = [server.cleartextPort.map { "h2c on \(sc.cleartext!.host):\($0)" }, server.tlsPort.map { "TLS on \(sc.tls!.address.host):\($0)" },
                     server.http1StatusPort.map { "HTTP/1.1 status on \(sc.http1Status!.host):\($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
        log("learner: \(node.task.spec.canonical), objective \(cfg.objective), version \(await node.ingest.version), restored \(node.restoredGroups) logged groups; listening \(ports)")
        node.training.onStep = { s in
            log(String(format: "learner: step %d version %d reward %.3f held-out %@ staleness %.2f step %.3fs publish %.3fs",
                       s.step, Int(s.version.rawValue), s.reward, s.evalGreedyAccuracy.map { String(format: "%.1f%%", 100 * $0) } ?? "—",
                       s.meanStaleness, s.stepSeconds, s.publishSeconds))
        }
        node.training.onProblem = { p in log("learner: warning: \(p.message)\(p.stops ? " Training stops." : "")") }
        node.training.start()
        return LearnerDaemon(node: node, server: server, status: status)
    }

    /// Returns when training ended (step budget or target).
    func waitForTraining() async {
        let t = node.training
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { t.join(); c.resume() }
        }
    }

    /// Graceful stop: refuse new work, let training checkpoint, drain RPCs, close.
    func stop(grace: Double = 5) async {
        await node.ingest.shutdown()
        let t = node.training
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { t.join(); c.resume() }
        }
        await server.shutdown(grace: grace)
    }
}

func parseAddress(_ s: String) throws -> ListenAddress {
    guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]) else {
        throw RunError("'\(s)' is not host:port")
    }
    return ListenAddress(host: String(s[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
}
