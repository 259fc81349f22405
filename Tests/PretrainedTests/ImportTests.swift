// Import and round trip: a GGUF written out as a checkpoint directory reads back as the same
// model and tokenizer; text tasks in the model's tokenizer; typed errors for what is not a model.

import Foundation
import ModelFiles
import Policy
import Pretrained
import Rewards
import Tasks
import Tensor
import XCTest

final class ImportTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pretrained-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func smolLM2() throws -> PretrainedModel {
        if let m = SmolLM2ReferenceTests.loaded { return m }
        guard let url = BundledModels.smolLM2() else { throw XCTSkip("SmolLM2 GGUF not found") }
        let m = try PretrainedModel.load(url)
        SmolLM2ReferenceTests.loaded = m
        return m
    }

    func testCheckpointRoundTripKeepsWeightsTokenizerAndTemplate() throws {
        let m = try smolLM2()
        let out = dir.appendingPathComponent("smol")
        try m.save(to: out)
        for f in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), f)
        }
        XCTAssertTrue(PretrainedModel.isPretrained(out))
        let back = try PretrainedModel.load(out)
        XCTAssertEqual(back.report.format, "huggingface")
        XCTAssertEqual(back.report.storedTypes, ["F32": 272], "an imported checkpoint stores every tensor as F32")
        XCTAssertEqual(back.model.config, m.model.config)
        XCTAssertTrue(back.model.params.toArray() == m.model.params.toArray(), "F32 weights survive exactly")
        let turns = [ChatTurn(role: "user", content: "Spell 1234 and 😀 — ok?")]
        XCTAssertEqual(try back.tokenizer.encodeChat(turns), try m.tokenizer.encodeChat(turns))
        XCTAssertEqual(back.tokenizer.end, m.tokenizer.end)
        XCTAssertEqual(back.tokenizer.addBOS, m.tokenizer.addBOS)
    }

    func testTextTaskSpeaksTheModelsTokenizerAndJudgesText() throws {
        let m = try smolLM2()
        let rows = (0..<30).map { #"{"prompt": "What is \#($0) plus 2?", "answer": \#($0 + 2), "level": 1}"# }
            + [#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}], "answer": "hi"}"#]
        let path = dir.appendingPathComponent("t.jsonl").path
        try rows.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let task = try TaskSpec(parsing: "jsonl:path=\(path),chat=true,max_new_tokens=16")
            .makeTask(tokenizer: m.tokenizer, maxPositions: m.model.config.nPositions)
        XCTAssertEqual(task.maxCompletionTokens, 16)
        XCTAssertEqual(task.tokenizer.vocabSize, 49152)
        let p = task.prompt(seed: 0, index: 0, split: .train)
        let turns = p.question.hasPrefix("system:")
            ? [ChatTurn(role: "system", content: "Be brief."), ChatTurn(role: "user", content: "Say hi.")]
            : [ChatTurn(role: "user", content: p.question)]
        XCTAssertEqual(p.tokens, try m.tokenizer.encodeChat(turns))
        // Judged on text: the answer spelled by any tokenization, with or without the end token.
        let spelled = try m.tokenizer.encode(p.answer)
        XCTAssertTrue(task.verify(prompt: p, completion: spelled + [m.tokenizer.end]).correct)
        let byCharacters = try p.answer.map { try m.tokenizer.encode(String($0)) }.flatMap { $0 }
        XCTAssertTrue(task.verify(prompt: p, completion: byCharacters).correct)
        XCTAssertFalse(task.verify(prompt: p, completion: try m.tokenizer.encode("no")).correct)
        // Digit tasks keep their own vocabulary.
        XCTAssertThrowsError(try TaskSpec(parsing: "reverse").makeTask(tokenizer: m.tokenizer)) {
            XCTAssertEqual($0 as? TaskSpecError, .ownVocabulary(task: "reverse"))
        }
        // Without chat, a messages row is an error naming the line.
        XCTAssertThrowsError(try TaskSpec(parsing: "jsonl:path=\(path)").makeTask(tokenizer: m.tokenizer)) {
            XCTAssertEqual($0 as? JSONLError, .messagesNeedChat(path: path, line: 31))
        }
    }

    /// The shipped arithmetic chat task with its composite reward (examples/arith-chat.toml) in
    /// SmolLM2's tokenizer: the row's metadata reaches the rewards, and scores are as documented.
    func testArithChatCompositeRewardOnTheModelsTokenizer() throws {
        let m = try smolLM2()
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let rewards = #"[{"name":"numeric","from":"any","weight":0.5},{"name":"format","pattern":"-?\\d+","weight":0.5}]"#
        let task = try TaskSpec(parsing: "jsonl:path=\(repo.path)/examples/tasks/arith-chat.jsonl,chat=true,max_new_tokens=16,rewards=\(rewards)")
            .makeTask(tokenizer: m.tokenizer, maxPositions: m.model.config.nPositions)
        let p = task.prompt(seed: 0, index: 3, split: .eval)
        let input = task.rewardInput(prompt: p, completion: try m.tokenizer.encode("The sum is \(p.answer).") + [m.tokenizer.end])
        XCTAssertEqual(input.completion, "The sum is \(p.answer).")
        XCTAssertEqual(input.row.answer?.intValue, Int(p.answer))
        let a = try XCTUnwrap(input.row.metadata["a"]?.intValue), b = try XCTUnwrap(input.row.metadata["b"]?.intValue)
        XCTAssertEqual(a + b, Int(p.answer), "metadata a and b reach the rewards")
        func verdict(_ text: String) throws -> Verdict { task.verify(prompt: p, completion: try m.tokenizer.encode(text) + [m.tokenizer.end]) }
        XCTAssertEqual(try verdict(p.answer), Verdict(reward: 1, correct: true))
        XCTAssertEqual(try verdict("The sum is \(p.answer)."), Verdict(reward: 0.5, correct: false))
        XCTAssertEqual(try verdict("\(a + b + 1)"), Verdict(reward: 0.5, correct: false))
        XCTAssertEqual(try verdict("I cannot say."), Verdict(reward: 0, correct: false))
    }

    func testWhatIsNotAModelIsATypedError() throws {
        let text = dir.appendingPathComponent("notes.txt")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PretrainedModel.load(text)) {
            XCTAssertEqual($0 as? PretrainedError, .notAModel(path: text.path))
        }
        XCTAssertThrowsError(try PretrainedModel.load(dir)) {
            XCTAssertEqual($0 as? PretrainedError, .notAModel(path: dir.path))
        }
        let corrupt = dir.appendingPathComponent("bad.gguf")
        try Data("GGUF\u{3}\0\0\0".utf8).write(to: corrupt)
        XCTAssertThrowsError(try PretrainedModel.load(corrupt)) { XCTAssertTrue($0 is GGUFError, "\($0)") }
    }

    func testTokenizerLargerThanTheEmbeddingIsRejected() throws {
        let m = try smolLM2()
        // A tiny Llama with 300 embedding rows wearing SmolLM2's 49,152-token tokenizer.
        let cfg = try ModelConfig(huggingFaceConfig: Data(#"""
            {"model_type": "llama", "vocab_size": 300, "hidden_size": 32, "intermediate_size": 48,
             "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
             "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true}
            """#.utf8))
        let small = try GPT(config: cfg, seed: 1)
        let out = dir.appendingPathComponent("mismatch")
        try Checkpoint.save(to: out, model: small, optimizer: nil, vocab: [:], trainerState: Data("{}".utf8),
                            extraFiles: try m.tokenizer.checkpointFiles())
        XCTAssertThrowsError(try PretrainedModel.load(out)) {
            XCTAssertEqual($0 as? PretrainedError, .vocabularyMismatch(path: out.path, tokenizer: 49152, model: 300))
        }
    }
}
