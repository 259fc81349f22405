// Assembles a learner from its configuration and state directory: restores the newest
// checkpoint and every acknowledged-but-untrained group from the write-ahead log (or starts
// from the initial checkpoint), then exposes the ingest actor and the training loop.
// `LocalEndpoint` serves the worker RPCs in-process.

import Foundation
import Objectives
import Policy
import Tasks
import Training
import Wire

package final class LearnerNode: Sendable {
    package let config: LearnerConfig
    package let task: any VerifiableTask
    package let ingest: IngestState
    package let training: TrainingLoop
    package let store: LearnerStateStore
    package let modelConfig: Policy.ModelConfig
    /// Groups restored from the write-ahead log at start-up.
    package let restoredGroups: Int
    /// The objective's GHPO hint stages (`ghpo_stages`), a rollout setting every Welcome carries.
    package let ghpoStages: Int

    private init(config: LearnerConfig, task: any VerifiableTask, ingest: IngestState, training: TrainingLoop,
                 store: LearnerStateStore, modelConfig: Policy.ModelConfig, restoredGroups: Int, ghpoStages: Int) {
        self.config = config; self.task = task; self.ingest = ingest; self.training = training
        self.store = store; self.modelConfig = modelConfig; self.restoredGroups = restoredGroups
        self.ghpoStages = ghpoStages
    }

    /// Opens (or creates) the state directory and restores everything durable. `clock` times
    /// every deadline and timer of ingestion (leases, long polls, idle workers, rates); tests
    /// pass a manual one.
    package static func open(_ config: LearnerConfig, clock: any LearnerClock = SystemClock()) async throws -> LearnerNode {
        try config.validate()
        let spec = try config.taskSpec()
        let store = LearnerStateStore(root: URL(fileURLWithPath: config.stateDir))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        var objective = try ObjectiveConfig.parse(name: config.objective,
                                                  overrides: ObjectiveConfig.parseOverrides(config.objectiveSet))
        objective.name = config.objective
        var model: GPT, optimizer: AdamW?, state: TrainerState, durable: LearnerDurableState
        let task: any VerifiableTask
        if let dir = store.latestCheckpoint() {
            let ck = try Checkpoint.load(from: dir)
            task = try RunDirectory.makeTask(spec, checkpoint: dir, model: ck.model)
            guard ck.vocab == task.tokenizer.vocabulary else {
                throw RunError("\(dir.path) was trained on another vocabulary than task '\(spec)'")
            }
            guard let data = ck.trainerState, let st = try? TrainerState.decode(data, path: dir.path), let d = st.learner else {
                throw RunError("\(dir.path)/trainer_state.json has no learner state: not a learner checkpoint")
            }
            model = ck.model; optimizer = ck.optimizer; state = st; durable = d
        } else if let initPath = config.initCheckpoint {
            let (ck, _, _, t) = try RunDirectory.load(URL(fileURLWithPath: initPath), taskSpec: spec.canonical)
            task = t
            model = ck.model; optimizer = nil
            state = TrainerState(phase: "learner", task: task.spec, preset: config.preset, seed: config.seed)
            durable = LearnerDurableState(leases: LeaseBook(), trainedThrough: 0, walNext: 0, nextWorkerID: 1, step: 0)
        } else {
            task = try spec.makeTask()
            model = try GPT(config: Policy.ModelConfig.preset(config.preset, vocabSize: task.tokenizer.vocabSize), seed: config.seed)
            optimizer = nil
            state = TrainerState(phase: "learner", task: task.spec, preset: config.preset, seed: config.seed)
            durable = LearnerDurableState(leases: LeaseBook(), trainedThrough: 0, walNext: 0, nextWorkerID: 1, step: 0)
        }
        // Versions and steps never go backwards, even when the last checkpoint is older than
        // the last published version: the restored weights get a fresh version number.
        // Batch dumps of steps the checkpoint does not cover are removed first: those steps
        // are trained again (from the write-ahead log) under new step numbers.
        if !config.dumpBatches.isEmpty {
            try BatchDumps.prepare(URL(fileURLWithPath: config.dumpBatches), durableStep: durable.step)
        }
        // The floor also records steps that published nothing (no optimizer step), so the step
        // counter moves forward past them even when the version stays.
        let floor = store.versionFloor()
        if floor.version > state.version { state.version = floor.version.next }
        durable.step = max(durable.step, floor.step)
        var opts = TrainOptions.defaults(preset: state.preset)
        if config.learningRate > 0 { opts.update.optimizer.learningRate = config.learningRate }
        opts.update.epochs = config.epochs
        opts.update.minibatches = config.minibatches
        opts.update.objective = objective
        let trainer = try PolicyTrainer(model: model, optimizer: optimizer, settings: opts.update,
                                        objectiveState: state.objectiveState)
        let (ingest, restored) = try await IngestState.restore(config: config, task: task, vocabSize: model.config.vocabSize,
                                                               durable: durable, version: state.version,
                                                               walDirectory: store.walDirectory,
                                                               hadCheckpoint: store.latestCheckpoint() != nil, clock: clock)
        let mc = model.config
        let training = TrainingLoop(ingest: ingest, store: store, config: config, task: task, trainer: trainer,
                                    state: state, durable: durable)
        try await training.publishCurrent()
        return LearnerNode(config: config, task: task, ingest: ingest, training: training, store: store,
                           modelConfig: mc, restoredGroups: restored, ghpoStages: objective.ghpoStages)
    }

    /// The model's `config.json` as `Welcome.modelConfigJSON` carries it (nil only if it cannot be encoded).
    package var modelConfigJSON: [UInt8]? { (try? modelConfig.configJSON()).map { [UInt8]($0) } }

    /// The Welcome a registering worker receives.
    package func welcome(workerID: UInt64) async -> Welcome {
        let v = await ingest.version
        let m = modelConfig.wireShape
        return Welcome(workerId: workerID, taskSpec: task.spec.canonical, model: m, groupSize: UInt32(config.groupSize),
                       temperature: config.temperature, topK: UInt32(config.topK),
                       maxCompletionTokens: UInt32(task.maxCompletionTokens),
                       maxMessageBytes: UInt32(RPCMethod.submit.maxRequestBytes),   // the limit `/Submit` enforces
                       maxGroupsPerSubmit: 64, leaseDurationMs: UInt32(config.leaseSeconds * 1000), policyVersion: v.wire,
                       promptSeed: config.seed, modelConfigJSON: modelConfigJSON, ghpoStages: UInt32(max(0, ghpoStages)))
    }
}
