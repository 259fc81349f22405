// A pretrained model through the real binary: a small Llama wearing SmolLM2's tokenizer and chat
// template (the real 135M model would make the test minutes long) is the `--init` of `train` on a
// chat jsonl task; the run's checkpoint carries the tokenizer files, and `eval` and `generate`
// read it back. Skipped when the SmolLM2 GGUF (its tokenizer) is absent.

import Foundation
import ModelFiles
import Policy
import Pretrained
import XCTest

final class PretrainedRunTests: XCTestCase {
    func testTrainEvalAndGenerateFromAPretrainedInit() throws {
        guard let gguf = BundledModels.smolLM2() else { throw XCTSkip("SmolLM2 GGUF not found (make deps installs it)") }
        let dir = Binary.tempDir(self)
        let tokenizer = try ModelTokenizer(gguf: GGUFFile(contentsOf: gguf))
        let cfg = try ModelConfig(huggingFaceConfig: Data(#"""
            {"model_type": "llama", "vocab_size": 49152, "hidden_size": 32, "intermediate_size": 48,
             "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
             "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true}
            """#.utf8))
        let model = dir.appendingPathComponent("tiny-llama")
        try Checkpoint.save(to: model, model: try GPT(config: cfg, seed: 3), optimizer: nil, vocab: tokenizer.vocabulary,
                            trainerState: nil, extraFiles: try tokenizer.checkpointFiles())
        let data = dir.appendingPathComponent("sums.jsonl")
        try (0..<40).map { #"{"prompt": "What is \#($0) plus 1?", "answer": \#($0 + 1)}"# }.joined(separator: "\n")
            .write(to: data, atomically: true, encoding: .utf8)
        let task = "jsonl:path=\(data.path),chat=true,max_new_tokens=6"
        let run = dir.appendingPathComponent("run")

        let train = try Binary.run(["train", "--init", model.path, "--task", task, "--steps", "2", "--prompts-per-step", "4",
                                    "--group-size", "4", "--eval-every", "2", "--eval-size", "8", "--out", run.path])
        XCTAssertTrue([0, 3].contains(train.status), "train: \(train.stderr)")
        let checkpoint = run.appendingPathComponent("checkpoint")
        for f in ["tokenizer.json", "tokenizer_config.json", "generation_config.json", "trainer_state.json", "optimizer.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent(f).path), f)
        }
        let reloaded = try ModelTokenizer.load(checkpoint)
        XCTAssertEqual(try reloaded.encode("What is 7 plus 1?"), try tokenizer.encode("What is 7 plus 1?"))

        let eval = try Binary.run(["eval", "--checkpoint", run.path, "--samples", "8", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let result = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        let held = try XCTUnwrap(result?["prompts"] as? Int, eval.stdout)
        XCTAssertTrue((1...8).contains(held), "the run's own chat task (its held-out rows), from its trainer state: \(eval.stdout)")

        let gen = try Binary.run(["generate", "--checkpoint", checkpoint.path, "--chat", "--prompt", "What is 2 plus 1?",
                                  "--max-new-tokens", "5", "--json", "--seed", "1"])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        let out = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(gen.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(out["promptTokens"] as? [Int], try tokenizer.encodeChat([.init(role: "user", content: "What is 2 plus 1?")]))
        XCTAssertLessThanOrEqual((out["tokens"] as? [Int])?.count ?? 99, 5)
        XCTAssertEqual((out["logProbs"] as? [Double])?.count, (out["tokens"] as? [Int])?.count)

        // A digit task cannot run on a pretrained tokenizer: a clear error, not a crash.
        let wrong = try Binary.run(["train", "--init", model.path, "--task", "reverse", "--steps", "1", "--out", dir.appendingPathComponent("x").path])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("own character vocabulary"), wrong.stderr)
    }
}
