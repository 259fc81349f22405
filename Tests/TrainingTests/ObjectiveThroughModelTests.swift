// The full objective through the real model matches central finite differences of the loss
// with respect to the weights (and ALP's log-scales), for GRPO, R²VPO, ALP and the entropy
// objectives (entropy bonus, EPO, DCPO, EMPG, SAFE), and the trainer backpropagates the same gradient. Stop-gradient
// quantities are held at their values at the unperturbed point (`detachedLogProbs`), which is
// exactly the gradient the kernel promises; ALP's noise is fixed by its (seed, step) key.

import Foundation
import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class ObjectiveThroughModelTests: XCTestCase {
    private func check(_ preset: String, overrides: [String: String] = [:], tensors: [String],
                       state: ((inout ObjectiveState) -> Void)? = nil) throws {
        let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
        let model = try GPT(config: cfg, seed: 7)
        var objective = try ObjectiveConfig.parse(name: preset, overrides: overrides)
        objective.name = preset
        let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0), objective: objective))
        state?(&trainer.objectiveState)
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
        if objective.needsReferenceLogProbs { tb.referenceLogProbs = beh }
        let res = try objectiveLoss(objective, state: trainer.objectiveState, batch: tb, logProbs: lp)
        try model.backward(dLogProbs: res.dLogProbs, dEntropy: res.dEntropy)
        let analytic = try tensors.map { try XCTUnwrap(model.gradient($0), $0) }
        // The entropy is live in the loss (entropy terms) and detached in the decisions it drives.
        func loss() throws -> Double {
            let l = try model.forward(tokens: tokens, batch: N, length: S, perturbStep: perturb)
            var live = tb
            live.entropy = model.entropies()
            return try objectiveLoss(objective, state: trainer.objectiveState, batch: live, logProbs: l,
                                     detachedLogProbs: lp, detachedEntropy: tb.entropy).loss
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
        // The trainer backpropagates the same gradient, entropy term included (its own reference is
        // the initial policy, so this comparison is for objectives without a reference term).
        guard !objective.needsReferenceLogProbs, !model.alp.enabled else { return }
        _ = try trainer.gradient(of: batch, learnerVersion: 0)
        for (name, g) in zip(tensors, analytic) {
            let t = try XCTUnwrap(model.gradient(name), name)
            let scale = g.map { abs($0) }.max() ?? 0
            for i in g.indices { XCTAssertEqual(t[i], g[i], accuracy: 1e-5 * scale + 1e-9, "\(preset) trainer \(name)[\(i)]") }
        }
    }

    func testGRPO() throws {
        try check("grpo", tensors: ["transformer.h.1.attn.c_attn.weight", "transformer.wte.weight", "transformer.ln_f.bias"])
    }

    func testR2VPO() throws {
        // λ large enough that the variance penalty matters next to the surrogate.
        try check("r2vpo", overrides: ["lambda0": "50"], tensors: ["transformer.h.0.mlp.c_fc.weight", "transformer.wpe.weight"])
    }

    func testEntropyBonusThroughTheTrainer() throws {
        try check("grpo", overrides: ["entropy_coef": "0.5"], tensors: ["transformer.h.1.mlp.c_proj.weight", "transformer.wte.weight"])
    }

    func testEPOWithItsSmoothingPenalty() throws {
        // A history far below the batch entropy puts the smoothing penalty to work from the first step.
        try check("epo", overrides: ["epo_smoothing": "5", "entropy_coef": "0.2"],
                  tensors: ["transformer.h.0.attn.c_attn.weight", "transformer.ln_f.weight"]) { st in
            st.step = 100; st.entropyHistory = 0.5
        }
    }

    func testDCPOBelowItsTarget() throws {
        try check("dcpo", overrides: ["dcpo_target_entropy": "5", "dcpo_alpha": "0.5"],
                  tensors: ["transformer.h.1.attn.c_proj.weight", "transformer.wte.weight"])
    }

    func testEMPGAndSAFE() throws {
        try check("empg", tensors: ["transformer.h.0.mlp.c_fc.weight"])
        try check("safe", tensors: ["transformer.h.1.attn.c_attn.weight", "transformer.wte.weight"]) { st in
            var s = SAFEState(); s.coefficient = 0.8
            st.safe = s
        }
    }

    func testALPIncludingLogScales() throws {
        try check("alp", overrides: ["alp_sigma0": "0.05"],
                  tensors: ["transformer.h.0.attn.c_proj.weight", "transformer.h.1.ln_1.weight", GPT.alpLogScalesName])
    }
}
