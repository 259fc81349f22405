// The full objective through the real model matches central finite differences of the loss
// with respect to the weights (and ALP's log-scales), for GRPO, R²VPO and ALP. Stop-gradient
// quantities are held at their values at the unperturbed point (`detachedLogProbs`), which is
// exactly the gradient the kernel promises; ALP's noise is fixed by its (seed, step) key.

import Foundation
import XCTest
import Objectives
import Policy
import Tensor
@testable import Learner

final class ObjectiveThroughModelTests: XCTestCase {
    private func check(_ preset: String, overrides: [String: String] = [:], tensors: [String]) throws {
        let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
        let model = try GPT(config: cfg, seed: 7)
        var objective = try ObjectiveConfig.parse(name: preset, overrides: overrides)
        objective.name = preset
        let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0), objective: objective))
        // A batch of 4 sequences (2 groups), completions at positions 4…7; behaviour log-probs
        // near the model's own so ratios sit inside the clip window (no kinks).
        var rng = Xoshiro256(seed: 3)
        let (N, S) = (4, 8)
        let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % 12) }
        let lp0 = try model.forward(tokens: tokens, batch: N, length: S)
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<N { for t in 4..<S { mask[i * S + t] = 1 } }
        let beh = (0..<(N * S)).map { k in mask[k] * (lp0[k] + 0.03 * (rng.nextUniform() - 0.5)) }
        let batch = TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: beh,
                                  rewards: [1, 0, 0, 1], advantages: [1, -1, -1, 1], groupIDs: [0, 0, 1, 1],
                                  versions: [0, 0, 0, 0], correct: [true, false, false, true])
        let perturb: UInt64? = model.alp.enabled ? 0 : nil
        // Analytic gradient (what the trainer backpropagates), stop-gradient values fixed at lp.
        model.zeroGradients()
        var tb = batch.tokenBatch(learnerVersion: 0)
        let lp = try model.forward(tokens: tokens, batch: N, length: S, perturbStep: perturb)
        tb.entropy = model.entropies()
        let res = try objectiveLoss(objective, state: trainer.objectiveState, batch: tb, logProbs: lp)
        try model.backward(dLogProbs: res.dLogProbs)
        func loss() throws -> Double {
            let l = try model.forward(tokens: tokens, batch: N, length: S, perturbStep: perturb)
            return try objectiveLoss(objective, state: trainer.objectiveState, batch: tb, logProbs: l, detachedLogProbs: lp).loss
        }
        var checked = 0
        for name in tensors {
            let g = try XCTUnwrap(model.gradient(name), name)
            var p = try XCTUnwrap(model.parameter(name), name)
            // The largest-gradient entries and two others.
            let idx = Array(g.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(3)) + [0, g.count / 2]
            for i in idx {
                let h: Float = 1e-2, orig = p[i]
                p[i] = orig + h; try model.setParameter(name, p); let up = try loss()
                p[i] = orig - h; try model.setParameter(name, p); let down = try loss()
                p[i] = orig; try model.setParameter(name, p)
                let fd = (up - down) / Double(2 * h)
                let scale = Double(g.map { abs($0) }.max() ?? 0)
                // Float32 forward with h = 1e-2: agreement to a few per cent of the tensor's
                // largest gradient separates a correct gradient from a missing term or sign.
                XCTAssertEqual(Double(g[i]), fd, accuracy: 0.03 * abs(fd) + 0.01 * scale + 1e-6, "\(preset) \(name)[\(i)]")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
        XCTAssertGreaterThan(res.dLogProbs.map { abs($0) }.max() ?? 0, 0, "\(preset): the loss must depend on the log-probs")
    }

    func testGRPO() throws {
        try check("grpo", tensors: ["transformer.h.1.attn.c_attn.weight", "transformer.wte.weight", "transformer.ln_f.bias"])
    }

    func testR2VPO() throws {
        // λ large enough that the variance penalty matters next to the surrogate.
        try check("r2vpo", overrides: ["lambda0": "50"], tensors: ["transformer.h.0.mlp.c_fc.weight", "transformer.wpe.weight"])
    }

    func testALPIncludingLogScales() throws {
        try check("alp", overrides: ["alp_sigma0": "0.05"],
                  tensors: ["transformer.h.0.attn.c_proj.weight", "transformer.h.1.ln_1.weight", GPT.alpLogScalesName])
    }
}
