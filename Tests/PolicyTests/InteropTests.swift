// Interop: a checkpoint written by Tributary is read by an independent NumPy implementation
// (Tests/interop/numpy_gpt2.py), which must reproduce our log-probs.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class InteropTests: XCTestCase {
    /// The repository root, located from this file's path (Tests/PolicyTests/InteropTests.swift).
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func runScript(_ dir: URL, extra: [String] = []) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.repoRoot.appendingPathComponent("Tests/interop/numpy_gpt2.py").path, dir.path] + extra
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }

    func testNumPyReproducesLogProbsOfASavedCheckpoint() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 20)
        let model = try GPT(config: cfg, seed: 21)
        let opt = AdamW(layout: model.layout, config: AdamWConfig(learningRate: 1e-2, weightDecay: 0.1))
        var rng = Xoshiro256(seed: 4)
        let B = 3, T = 16
        let tokens: [Int32] = (0..<(B * T)).map { _ in Int32(rng.next() % 20) }
        for _ in 0..<3 {
            try model.forward(tokens: tokens, batch: B, length: T)
            model.zeroGradients()
            try model.backward(dLogProbs: (0..<(B * T)).map { $0 % T == 0 ? 0 : -1 / Float(B * (T - 1)) })
            try opt.update(model)
        }
        let lp = try model.forward(tokens: tokens, batch: B, length: T)
        let dir = try makeTempDir().appendingPathComponent("ckpt")
        try Checkpoint.save(to: dir, model: model, optimizer: opt,
                            vocab: Dictionary(uniqueKeysWithValues: (0..<20).map { ("w\($0)", $0) }),
                            trainerState: Data("{}".utf8))
        try SafeTensorsFile(tensors: ["tokens": TensorData(int32s: tokens, shape: [B, T]),
                                      "logprobs": TensorData(floats: lp, shape: [B, T])])
            .write(to: dir.appendingPathComponent("interop_inputs.safetensors"))
        let (status, output) = try runScript(dir)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("max abs difference"), output)
        // Kept for `make interop-hf` (Tests/interop/hf_check.py: the same check through
        // transformers' GPT2LMHeadModel.from_pretrained, which needs torch).
        let kept = Self.repoRoot.appendingPathComponent(".build/artifacts/interop-checkpoint")
        try? FileManager.default.removeItem(at: kept)
        try FileManager.default.createDirectory(at: kept.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir, to: kept)

        // The check is live: corrupted log-probs make the script fail.
        var bad = lp; bad[5] += 0.01
        try SafeTensorsFile(tensors: ["tokens": TensorData(int32s: tokens, shape: [B, T]),
                                      "logprobs": TensorData(floats: bad, shape: [B, T])])
            .write(to: dir.appendingPathComponent("interop_inputs.safetensors"))
        let (status2, output2) = try runScript(dir)
        XCTAssertNotEqual(status2, 0, output2)
    }
}
