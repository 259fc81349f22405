// `tributary replay`: applies exactly the update the learner applied for a dumped batch —
// all its epochs and minibatches, with the optimizer state from the checkpoint and the
// objective and hyper-parameters from the batch metadata — so any update can be reproduced
// and checked outside Tributary. Optionally writes the objective's gradient for the whole
// batch at the checkpoint's weights (MODEL.md "gradient file").

import ArgumentParser
import Foundation
import Learner
import Objectives
import Policy
import Tasks
import Tensor
import Training

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-apply the update of a dumped batch to a checkpoint.")

    @Option(help: "Checkpoint taken before the batch (train --checkpoint-every 1 keeps them).")
    var checkpoint: String

    @Option(help: "Batch file written by train --dump-batches.")
    var batch: String

    @Option(help: "Run directory for the updated checkpoint (checkpoint/).")
    var out: String

    @Option(help: "Objective preset to use instead of the one in the batch metadata.")
    var objective: String?

    @Option(help: "Write the objective's gradient (whole batch, checkpoint weights, before clipping) here.")
    var gradientsOut: String?

    @Option(help: "OpenBLAS threads (use the learner's count for bit-exact results).")
    var threads: Int = 2

    func run() throws {
        Blas.setThreads(threads)
        let (ck, state, dir) = try RunDirectory.load(URL(fileURLWithPath: checkpoint))
        guard let optimizer = ck.optimizer else {
            throw RunError("\(dir.path) has no optimizer.safetensors: replay needs the optimizer state the learner had")
        }
        let file = try BatchFile.read(from: URL(fileURLWithPath: batch))
        func extra(_ k: String) throws -> String {
            guard let v = file.extra[k] else { throw RunError("\(batch): metadata '\(k)' missing (not written by train --dump-batches?)") }
            return v
        }
        guard let seed = UInt64(try extra("shuffle_seed")), let epochs = Int(try extra("epochs")),
              let minibatches = Int(try extra("minibatches")), let clip = Float(try extra("grad_clip")) else {
            throw RunError("\(batch): metadata shuffle_seed/epochs/minibatches/grad_clip are not numbers")
        }
        var settings = state?.update ?? UpdateSettings(optimizer: optimizer.config)
        settings.epochs = epochs
        settings.minibatches = minibatches
        settings.gradClip = clip
        settings.skipZeroAdvantage = file.extra["skip_zero_advantage"] != "false"
        settings.optimizer = optimizer.config
        settings.objective = try objective.map { try ObjectiveConfig.preset($0) } ?? file.objective
        if let vocab = ck.model.config.vocabSize as Int?, file.batch.tokens.contains(where: { Int($0) >= vocab || $0 < 0 }) {
            throw RunError("\(batch): token ids outside the checkpoint's vocabulary of \(vocab)")
        }
        let trainer = try PolicyTrainer(model: ck.model, optimizer: optimizer, settings: settings,
                                        objectiveState: state?.objectiveState)
        if let g = gradientsOut {
            let res = try trainer.gradient(of: file.batch, learnerVersion: file.learnerVersion)
            try trainer.model.gradientsFile(metadata: ["objective": settings.objective.name,
                                                       "loss": String(res.loss)]).write(to: URL(fileURLWithPath: g))
        }
        let stats = try trainer.update(file.batch, learnerVersion: file.learnerVersion, shuffleSeed: seed)
        var st = state ?? TrainerState(phase: "train", task: TaskSpec.default, preset: "tiny", seed: 0)
        st.step += 1
        st.version = file.learnerVersion.next
        st.update = settings
        st.objectiveState = trainer.objectiveState
        let outDir = RunDirectory.checkpoint(URL(fileURLWithPath: out))
        try FileManager.default.createDirectory(at: outDir.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Checkpoint.save(to: outDir, model: trainer.model, optimizer: trainer.optimizer, vocab: ck.vocab,
                            trainerState: try st.encoded(), extraFiles: try Self.tokenizerFiles(of: dir))
        print("replay: \(file.batch.count) sequences, \(stats.optimizerSteps) optimizer steps (\(stats.skippedMinibatches) skipped), objective \(settings.objective.name) → \(outDir.path)")
    }

    /// A pretrained model's tokenizer files in checkpoint `dir` (none for a character-task checkpoint),
    /// carried into the replayed checkpoint unchanged.
    static func tokenizerFiles(of dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            let url = dir.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { files[name] = try Data(contentsOf: url) }
        }
        return files
    }
}
