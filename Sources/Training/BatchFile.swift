// Batch files (MODEL.md "Batch files and gradient files"): a training batch written as
// safetensors so that any update can be replayed (`tributary replay`) and inspected
// outside Tributary. Metadata records the learner's version, the objective and its
// hyper-parameters (JSON) and the tokenizer's pad/end ids.

import Foundation
import Rollout
import Tensor
import Objectives

/// A training batch as stored on disk, with the metadata needed to replay it.
package struct BatchFile: Sendable, Equatable {
    package var batch: TrainingBatch
    /// Learner policy version when the batch was trained.
    package var learnerVersion: PolicyVersion
    /// Objective (name and hyper-parameters) that was applied.
    package var objective: ObjectiveConfig
    package var padID: Int32
    package var endID: Int32
    /// Extra string metadata (training hyper-parameters such as epochs and minibatches).
    package var extra: [String: String]

    package init(batch: TrainingBatch, learnerVersion: PolicyVersion, objective: ObjectiveConfig, padID: Int32, endID: Int32,
                extra: [String: String] = [:]) {
        self.batch = batch; self.learnerVersion = learnerVersion; self.objective = objective
        self.padID = padID; self.endID = endID; self.extra = extra
    }

    /// Writes the batch tensors and metadata to `url`.
    package func write(to url: URL) throws {
        let b = batch
        let ns = [b.count, b.length]
        let json = try JSONEncoder.sorted.encode(objective)
        var meta = extra
        meta["format"] = "tributary-batch-v1"
        meta["learner_version"] = learnerVersion.description
        meta["objective"] = objective.name
        meta["objective_config"] = String(decoding: json, as: UTF8.self)
        meta["pad_id"] = String(padID)
        meta["end_id"] = String(endID)
        let file = SafeTensorsFile(tensors: [
            "tokens": TensorData(int32s: b.tokens, shape: ns),
            "loss_mask": TensorData(floats: b.lossMask, shape: ns),
            "behaviour_logprobs": TensorData(floats: b.behaviourLogProbs, shape: ns),
            "rewards": TensorData(floats: b.rewards, shape: [b.count]),
            "advantages": TensorData(floats: b.advantages, shape: [b.count]),
            "group_ids": TensorData(int32s: b.groupIDs, shape: [b.count]),
            "policy_versions": TensorData(int64s: b.versions.map { Int64(bitPattern: $0.rawValue) }, shape: [b.count]),
            "correct": TensorData(int32s: b.correct.map { $0 ? 1 : 0 }, shape: [b.count]),
        ].merging(b.hasDemonstrations ? [
            // Only when present, so batches without demonstrations keep the MODEL.md §6 layout.
            "demonstration": TensorData(int32s: b.demonstration.map { $0 ? 1 : 0 }, shape: [b.count]),
        ] : [:]) { a, _ in a }, metadata: meta, label: url.path)
        try file.write(to: url)
    }

    /// Reads a batch file, checking every tensor's shape and the metadata.
    package static func read(from url: URL) throws -> BatchFile {
        let f = try SafeTensorsFile.read(from: url)
        let tokensT = try f.tensor("tokens")
        guard tokensT.shape.count == 2 else {
            throw ObjectiveError.shapeMismatch("\(url.path): tokens must be [N, S], got \(tokensT.shape)")
        }
        let n = tokensT.shape[0], s = tokensT.shape[1]
        func meta(_ key: String) throws -> String {
            guard let v = f.metadata[key] else { throw ObjectiveError.invalidSetting("\(url.path): metadata '\(key)' missing") }
            return v
        }
        guard let version = UInt64(try meta("learner_version")).map({ PolicyVersion($0) }), let pad = Int32(try meta("pad_id")),
              let end = Int32(try meta("end_id")) else {
            throw ObjectiveError.invalidSetting("\(url.path): metadata learner_version/pad_id/end_id must be integers (learner_version ≥ 0)")
        }
        let objective: ObjectiveConfig
        do { objective = try JSONDecoder().decode(ObjectiveConfig.self, from: Data(try meta("objective_config").utf8)) } catch let e as ObjectiveError {
            throw e
        } catch {
            throw ObjectiveError.invalidSetting("\(url.path): metadata objective_config is not a valid objective: \(error)")
        }
        let correct = f.tensors["correct"] != nil ? try f.int32s("correct").map { $0 != 0 } : []
        let demonstration = f.tensors["demonstration"] != nil ? try f.int32s("demonstration").map { $0 != 0 } : nil
        if let demonstration, demonstration.count != n {
            throw ObjectiveError.shapeMismatch("\(url.path): demonstration must have \(n) entries, got \(demonstration.count)")
        }
        let batch = TrainingBatch(
            count: n, length: s, tokens: try f.int32s("tokens"),
            lossMask: try f.floats("loss_mask", shape: [n, s]),
            behaviourLogProbs: try f.floats("behaviour_logprobs", shape: [n, s]),
            rewards: try f.floats("rewards", shape: [n]), advantages: try f.floats("advantages", shape: [n]),
            groupIDs: try f.int32s("group_ids"), versions: try f.int64s("policy_versions").map { v in
                guard v >= 0 else { throw ObjectiveError.invalidSetting("\(url.path): policy_versions holds \(v); versions are ≥ 0") }
                return PolicyVersion(UInt64(v))
            },
            correct: correct.count == n ? correct : [Bool](repeating: false, count: n), demonstration: demonstration)
        guard batch.groupIDs.count == n, batch.versions.count == n else {
            throw ObjectiveError.shapeMismatch("\(url.path): group_ids/policy_versions must have \(n) entries")
        }
        var extra = f.metadata
        for k in ["format", "learner_version", "objective", "objective_config", "pad_id", "end_id"] { extra[k] = nil }
        return BatchFile(batch: batch, learnerVersion: version, objective: objective, padID: pad, endID: end, extra: extra)
    }
}

extension JSONEncoder {
    /// Deterministic JSON (sorted keys) so metadata is byte-stable.
    package static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
