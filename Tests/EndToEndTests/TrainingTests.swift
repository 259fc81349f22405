// End-to-end training through the real binary: warm start, then GRPO must measurably learn;
// replay reproduces an update bit-for-bit; bad inputs are clear errors.

import Foundation
import XCTest

final class TrainingTests: XCTestCase {
    private func metrics(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// The learning claim of issue 2 at a smaller scale: from a ~30 % warm start on 6-digit
    /// `reverse`, default GRPO raises held-out greedy accuracy by a large measured margin.
    func testGRPOLearnsReverseFromAWarmStart() throws {
        let dir = Binary.tempDir(self)
        let pre = try Binary.run(["pretrain", "--out", dir.appendingPathComponent("pre").path, "--seed", "1"])
        XCTAssertEqual(pre.status, 0, pre.stderr)
        let train = try Binary.run(["train", "--init", dir.appendingPathComponent("pre").path,
                                    "--out", dir.appendingPathComponent("train").path,
                                    "--steps", "300", "--target", "0.9", "--seed", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let rows = try metrics(dir.appendingPathComponent("train/metrics.jsonl"))
        let evals = rows.compactMap { $0["evalGreedyAccuracy"] as? Double }
        XCTAssertFalse(evals.isEmpty)
        let start = try XCTUnwrap(Double(train.stdout.components(separatedBy: "start held-out greedy ").last?.prefix(while: { $0 != "%" }) ?? ""))
        XCTAssertLessThan(start, 40, "the warm start should be partially competent (~30 %)")
        XCTAssertGreaterThanOrEqual(evals.last!, 0.6, "held-out greedy accuracy after training: \(evals)")
        XCTAssertGreaterThan(evals.last! * 100 - start, 25, "measured gain too small: \(start)% → \(evals.last! * 100)%")
    }

    /// `replay` from the checkpoint taken before a dumped batch gives exactly the learner's weights.
    func testReplayReproducesTheUpdateBitForBit() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.05"]).status, 0)
        let run = dir.appendingPathComponent("train")
        let batches = dir.appendingPathComponent("batches")
        let t = try Binary.run(["train", "--init", pre, "--out", run.path, "--steps", "3", "--checkpoint-every", "1",
                                "--dump-batches", batches.path, "--eval-every", "100", "--no-skip-zero-advantage"])
        XCTAssertEqual(t.status, 0, t.stderr)
        for step in 0..<2 {
            let before = run.appendingPathComponent(String(format: "checkpoints/step-%06d", step)).path
            let after = run.appendingPathComponent(String(format: "checkpoints/step-%06d", step + 1))
            let out = dir.appendingPathComponent("replay-\(step)")
            let r = try Binary.run(["replay", "--checkpoint", before,
                                    "--batch", batches.appendingPathComponent(String(format: "batch-%06d.safetensors", step)).path,
                                    "--out", out.path, "--gradients-out", dir.appendingPathComponent("grad-\(step).safetensors").path])
            XCTAssertEqual(r.status, 0, r.stderr)
            for file in ["model.safetensors", "optimizer.safetensors"] {
                let mine = try Data(contentsOf: out.appendingPathComponent("checkpoint/\(file)"))
                let learners = try Data(contentsOf: after.appendingPathComponent(file))
                XCTAssertEqual(mine, learners, "\(file) after replaying batch \(step) differs from the learner's")
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("grad-\(step).safetensors").path))
        }
    }

    func testBadInputsAreClearErrors() throws {
        let dir = Binary.tempDir(self)
        let unknownTask = try Binary.run(["pretrain", "--out", dir.path, "--task", "juggle"])
        XCTAssertNotEqual(unknownTask.status, 0)
        XCTAssertTrue(unknownTask.stderr.contains("juggle"), unknownTask.stderr)
        let unknownPreset = try Binary.run(["pretrain", "--out", dir.path, "--preset", "huge"])
        XCTAssertNotEqual(unknownPreset.status, 0)
        XCTAssertTrue(unknownPreset.stderr.contains("huge") && unknownPreset.stderr.contains("tiny"), unknownPreset.stderr)
        let missing = try Binary.run(["eval", "--checkpoint", dir.appendingPathComponent("nope").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nope"), missing.stderr)
        // A checkpoint of another vocabulary: pretrain on `add`, evaluate on `reverse`.
        let add = dir.appendingPathComponent("add").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", add, "--task", "add:digits=2", "--target-accuracy", "0.0"]).status, 0)
        let wrongVocab = try Binary.run(["eval", "--checkpoint", add, "--task", "reverse"])
        XCTAssertNotEqual(wrongVocab.status, 0)
        XCTAssertTrue(wrongVocab.stderr.contains("vocabulary"), wrongVocab.stderr)
        // Truncated weights.
        let model = URL(fileURLWithPath: add).appendingPathComponent("checkpoint/model.safetensors")
        let bytes = try Data(contentsOf: model)
        try bytes.prefix(bytes.count / 2).write(to: model)
        let truncated = try Binary.run(["eval", "--checkpoint", add])
        XCTAssertNotEqual(truncated.status, 0)
        XCTAssertTrue(truncated.stderr.contains("model.safetensors"), truncated.stderr)
    }
}

final class ReplayObjectiveTests: XCTestCase {
    /// `replay --gradients-out` works for every objective preset, and the batch metadata names
    /// the objective and its hyper-parameters exactly as the learner used them.
    func testGradientsOutForEveryObjective() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.2"]).status, 0)
        let run = dir.appendingPathComponent("train"), batches = dir.appendingPathComponent("batches")
        let t = try Binary.run(["train", "--init", pre, "--out", run.path, "--steps", "1", "--checkpoint-every", "1",
                                "--dump-batches", batches.path, "--eval-every", "100", "--objective", "r2vpo",
                                "--objective-set", "delta=0.05"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let batch = batches.appendingPathComponent("batch-000000.safetensors")
        // The metadata carries the objective's exact configuration.
        let bytes = try Data(contentsOf: batch)
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as! [String: Any]
        let meta = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertEqual(meta["objective"], "r2vpo")
        let cfg = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(meta["objective_config"]).utf8)) as! [String: Any]
        XCTAssertEqual(cfg["delta"] as? Double ?? 0, 0.05, accuracy: 1e-7)
        XCTAssertEqual(cfg["bound"] as? String, "variance")

        let presets = ["grpo", "dr-grpo", "dapo", "gspo", "rloo", "ppo", "decoupled-ppo", "tis", "r2vpo", "r2vpo-decoupled",
                       "alp", "gbpo", "mhpo", "etr", "bnpo", "mdpo", "capo", "d3s"]
        for p in presets {
            let g = dir.appendingPathComponent("grad-\(p).safetensors")
            let r = try Binary.run(["replay", "--checkpoint", run.appendingPathComponent("checkpoints/step-000000").path,
                                    "--batch", batch.path, "--out", dir.appendingPathComponent("out-\(p)").path,
                                    "--objective", p, "--gradients-out", g.path])
            XCTAssertEqual(r.status, 0, "\(p): \(r.stderr)")
            let gb = try Data(contentsOf: g)
            XCTAssertGreaterThan(gb.count, 100_000, p)
            let gh = try JSONSerialization.jsonObject(with: gb.subdata(in: 8..<(8 + gb.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }))) as! [String: Any]
            XCTAssertNotNil(gh["transformer.wte.weight"], p)
            XCTAssertEqual((gh["__metadata__"] as? [String: String])?["objective"], p)
        }
    }
}
