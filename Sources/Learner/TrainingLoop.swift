// The learner's training loop on its own thread (BLAS compute never runs on the event loop
// or the cooperative pool's ingestion path): take a batch of groups from the ingest actor
// (under the refill rule, Training's BatchFill), run the training step the `train` command
// runs too (Training's TrainingStep: batch, dump, update, version, figures, health), make the
// new version durable (version floor), publish it, and checkpoint every few steps. The model
// and optimizer never leave this thread.

import Foundation
import Objectives
import Policy
import Rollout
import Tasks
import Tensor
import Training

/// Figures of the latest training step, for /status.
package struct TrainingStatus: Codable, Sendable {
    package var step = 0
    package var version = PolicyVersion.initial
    /// Whether the latest step had an optimizer step (a batch without reward signal has none).
    package var updated = false
    /// Tokens of the latest step that went through an optimizer step, over the seconds its
    /// update took (UpdateThroughput.swift); nil when the step had no update.
    package var tokensPerSecond: Double?
    package var trainedTokens = 0
    package var updateSeconds = 0.0
    package var stepSeconds = 0.0
    package var publishSeconds = 0.0
    package var lastCheckpoint: String?
    package var lastCheckpointStep: Int?
    package var evalGreedyAccuracy: Double?
    /// Held-out accuracy of completions sampled as the rollouts are (temperature, top-k), and
    /// their mean reward, at the last evaluation (`training.eval_sampled`; nil when off).
    package var evalSampledAccuracy: Double?
    package var evalSampledReward: Double?
    /// Calibration of those sampled completions' sequence probability against correctness at
    /// the last evaluation (BackgroundEvaluator.Result): AUC (nil also when every completion had
    /// the same outcome) and expected calibration error.
    package var evalSampledAUC: Double?
    package var evalSampledECE: Double?
    package var reward = 0.0
    package var accuracy = 0.0
    package var meanStaleness = 0.0
    package var metrics: ObjectiveMetrics?
    package var finished = false
    /// Groups trained since the state directory was created (durable with the checkpoints).
    package var groupsTrained = 0
    /// Steps since this learner started whose batch carried no reward signal: no optimizer
    /// step, so no new version (the weights did not change).
    package var stepsWithoutSignal = 0
    /// Mean of each reward component over the groups accepted since the previous step (tasks
    /// with a composite reward; RewardComponents.swift).
    package var rewardComponents: [String: Double]?
    /// Whether learning can work (LearningHealth.swift): the no-signal streak, the best held-out
    /// accuracy and the problem in effect, if any.
    package var health = LearningHealth().report
    /// The problem that stopped training (no signal, collapse), if one did.
    package var stoppedBy: HealthProblem?
}

extension TrainingStatus {
    /// Takes the figures of an evaluation: greedy accuracy and the sampled half (accuracy, reward,
    /// calibration; nil when the evaluation drew no samples).
    mutating func recordEvaluation(_ e: BackgroundEvaluator.Result) {
        evalGreedyAccuracy = e.accuracy
        evalSampledAccuracy = e.sampledAccuracy
        evalSampledReward = e.sampledReward
        evalSampledAUC = e.sampledAUC
        evalSampledECE = e.sampledECE
    }
}

/// Runs `body` on a fresh thread and lets async callers wait for async work from it.
enum Blocking {
    /// Waits on the calling thread for an async operation. Only for threads of our own (the
    /// training and publisher threads), never a cooperative one: the operation itself needs a
    /// cooperative thread, and with one CPU the pool may have only the one that would wait.
    static func wait<T: Sendable>(_ op: @escaping @Sendable () async -> T) -> T {
        let sem = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        Task.detached { result = await op(); sem.signal() }
        sem.wait()
        return result!
    }
}

/// Owns the trainer on a dedicated thread.
package final class TrainingLoop: @unchecked Sendable {
    let ingest: IngestState
    let store: LearnerStateStore
    let config: LearnerConfig
    let task: any VerifiableTask
    /// Touched only on the training thread after `start`.
    private let trainer: PolicyTrainer
    private var state: TrainerState
    private var durable: LearnerDurableState
    private let statusLock = NSLock()
    private var _status = TrainingStatus()
    private let evalSet: [Prompt]
    private lazy var publisher = Publisher(ingest: ingest, store: store)
    private var thread: Thread?
    private let done = NSCondition()
    private var ended = false
    /// Called on the training thread after every step (metrics log, progress).
    package var onStep: (@Sendable (TrainingStatus) -> Void)?
    /// Called on the training thread when learning cannot work (no signal, collapse); nil
    /// writes `learner: warning: …` to standard error.
    package var onProblem: (@Sendable (HealthProblem) -> Void)?
    private var health: LearningHealth

    package var status: TrainingStatus { statusLock.withLock { _status } }
    private var _history: [HistoryPoint] = []
    /// At most this many recent steps are kept for `history`.
    package static let historyLimit = 2000

    /// Steps after `since` (all kept ones by default), oldest first.
    package func history(since: Int = -1) -> [HistoryPoint] {
        statusLock.withLock { _history.filter { $0.step > since } }
    }

    init(ingest: IngestState, store: LearnerStateStore, config: LearnerConfig, task: any VerifiableTask,
         trainer: PolicyTrainer, state: TrainerState, durable: LearnerDurableState) {
        self.ingest = ingest; self.store = store; self.config = config; self.task = task
        self.trainer = trainer; self.state = state; self.durable = durable
        evalSet = task.evaluationSet(seed: 0xE7A1, size: 500)
        health = LearningHealth(settings: config.health)
        // The starting weights' held-out accuracy (the warm start's) is the first best.
        if let a = state.evalGreedyAccuracy { _ = health.record(evalAccuracy: a, step: durable.step) }
        _status.health = health.report
        _status.step = durable.step
        _status.version = state.version
        _status.groupsTrained = durable.groupsTrained
        _status.evalGreedyAccuracy = state.evalGreedyAccuracy
    }

    /// Publishes the current weights as the current version (at start-up, before the training
    /// thread exists). Async: blocking a cooperative thread here (`Blocking.wait`) stalled
    /// start-up by a second when the process had one CPU (the only pool thread waited for a
    /// task that needed it).
    func publishCurrent() async throws {
        let p = PublishedPolicy.encode(trainer.model, version: state.version, step: durable.step)
        try store.setVersionFloor(version: state.version, step: durable.step)
        await ingest.publish(p)
    }

    package func start() {
        let t = Thread { [self] in
            Thread.current.name = "trib-training"   // from inside and ≤ 15 bytes, or Linux drops it
            Blas.setThreads(config.threads)
            do { try run() } catch {
                FileHandle.standardError.write(Data("learner: training stopped: \(error)\n".utf8))
            }
            statusLock.withLock { _status.finished = true }
            done.lock(); ended = true; done.broadcast(); done.unlock()
        }
        t.stackSize = 16 << 20
        thread = t
        t.start()
    }

    /// Waits for the training thread to end (after `IngestState.shutdown`). Any number of
    /// callers may wait; it returns at once when training already ended.
    package func join() {
        done.lock()
        while !ended { done.wait() }
        done.unlock()
    }

    private func run() throws {
        let ingest = self.ingest
        let p = config.groupsPerStep
        let dumps = config.dumpBatches.isEmpty ? nil : URL(fileURLWithPath: config.dumpBatches)
        // Held-out evaluation runs beside training on a copy of the weights; its results arrive
        // a step or two later (BackgroundEvaluator.swift).
        let evaluator = config.evalEvery > 0
            ? try BackgroundEvaluator(config: trainer.model.config, task: task, prompts: evalSet,
                                      sampling: .init(total: config.evalSampled, prompts: evalSet.count,
                                                      temperature: config.temperature,
                                                      topK: config.topK > 0 ? config.topK : nil, seed: config.seed))
            : nil
        defer { evaluator?.close() }
        var evaluatedAtOptimizerStep: Int? = nil
        var reachedTarget = false
        while config.steps == 0 || durable.step < config.steps {
            guard let (batchGroups, filtered) = nextBatch(p) else { break }   // shutting down
            if batchGroups.isEmpty {
                // Dynamic sampling took `no_signal_batches` batches' worth of groups, none with signal.
                noSignalRounds(filtered, batchSize: p)
                if health.shouldStop { break }
                continue
            }
            let t0 = Date()
            let step = try TrainingStep.run(StepGroups(fresh: batchGroups.map(\.group), filtered: filtered.map(\.group)),
                                            trainer: trainer, step: durable.step, version: state.version, seed: config.seed,
                                            tokenizer: task.tokenizer, dumpTo: dumps, health: &health)
            durable.step = step.step
            durable.groupsTrained += batchGroups.count + filtered.count
            durable.trainedThrough = ((batchGroups + filtered).map(\.sequence).max() ?? 0) + 1
            state.step = durable.step
            // A version names a set of weights (TrainingStep): a batch without reward signal leaves
            // them unchanged, so there is nothing to publish or download, and the groups sampled
            // meanwhile stay as fresh as they were.
            state.version = step.version
            let weightsChanged = step.updated
            let stepSeconds = Date().timeIntervalSince(t0)
            // The pause: copying the weights out. Digest, durable version floor and the
            // announcement follow on the publisher thread while the next step trains.
            let t1 = Date()
            if weightsChanged {
                let bytes = trainer.model.parametersFile(metadata: ["tributary_version": state.version.description]).serialized()
                try publisher.enqueue(version: state.version, step: durable.step, bytes: bytes)
            } else {
                Blocking.wait { await ingest.versionKept() }   // sync mode: leases for the same version again
            }
            let publishSeconds = weightsChanged ? Date().timeIntervalSince(t1) : 0
            // Steps and versions never go backwards, even across kill -9: the step (and the version
            // being published) is durable in the floor before /status or the history shows it.
            // A step without an optimizer step publishes nothing, so this is its only record.
            try store.setVersionFloor(version: state.version, step: durable.step)
            if let evaluator, durable.step % config.evalEvery == 0, evaluatedAtOptimizerStep != trainer.optimizer.step {
                // Greedy decoding is deterministic: weights without an optimizer step since the
                // last evaluation would score the same, so they are not evaluated again.
                evaluator.submit(step: durable.step, weights: trainer.model)
                evaluatedAtOptimizerStep = trainer.optimizer.step
            }
            let evals = try evaluator?.collect() ?? []
            if let last = evals.last { state.evalGreedyAccuracy = last.accuracy }
            var problems = [step.problem]
            for e in evals { problems.append(health.record(evalAccuracy: e.accuracy, step: e.step)) }
            let snapshot: TrainingStatus = statusLock.withLock {
                _status.step = durable.step
                _status.version = state.version
                _status.groupsTrained = durable.groupsTrained
                if !weightsChanged { _status.stepsWithoutSignal += 1 }
                _status.stepSeconds = stepSeconds
                _status.publishSeconds = publishSeconds
                _status.updated = weightsChanged
                _status.tokensPerSecond = step.throughput.tokensPerSecond
                _status.trainedTokens = step.throughput.trainedTokens
                _status.updateSeconds = step.throughput.seconds
                _status.health = health.report
                _status.stoppedBy = health.stopProblem
                if let last = evals.last { _status.recordEvaluation(last) }
                _status.reward = step.reward
                _status.accuracy = step.accuracy
                _status.meanStaleness = step.meanStaleness
                _status.metrics = step.update.metrics
                let m = step.update.metrics
                _history.append(HistoryPoint(step: _status.step, version: _status.version, time: Date().timeIntervalSince1970,
                                             groupsTrained: _status.groupsTrained, reward: _status.reward, accuracy: _status.accuracy,
                                             evalGreedyAccuracy: evals.last?.accuracy, evalStep: evals.last?.step,
                                             meanStaleness: _status.meanStaleness,
                                             ratioQ99: m?.ratioQ99, ratioQ999: m?.ratioQ999, ratioMax: m?.ratioMax,
                                             klBehaviour: m?.klBehaviourK3, entropy: m?.entropy, lambda: m?.lambda,
                                             updated: weightsChanged, tokensPerSecond: _status.tokensPerSecond, stepSeconds: stepSeconds,
                                             publishSeconds: publishSeconds))
                _status.rewardComponents = ingest.rewards.takeWindow()
                _history[_history.count - 1].rewardComponents = _status.rewardComponents
                if let last = evals.last { _history[_history.count - 1].recordSampled(last) }
                if _history.count > Self.historyLimit { _history.removeFirst(_history.count - Self.historyLimit) }
                return _status
            }
            if durable.step % config.checkpointEvery == 0 { try checkpoint() }
            onStep?(snapshot)
            for p in problems.compactMap({ $0 }) { warn(p) }
            if health.shouldStop { break }
            if let last = evals.last, let e = config.targetMetric == "sampled" ? last.sampledAccuracy : last.accuracy,
               e >= config.target, config.target <= 1 { reachedTarget = true; break }
        }
        try publisher.drain()
        publisher.close()
        // An evaluation still running is waited for; after a stop at the target it is not
        // reported, so the accuracy shown is the one that reached the target.
        let final = try evaluator?.finish() ?? []
        if !reachedTarget, let last = final.last {
            state.evalGreedyAccuracy = last.accuracy
            statusLock.withLock {
                _status.recordEvaluation(last)
                if !_history.isEmpty {
                    _history[_history.count - 1].evalGreedyAccuracy = last.accuracy
                    _history[_history.count - 1].recordSampled(last)
                    _history[_history.count - 1].evalStep = last.step
                }
            }
        }
        try checkpoint()
    }

    /// Reports `p` (log line or `onProblem`).
    private func warn(_ p: HealthProblem) {
        if let onProblem { onProblem(p) } else {
            FileHandle.standardError.write(Data("learner: warning: \(p.message)\(p.stops ? " Training stops." : "")\n".utf8))
        }
    }

    /// Dynamic sampling filtered groups and none had signal: they count as trained (no update,
    /// no step, no batch dump) and every `batchSize` of them as one batch without signal.
    private func noSignalRounds(_ filtered: [BufferedGroup], batchSize: Int) {
        durable.groupsTrained += filtered.count
        durable.trainedThrough = max(durable.trainedThrough, (filtered.map(\.sequence).max() ?? 0) + 1)
        let problem = TrainingStep.recordNoSignalRound(filtered.map(\.group), batchSize: batchSize, step: durable.step, health: &health)
        statusLock.withLock {
            _status.groupsTrained = durable.groupsTrained
            _status.health = health.report
            _status.stoppedBy = health.stopProblem
        }
        if let problem { warn(problem) }
    }

    /// The groups of the next step, oldest first, or nil when shutting down: taken from the ingest
    /// actor under the refill rule (BatchFill.swift). With dynamic sampling (ALGORITHMS.md §4.6) a
    /// group whose samples all scored alike carries no signal: it is taken and counts as trained
    /// (`filtered`), and more groups are taken until the batch holds `count` groups with signal —
    /// or, when `no_signal_batches` × `count` groups in a row had none, an empty batch with them
    /// (batches without signal, for LearningHealth). The actor takes the groups under the rule's
    /// rule itself (`takeBatch(filling:)`), so the verdict is the rule's.
    private func nextBatch(_ count: Int) -> (batch: [BufferedGroup], filtered: [BufferedGroup])? {
        let ingest = self.ingest
        var fill = BatchFill<BufferedGroup>(count: count, dynamicSampling: trainer.settings.objective.dynamicSampling,
                                            noSignalBatches: config.noSignalBatches)
        if fill.filtering {
            let start = fill
            fill = Blocking.wait { await ingest.takeBatch(filling: start) }
        } else {
            for g in Blocking.wait({ await ingest.takeBatch(count) }) { fill.offer(g, hasSignal: true) }
        }
        switch fill.state {
        case .full: return (fill.batch, fill.filtered)
        case .gaveUp: return ([], fill.filtered)
        case .needMore: return nil   // shutting down
        }
    }

    /// Writes a checkpoint with the learner's state and drops log segments it covers.
    func checkpoint() throws {
        let debug = ProcessInfo.processInfo.environment["TRIBUTARY_DEBUG"] != nil
        let c0 = Date()
        func phase(_ s: String) { if debug { FileHandle.standardError.write(Data("checkpoint: \(s) +\(Date().timeIntervalSince(c0))\n".utf8)) } }
        let ingest = self.ingest
        let (leases, walNext, nextWorker) = Blocking.wait { await ingest.checkpointView() }
        phase("snapshot")
        durable.leases = leases
        durable.walNext = walNext
        durable.nextWorkerID = nextWorker
        var st = state
        st.update = trainer.settings
        st.objectiveState = trainer.objectiveState
        st.learner = durable
        let dir = store.newCheckpointDirectory(version: state.version, step: durable.step)
        try FileManager.default.createDirectory(at: store.checkpoints, withIntermediateDirectories: true)
        try Checkpoint.save(to: dir, model: trainer.model, optimizer: trainer.optimizer,
                            vocab: task.tokenizer.vocabulary, trainerState: try st.encoded(),
                            extraFiles: try task.tokenizer.checkpointFiles())
        phase("saved")
        try store.markLatest(dir)
        phase("latest")
        let through = durable.trainedThrough
        try Blocking.wait { () async -> Result<Void, Error> in
            do { try await ingest.checkpointed(trainedThrough: through); return .success(()) } catch { return .failure(error) }
        }.get()
        statusLock.withLock {
            _status.lastCheckpoint = dir.path
            _status.lastCheckpointStep = durable.step
        }
    }
}

extension TrainerState {
    /// The learner daemon's own state in a checkpoint's trainer state (kept there as JSON under
    /// "learner": Training does not know the daemon's types). Nil when absent or unreadable.
    package var learner: LearnerDurableState? {
        get { learnerState.flatMap { try? $0.decode(LearnerDurableState.self) } }
        set { learnerState = newValue.flatMap { try? JSONValue(encoding: $0) } }
    }
}
