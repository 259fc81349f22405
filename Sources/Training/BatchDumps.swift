// Batch dumps (the learner's `state.dump_batches`, `train --dump-batches`): every training
// batch written as a batch file (MODEL.md) before its update, named after the step it starts
// from, with what `tributary replay` needs to reproduce the update and the groups' prompt
// indices so that an audit can count which prompts were trained.
//
// A dump is part of the durable history only once a checkpoint covers its step: after a
// restart the learner trains the steps after its last checkpoint again (from the write-ahead
// log, under new step numbers when a later version had been published), so files of those
// steps left by the previous process are removed first (LearnerNode, before it restores).

import Foundation
import Objectives
import Rollout
import Tasks

/// Where and how training batches are dumped (file comment).
package enum BatchDumps {
    /// The file of the batch of the update that starts at `step`.
    package static func fileName(step: Int) -> String { String(format: "batch-%06d.safetensors", step) }

    /// Creates `dir` and removes files of steps at or after `durableStep`, the restored
    /// checkpoint's step (their updates were lost with the process; their groups are trained again).
    package static func prepare(_ dir: URL, durableStep: Int) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("batch-") && name.hasSuffix(".safetensors") {
            let digits = name.dropFirst("batch-".count).dropLast(".safetensors".count)
            if let step = Int(digits), step >= durableStep {
                try fm.removeItem(at: dir.appendingPathComponent(name))
            }
        }
    }

    /// Writes the batch of the update that starts at `step`: the replay metadata (shuffle seed,
    /// epochs, minibatches, zero-advantage skipping, gradient clip, step), `prompt_indices`, a
    /// JSON array in group order, and `filtered_prompt_indices`: the groups dynamic sampling
    /// took for this step but left out of the batch (no signal; they count as trained).
    package static func write(_ batch: TrainingBatch, groups: [RolloutGroup], filtered: [RolloutGroup] = [], to dir: URL, step: Int,
                      learnerVersion: PolicyVersion, settings: UpdateSettings, shuffleSeed: UInt64, tokenizer: any TaskTokenizer) throws {
        let extra = ["shuffle_seed": String(shuffleSeed), "epochs": String(settings.epochs),
                     "minibatches": String(settings.minibatches), "skip_zero_advantage": String(settings.skipZeroAdvantage),
                     "grad_clip": String(settings.gradClip), "step": String(step),
                     "prompt_indices": "[" + groups.map { String($0.promptIndex) }.joined(separator: ",") + "]",
                     "filtered_prompt_indices": "[" + filtered.map { String($0.promptIndex) }.joined(separator: ",") + "]"]
        try BatchFile(batch: batch, learnerVersion: learnerVersion, objective: settings.objective,
                      padID: Int32(tokenizer.pad), endID: Int32(tokenizer.end), extra: extra)
            .write(to: dir.appendingPathComponent(fileName(step: step)))
    }
}
