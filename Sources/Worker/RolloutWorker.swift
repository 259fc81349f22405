// The stateless rollout worker: register, watch for policy versions, fetch a version when it
// changes (digest-checked, in the background), take leases, sample and score groups, submit
// (overlapping the next lease), repeat. Any error from the learner (unreachable, restarted,
// refusing) leads to a reconnect with exponential backoff and jitter and a fresh
// registration; nothing is kept that a restart would lose. A task with a composite reward
// (`rewards=[…]`) is scored group by group after sampling (GroupScoring.swift).

import Foundation
import Logging
import Rollout
import Policy
import Pretrained
import Rewards
import Rollout
import Tasks
import Tensor
import Wire

/// Settings of one worker.
package struct WorkerOptions: Sendable {
    package var name: String
    /// Prompts requested per lease.
    package var promptsPerLease: Int = 4
    package var seed: UInt64 = 1
    /// Reconnect backoff: first delay and cap, in seconds (jittered ±50 %).
    package var backoffInitial: Double = 0.1
    package var backoffMax: Double = 10
    /// An external verifier program (`--verifier`) instead of the task's own reward: a
    /// composite of one `external` component, `protocol="single"` (docs/rewards.md).
    package var verifierCommand: [String]? = nil
    /// Seconds per verifier call.
    package var verifierTimeout: Double = 5
    /// The pretrained model's tokenizer when the learner trains one (docs/models.md): tasks are
    /// then built in its vocabulary. Nil for the built-in character tasks.
    package var tokenizer: ModelTokenizer? = nil

    package init(name: String) { self.name = name }
}

/// Counters a worker reports (and tests read).
package struct WorkerStats: Sendable, Equatable {
    package var registrations = 0
    package var policiesFetched = 0
    package var groupsSubmitted = 0
    package var groupsAccepted = 0
    package var rejected: [String: Int] = [:]
    package var reconnects = 0
    package var currentVersion: Int?
    /// Reward-component failures (all kinds, all components); see `rewardFailures`.
    package var verifierFailures: Int { rewardFailures.total }
    /// Reward-component failures by component label and kind (`timeout`, `crashed`, `row_error`, …).
    package var rewardFailures = RewardFailureStats()
    /// The error that caused the latest reconnect (for logs and `tributary worker` output).
    package var lastError: String?
}

package actor RolloutWorker {
    package let endpoint: any LearnerEndpoint
    package nonisolated let options: WorkerOptions
    let logger = Logger(label: "tributary.worker")
    package internal(set) var stats = WorkerStats()
    private var stopping = false
    var latest: PolicyAnnouncement?
    // The session's policy pipeline (RolloutWorker+Pipeline.swift).
    /// The version whose weights the sampler uses.
    var loadedVersion: UInt64?
    /// A verified download not loaded yet.
    var fetched: (version: UInt64, bytes: [UInt8])?
    var fetchTask: Task<Void, Never>?
    /// A download failed for a reason other than the version being gone: the session ends.
    var fetchFailure: Error?
    /// Bumped by every reset, so a download of an earlier session never lands in this one.
    var pipelineEpoch = 0

    package init(endpoint: any LearnerEndpoint, options: WorkerOptions) {
        self.endpoint = endpoint
        self.options = options
    }

    /// Stops after the current lease (SIGTERM): no new leases are taken.
    package func stop() { stopping = true }

    /// Runs until `stop()` or cancellation, reconnecting after failures.
    package func run() async {
        var delay = options.backoffInitial
        var rng = SystemRandomNumberGenerator()
        while !stopping && !Task.isCancelled {
            do {
                try await session()
                delay = options.backoffInitial
            } catch {
                if stopping || Task.isCancelled { break }
                stats.reconnects += 1
                stats.lastError = "\(error)"
                let jitter = Double.random(in: 0.5...1.5, using: &rng)
                logger.warning("learner unavailable; backing off", metadata: [
                    "worker": "\(options.name)", "error": "\(error)", "retry-in-s": "\(String(format: "%.2f", delay * jitter))"])
                try? await Task.sleep(nanoseconds: UInt64(delay * jitter * 1e9))
                delay = min(options.backoffMax, delay * 2)
            }
        }
    }

    private func noteAnnouncement(_ a: PolicyAnnouncement) {
        latest = a
        startFetchIfNeeded()
    }
    private func noteWatchEnded() { watchEnded = true }
    /// The current session's watch stream ended (it is restarted).
    private var watchEnded = false

    /// One registration's worth of work; throws when the learner goes away.
    ///
    /// Two things overlap with sampling (RolloutWorker+Pipeline.swift): new policy versions
    /// download and verify in the background while the sampler keeps using the loaded one, and
    /// a lease's submission (its fsync'd acks) is in flight while the next lease is sampled.
    private func session() async throws {
        let welcome = try await endpoint.register(RegisterRequest(workerName: options.name, softwareVersion: "tributary-0.1"))
        stats.registrations += 1
        logger.info("registered", metadata: ["worker": "\(options.name)", "worker-id": "\(welcome.workerId)", "task": "\(welcome.taskSpec)"])
        let spec = try TaskSpec(parsing: welcome.taskSpec)
        let cfg = try Self.modelConfig(from: welcome)
        let task = try Self.task(spec, tokenizer: options.tokenizer, model: cfg)
        // The composite reward that scores this session's samples: `--verifier`, else the task's.
        let rewards = try options.verifierCommand.map { try GroupScoring.verifierReward(command: $0, timeout: options.verifierTimeout) }
            ?? task.rewards
        defer { if let rewards { Task { await rewards.shutdown() } } }
        // A new session starts from what its own watch stream says: an announcement left over
        // from the last session may name a version the learner no longer keeps.
        resetPolicyPipeline()
        watchEnded = false
        let announcements = try await endpoint.watch(WatchRequest(workerId: welcome.workerId))
        let watcher = Task { [weak self] in
            do { for try await a in announcements { await self?.noteAnnouncement(a) } } catch {}
            await self?.noteWatchEnded()   // ended or failed: this session can no longer see new versions
        }
        defer { watcher.cancel(); resetPolicyPipeline() }
        var sampler = GroupSampler(task: task, groupSize: Int(welcome.groupSize), temperature: welcome.temperature,
                                   topK: welcome.topK > 0 ? Int(welcome.topK) : nil, scores: rewards == nil)
        // GHPO guidance as the learner's objective asks (PROTOCOL.md §6.5.3; 0 = never a hint).
        sampler.ghpoStages = Int(welcome.ghpoStages)
        let sampling = try SamplerThread(config: cfg, sampler: sampler, seed: SplitMix64.mix(options.seed, welcome.workerId))
        defer { sampling.close() }
        var submitting: Task<[SubmitAck], Error>? = nil
        do {
            while !stopping && !Task.isCancelled {
                if watchEnded { throw RPCStatus(.unavailable, "the watch stream ended") }
                try await loadFetchedPolicy(into: sampling)
                guard let version = loadedVersion else {
                    await policySettled(orSleep: 0.02)
                    continue
                }
                let grant = try await endpoint.lease(LeaseRequest(workerId: welcome.workerId, maxPrompts: UInt32(options.promptsPerLease),
                                                                  currentVersion: version))
                if grant.units.isEmpty {
                    // No work for this version (sync mode wants the newest): use the fetch in
                    // flight if there is one, else wait as the learner asks.
                    await policySettled(orSleep: Double(grant.retryAfterMs ?? 100) / 1000)
                    continue
                }
                let seed = welcome.promptSeed ?? 0
                var prompts: [Prompt] = []
                for u in grant.units {
                    let p = task.prompt(seed: seed, index: Int(u.promptIndex), split: .train)
                    guard p.tokens.map(Int32.init) == u.promptTokens else {
                        throw RPCStatus(.failedPrecondition, "work unit \(u.leaseId): prompt \(u.promptIndex) does not match this worker's task")
                    }
                    prompts.append(p)
                }
                let v = PolicyVersion(wire: version), leased = prompts
                let groups = try await sampling.run { model, sampler, rng in try sampler.sample(leased, model: model, version: v, rng: &rng) }
                var scored = groups.map { ComponentScoredGroup(rollout: $0, components: [], failureCodes: []) }
                if let rewards {
                    let (g, failures) = await GroupScoring.score(groups, prompts: prompts, task: task, rewards: rewards)
                    scored = g
                    stats.rewardFailures.merge(failures)
                }
                let labels = rewards?.labels ?? []
                let wire = zip(grant.units, scored).map { u, g in GroupScoring.wire(g, unit: u, workerId: welcome.workerId, labels: labels) }
                // At most one submission in flight: the previous one's acks first.
                if let previous = submitting {
                    submitting = nil
                    try account(try await previous.value, version: Int(version))
                }
                stats.groupsSubmitted += wire.count
                submitting = Task { [endpoint] in try await endpoint.submit(wire) }
            }
        } catch {
            // Count what the learner acknowledged before the failure; then reconnect.
            if let previous = submitting { _ = try? account(try await previous.value, version: Int(loadedVersion ?? 0)) }
            throw error
        }
        if let previous = submitting { try account(try await previous.value, version: Int(loadedVersion ?? 0)) }
    }

    /// The model a Welcome describes: its `config.json` (`modelConfigJSON`, every
    /// hyper-parameter) when present, else the GPT-2 shape of `model` with the defaults
    /// (learners before schema 2). A config this worker cannot build, or one that disagrees
    /// with `model`, is FAILED_PRECONDITION.
    package static func modelConfig(from welcome: Welcome) throws -> Policy.ModelConfig {
        let m = welcome.model
        let shape = Policy.ModelConfig(wire: m)
        guard let json = welcome.modelConfigJSON else { return shape }
        let c: Policy.ModelConfig
        do {
            c = try JSONDecoder().decode(Policy.ModelConfig.self, from: Data(json))
            try c.validate()
        } catch {
            throw RPCStatus(.failedPrecondition, "Welcome.modelConfigJSON is not a model this worker can build: \(error)")
        }
        guard c.vocabSize == shape.vocabSize, c.nPositions == shape.nPositions, c.nEmbd == shape.nEmbd,
              c.nLayer == shape.nLayer, c.nHead == shape.nHead else {
            throw RPCStatus(.failedPrecondition, "Welcome.modelConfigJSON (\(c)) disagrees with Welcome.model (\(m))")
        }
        return c
    }

    /// Counts one submission's acks; throws when the learner says our policy is beyond its
    /// staleness cap (announcements were missed), so a fresh session starts from the current version.
    private func account(_ acks: [SubmitAck], version: Int) throws {
        var tooStale = false
        for ack in acks {
            switch ack.outcome {
            case .accepted: stats.groupsAccepted += 1
            case let .rejected(reason, _):
                stats.rejected[reason.name, default: 0] += 1
                if reason == .staleBeyondCap { tooStale = true }
            }
        }
        if tooStale {
            logger.warning("policy too stale for the learner; re-registering", metadata: [
                "worker": "\(options.name)", "version": "\(version)",
                "learner-version": "\(acks.map(\.learnerVersion).max() ?? 0)"])
            throw RPCStatus(.failedPrecondition, "policy version \(version) is beyond the learner's staleness cap")
        }
    }

    /// The learner's task as this worker builds it: in the pretrained model's tokenizer when one
    /// was given, else in the task's own vocabulary; either must fit the learner's model.
    static func task(_ spec: TaskSpec, tokenizer: ModelTokenizer?, model cfg: Policy.ModelConfig) throws -> any VerifiableTask {
        let task = try tokenizer.map { try spec.makeTask(tokenizer: $0, maxPositions: cfg.nPositions) }
            ?? spec.makeTask(maxPositions: cfg.nPositions)
        if tokenizer == nil, task.tokenizer.vocabSize != cfg.vocabSize {
            throw RPCStatus(.failedPrecondition, "the learner's model has a vocabulary of \(cfg.vocabSize) tokens but task '\(spec)' "
                + "has its own of \(task.tokenizer.vocabSize): the learner trains a pretrained model; start the worker with "
                + "--tokenizer (the model's GGUF file or directory)")
        }
        if task.tokenizer.vocabSize > cfg.vocabSize {
            throw RPCStatus(.failedPrecondition, "the tokenizer has \(task.tokenizer.vocabSize) tokens, more than the learner's model (\(cfg.vocabSize))")
        }
        return task
    }
}
