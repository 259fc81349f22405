// Tributary's own state in a checkpoint (`trainer_state.json`, MODEL.md): what trained the
// weights and where training stands, so `train --init`, `replay` and `eval` can continue
// or reproduce it. Also the run-directory convention shared by the subcommands.

import Foundation
import Objectives
import Policy
import Pretrained
import Rollout
import Tasks
import Tensor

/// The contents of `trainer_state.json`.
package struct TrainerState: Codable, Sendable, Equatable {
    /// "pretrain" or "train".
    package var phase: String
    package var task: TaskSpec
    package var preset: String
    package var seed: UInt64
    /// Optimizer updates (batches) applied in this phase.
    package var step: Int
    /// Policy version: increases by one per update that changed the weights (TrainingStep.swift).
    package var version: PolicyVersion
    /// Next training prompt index.
    package var promptCursor: Int
    package var evalGreedyAccuracy: Double?
    /// The update settings in force (train phase).
    package var update: UpdateSettings?
    /// Sampler RNG state, so a resumed run continues the same stream.
    package var samplerRNG: Xoshiro256?
    /// The objective's cross-step state (R²VPO's λ, EMAs), restored on resume and replay.
    package var objectiveState: ObjectiveState?
    /// The learner daemon's own state (leases, log coverage), in its checkpoints, as JSON: its
    /// type lives above Training (Learner's `TrainerState.learner` reads and writes it typed).
    package var learnerState: JSONValue?

    private enum CodingKeys: String, CodingKey {
        case phase, task, preset, seed, step, version, promptCursor, evalGreedyAccuracy, update, samplerRNG, objectiveState
        case learnerState = "learner"
    }

    package init(phase: String, task: TaskSpec, preset: String, seed: UInt64, step: Int = 0, version: PolicyVersion = .initial,
                promptCursor: Int = 0, evalGreedyAccuracy: Double? = nil, update: UpdateSettings? = nil,
                samplerRNG: Xoshiro256? = nil) {
        self.phase = phase; self.task = task; self.preset = preset; self.seed = seed; self.step = step
        self.version = version; self.promptCursor = promptCursor; self.evalGreedyAccuracy = evalGreedyAccuracy
        self.update = update; self.samplerRNG = samplerRNG
    }

    package func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    package static func decode(_ data: Data, path: String) throws -> TrainerState {
        do { return try JSONDecoder().decode(TrainerState.self, from: data) } catch {
            throw RunError("\(path)/trainer_state.json is not a Tributary trainer state: \(error)")
        }
    }
}

/// A user-facing error from a subcommand (printed as is).
package struct RunError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Run directories: `DIR/checkpoint` (latest), `DIR/checkpoints/step-NNNNNN` (periodic),
/// `DIR/metrics.jsonl`. Commands accept either a run directory or a checkpoint directory.
package enum RunDirectory {
    package static func checkpoint(_ run: URL) -> URL { run.appendingPathComponent("checkpoint") }
    package static func periodic(_ run: URL, step: Int) -> URL {
        run.appendingPathComponent("checkpoints").appendingPathComponent(String(format: "step-%06d", step))
    }
    package static func metrics(_ run: URL) -> URL { run.appendingPathComponent("metrics.jsonl") }

    /// `path` itself if it holds `model.safetensors`, else `path/checkpoint`.
    package static func resolveCheckpoint(_ path: URL) throws -> URL {
        let fm = FileManager.default
        if fm.fileExists(atPath: path.appendingPathComponent(Checkpoint.modelFile).path) { return path }
        let inner = checkpoint(path)
        if fm.fileExists(atPath: inner.appendingPathComponent(Checkpoint.modelFile).path) { return inner }
        throw RunError("\(path.path) is neither a checkpoint directory (no \(Checkpoint.modelFile)) nor a run directory with checkpoint/")
    }

    /// Loads a checkpoint with its trainer state and checks its vocabulary against `task`.
    package static func load(_ path: URL, task: (any VerifiableTask)? = nil) throws -> (LoadedCheckpoint, TrainerState?, URL) {
        let dir = try resolveCheckpoint(path)
        let ck = try Checkpoint.load(from: dir)
        let state = try ck.trainerState.map { try TrainerState.decode($0, path: dir.path) }
        if let task { try checkVocabulary(ck, dir: dir, task: task) }
        return (ck, state, dir)
    }

    /// Loads a checkpoint and the task it is used with: `taskSpec` if given, else the task
    /// recorded in its trainer state, else the default task; the vocabularies must agree.
    /// `path` may also be a pretrained model (a GGUF file or a Hugging Face directory,
    /// docs/models.md): the task then speaks the model's tokenizer.
    package static func load(_ path: URL, taskSpec: String?) throws -> (LoadedCheckpoint, TrainerState?, URL, any VerifiableTask) {
        let spec = try taskSpec.map(TaskSpec.init(parsing:))
        // A checkpoint that `train` or a learner wrote from a pretrained model has a trainer state
        // (weights, optimizer, step); an imported or downloaded model has none.
        let trained = (try? resolveCheckpoint(path)).map {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent(Checkpoint.trainerStateFile).path)
        } ?? false
        if !trained, PretrainedModel.isPretrained(path) {
            let m = try PretrainedModel.load(path)
            let ck = LoadedCheckpoint(model: m.model, optimizer: nil, vocab: m.tokenizer.vocabulary, trainerState: nil)
            let task = try (spec ?? TaskSpec.default).makeTask(tokenizer: m.tokenizer, maxPositions: m.model.config.nPositions)
            return (ck, nil, path, task)
        }
        let (ck, state, dir) = try load(path)
        let task = try makeTask(spec ?? state?.task ?? TaskSpec.default, checkpoint: dir, model: ck.model)
        try checkVocabulary(ck, dir: dir, task: task)
        return (ck, state, dir, task)
    }

    /// `spec`'s task for the model of checkpoint `dir`: in the model's own tokenizer when the
    /// checkpoint carries one (tokenizer.json: a pretrained model), else the task's own vocabulary.
    package static func makeTask(_ spec: TaskSpec, checkpoint dir: URL, model: GPT) throws -> any VerifiableTask {
        if let tokenizer = try ModelTokenizer.load(directory: dir) {
            return try spec.makeTask(tokenizer: tokenizer, maxPositions: model.config.nPositions)
        }
        return try spec.makeTask(maxPositions: model.config.nPositions)
    }

    static func checkVocabulary(_ ck: LoadedCheckpoint, dir: URL, task: any VerifiableTask) throws {
        guard ck.vocab == task.tokenizer.vocabulary else {
            throw RunError("\(dir.path)/vocab.json has a different vocabulary (\(ck.vocab.count) tokens) than task '\(task.spec)' (\(task.tokenizer.vocabSize) tokens): the checkpoint belongs to another task")
        }
    }
}
