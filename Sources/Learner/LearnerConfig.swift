// The learner daemon's configuration: defaults, a TOML file, environment variables
// (TRIBUTARY_<SECTION>_<KEY>) and command-line flags, in increasing precedence. Renamed keys
// are still read and reported (ConfigDeprecation.swift). docs/configuration.md documents every key.

import Foundation
import Objectives
import Tasks
import Training

/// Every setting of the learner daemon.
package struct LearnerConfig: Codable, Sendable, Equatable {
    // [task]
    package var task: String = "reverse"
    package var preset: String = "tiny"
    package var seed: UInt64 = 0
    /// Checkpoint (or run directory) to start from when the state directory is empty.
    package var initCheckpoint: String? = nil
    /// `[task] rewards = [{name=…}, …]` as a compact JSON list: the task's composite reward
    /// (docs/rewards.md), added to the spec as its `rewards` option. Nil: none.
    package var rewards: String? = nil
    /// `[task] correct = "…"`: the `correct` rule (all | LABEL | LABEL>=X | total>=X).
    package var correct: String? = nil
    // [rollout]
    package var groupSize: Int = 8
    package var temperature: Float = 1
    package var topK: Int = 0
    package var leaseSeconds: Double = 30
    package var maxPromptsPerLease: Int = 16
    // [training]
    package var objective: String = "grpo"
    package var objectiveSet: String = ""
    /// Groups per update (P).
    package var groupsPerStep: Int = 16
    package var epochs: Int = 2
    package var minibatches: Int = 2
    /// 0 = the preset's default.
    package var learningRate: Float = 0
    // [admission]
    /// `admission.max_staleness`: the largest accepted `learner version − group version`; older
    /// groups are rejected (`stale_beyond_cap`). Formerly `training.staleness_cap`.
    package var maxStaleness: Int = 8
    /// Accepted groups plus leases in flight before the learner stops issuing leases and
    /// submissions wait (back-pressure). Two steps' worth keeps workers busy while bounding how
    /// far generation runs ahead of training (staleness).
    package var bufferCapacity: Int = 32
    /// `--sync`: workers generate only with the newest version; the learner waits for them.
    package var sync: Bool = false
    package var steps: Int = 0
    package var target: Double = 0.95
    /// Which held-out figure `target` applies to: "greedy" accuracy or "sampled" accuracy (at
    /// the rollout temperature; needs `eval_sampled` > 0).
    package var targetMetric: String = "greedy"
    /// false: when training ends (target or step budget) keep serving the status routes until
    /// SIGTERM instead of exiting (Kubernetes restarts a container that exits, even with 0).
    package var exitWhenDone: Bool = true
    package var evalEvery: Int = 10
    /// Sampled completions per held-out evaluation, spread evenly over the held-out prompts (at
    /// least one each), drawn at the rollouts' temperature and judged by the task; 0 = greedy only.
    package var evalSampled: Int = 128
    package var threads: Int = 1
    /// When learning cannot work (LearningHealth.swift): batches in a row without reward signal
    /// before a warning (0 = never), a collapse threshold, and whether each stops training.
    package var noSignalBatches: Int = HealthSettings().noSignalBatches
    package var stopOnNoSignal: Bool = HealthSettings().stopOnNoSignal
    package var collapseDrop: Double = HealthSettings().collapseDrop
    package var stopOnCollapse: Bool = HealthSettings().stopOnCollapse
    // [state]
    package var stateDir: String = "tributary-state"
    package var checkpointEvery: Int = 10
    /// Directory for a copy of every training batch in the batch-file format (MODEL.md), with
    /// the groups' prompt indices in the metadata (for `tributary replay` and audits); "" = none.
    package var dumpBatches: String = ""
    // [listen]
    package var rpcAddress: String = "127.0.0.1:7070"
    package var tlsAddress: String = ""
    /// HTTP/1.1 listener for the GET routes only (probes, Prometheus, browsers); "" = none.
    package var statusAddress: String = ""
    package var tlsCertificate: String = ""
    package var tlsKey: String = ""
    package var tlsClientCA: String = ""
    // [auth]
    package var workerTokens: [String] = []
    package var adminTokens: [String] = []

    package init() {}

    /// The learning-health settings of `[training]`.
    package var health: HealthSettings {
        HealthSettings(noSignalBatches: noSignalBatches, stopOnNoSignal: stopOnNoSignal,
                       collapseDrop: collapseDrop, stopOnCollapse: stopOnCollapse)
    }

    /// Applies a flat map of `section.key` → value (from TOML, environment or flags). On error
    /// nothing is changed. Returns the deprecated keys it read (``renamedKeys``), which still
    /// take effect under their new names.
    @discardableResult
    package mutating func apply(_ values: [String: TOMLValue], source: String) throws -> [ConfigDeprecation] {
        try apply(values, source: source, spelled: { $0 })
    }

    private mutating func apply(_ values: [String: TOMLValue], source: String,
                                spelled: (String) -> String) throws -> [ConfigDeprecation] {
        let (current, deprecations) = try Self.renamingDeprecatedKeys(values, source: source, spelled: spelled)
        var next = self
        try next.assign(current, source: source)
        try next.validate()
        self = next
        return deprecations
    }

    private mutating func assign(_ values: [String: TOMLValue], source: String) throws {
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            func bad(_ what: String) -> RunError { RunError("\(source): \(key): \(what)") }
            func str() throws -> String { guard case let .string(s) = value else { throw bad("expected a string") }; return s }
            func int() throws -> Int { guard case let .integer(i) = value else { throw bad("expected an integer") }; return i }
            func num() throws -> Double {
                switch value { case let .integer(i): return Double(i); case let .float(d): return d; default: throw bad("expected a number") }
            }
            func bool() throws -> Bool { guard case let .bool(b) = value else { throw bad("expected true or false") }; return b }
            func strs() throws -> [String] {
                guard case let .array(a) = value else { throw bad("expected an array of strings") }
                return try a.map { guard case let .string(s) = $0 else { throw bad("expected an array of strings") }; return s }
            }
            switch key {
            case "task.name": task = try str()
            case "task.preset": preset = try str()
            case "task.seed": seed = UInt64(max(0, try int()))
            case "task.init": initCheckpoint = try str()
            case "task.rewards":
                do { rewards = try RewardsTOML.json(value) } catch { throw bad("\(error)") }
            case "task.correct": correct = try str()
            case "rollout.group_size": groupSize = try int()
            case "rollout.temperature": temperature = Float(try num())
            case "rollout.top_k": topK = try int()
            case "rollout.lease_seconds": leaseSeconds = try num()
            case "rollout.max_prompts_per_lease": maxPromptsPerLease = try int()
            case "training.objective": objective = try str()
            case "training.objective_set": objectiveSet = try str()
            case "training.groups_per_step": groupsPerStep = try int()
            case "training.epochs": epochs = try int()
            case "training.minibatches": minibatches = try int()
            case "training.learning_rate": learningRate = Float(try num())
            case "admission.max_staleness": maxStaleness = try int()
            case "training.buffer_capacity": bufferCapacity = try int()
            case "training.sync": sync = try bool()
            case "training.steps": steps = try int()
            case "training.target": target = try num()
            case "training.target_metric": targetMetric = try str()
            case "training.exit_when_done": exitWhenDone = try bool()
            case "training.eval_every": evalEvery = try int()
            case "training.eval_sampled": evalSampled = try int()
            case "training.threads": threads = try int()
            case "training.no_signal_batches": noSignalBatches = try int()
            case "training.stop_on_no_signal": stopOnNoSignal = try bool()
            case "training.collapse_drop": collapseDrop = try num()
            case "training.stop_on_collapse": stopOnCollapse = try bool()
            case "state.dump_batches": dumpBatches = try str()
            case "state.dir": stateDir = try str()
            case "state.checkpoint_every": checkpointEvery = try int()
            case "listen.rpc": rpcAddress = try str()
            case "listen.tls": tlsAddress = try str()
            case "listen.status": statusAddress = try str()
            case "listen.tls_certificate": tlsCertificate = try str()
            case "listen.tls_key": tlsKey = try str()
            case "listen.tls_client_ca": tlsClientCA = try str()
            case "auth.worker_tokens": workerTokens = try strs()
            case "auth.admin_tokens": adminTokens = try strs()
            default: throw RunError("\(source): unknown setting '\(key)' (docs/configuration.md lists them)")
            }
        }
    }

    /// The TOML sections (and `TRIBUTARY_<SECTION>_…` prefixes) the learner reads.
    package static let sections: Set<String> = ["task", "rollout", "training", "admission", "state", "listen", "auth"]

    /// Reads a TOML file; returns the deprecated keys it used.
    @discardableResult
    package mutating func load(file: URL) throws -> [ConfigDeprecation] {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw RunError("\(file.path): cannot read the configuration file: \(error.localizedDescription)")
        }
        let values: [String: TOMLValue]
        do { values = try parseTOML(text) } catch let e as TOMLError {
            throw RunError("\(file.path): \(e)")
        }
        return try apply(values, source: file.path)
    }

    /// Applies `TRIBUTARY_SECTION_KEY=value` variables (values parsed as TOML scalars); returns
    /// the deprecated variables it used.
    @discardableResult
    package mutating func load(environment: [String: String]) throws -> [ConfigDeprecation] {
        var values: [String: TOMLValue] = [:]
        for (name, raw) in environment where name.hasPrefix("TRIBUTARY_") {
            let parts = name.dropFirst("TRIBUTARY_".count).lowercased().split(separator: "_", maxSplits: 1)
            guard parts.count == 2, Self.sections.contains(String(parts[0])) else { continue }
            let key = "\(parts[0]).\(parts[1])"
            let parsed = (try? parseTOML("v = \(raw)"))?["v"] ?? .string(raw)
            values[key] = parsed
        }
        return try apply(values, source: "environment") { key in
            "TRIBUTARY_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
        }
    }

    /// Checks ranges and that the task spec parses.
    package func validate() throws {
        func need(_ ok: Bool, _ msg: String) throws { if !ok { throw RunError("configuration: \(msg)") } }
        try need(groupSize >= 2, "rollout.group_size must be ≥ 2 (group advantages need a group)")
        try need(temperature > 0, "rollout.temperature must be > 0")
        try need(leaseSeconds > 0, "rollout.lease_seconds must be > 0")
        try need(groupsPerStep >= 1, "training.groups_per_step must be ≥ 1")
        try need(bufferCapacity >= groupsPerStep, "training.buffer_capacity must be ≥ training.groups_per_step")
        try need(maxStaleness >= 0, "admission.max_staleness must be ≥ 0")
        try need(evalSampled >= 0, "training.eval_sampled must be ≥ 0 (0 = greedy evaluation only)")
        try need(["greedy", "sampled"].contains(targetMetric), "training.target_metric must be \"greedy\" or \"sampled\"")
        try need(targetMetric == "greedy" || evalSampled > 0, "training.target_metric = \"sampled\" needs training.eval_sampled > 0")
        try need(epochs >= 1 && minibatches >= 1, "training.epochs and training.minibatches must be ≥ 1")
        try need(checkpointEvery >= 1, "state.checkpoint_every must be ≥ 1")
        do { try health.validate() } catch { throw RunError("configuration: training.\(error)") }
        do { _ = try taskSpec() } catch {
            throw RunError("configuration: \(rewards == nil && correct == nil ? "task.name" : "task"): \(error)")
        }
    }

    /// The task spec in effect: `task.name` with `task.rewards` and `task.correct` added.
    package func taskSpec() throws -> TaskSpec {
        try TaskSpec(parsing: task).with(rewards: rewards, correct: correct)
    }

    /// The effective configuration as TOML (for `--print-config`).
    package var toml: String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        return """
        [task]
        name = \(q(task))
        preset = \(q(preset))
        seed = \(seed)
        \(initCheckpoint.map { "init = \(q($0))" } ?? "# init = \"path/to/checkpoint\"")
        \(rewards.map { "rewards = " + RewardsTOML.toml($0) } ?? "# rewards = [{name = \"exact\", weight = 1.0}]")
        \(correct.map { "correct = \(q($0))" } ?? "# correct = \"all\"")

        [rollout]
        group_size = \(groupSize)
        temperature = \(temperature)
        top_k = \(topK)
        lease_seconds = \(leaseSeconds)
        max_prompts_per_lease = \(maxPromptsPerLease)

        [training]
        objective = \(q(objective))
        objective_set = \(q(objectiveSet))
        groups_per_step = \(groupsPerStep)
        epochs = \(epochs)
        minibatches = \(minibatches)
        learning_rate = \(learningRate)
        buffer_capacity = \(bufferCapacity)
        sync = \(sync)
        steps = \(steps)
        target = \(target)
        target_metric = "\(targetMetric)"
        exit_when_done = \(exitWhenDone)
        eval_every = \(evalEvery)
        eval_sampled = \(evalSampled)
        threads = \(threads)
        no_signal_batches = \(noSignalBatches)
        stop_on_no_signal = \(stopOnNoSignal)
        collapse_drop = \(collapseDrop)
        stop_on_collapse = \(stopOnCollapse)

        [admission]
        max_staleness = \(maxStaleness)

        [state]
        dir = \(q(stateDir))
        checkpoint_every = \(checkpointEvery)
        dump_batches = \(q(dumpBatches))

        [listen]
        rpc = \(q(rpcAddress))
        tls = \(q(tlsAddress))
        status = \(q(statusAddress))
        tls_certificate = \(q(tlsCertificate))
        tls_key = \(q(tlsKey))
        tls_client_ca = \(q(tlsClientCA))

        [auth]
        worker_tokens = [\(workerTokens.map { _ in q("<redacted>") }.joined(separator: ", "))]
        admin_tokens = [\(adminTokens.map { _ in q("<redacted>") }.joined(separator: ", "))]

        """
    }
}
