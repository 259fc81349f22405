// The update's backward pass over live rows only (`PolicyTrainer.backwardLiveRows`): rows
// whose log-prob gradient is all zero (zero-variance groups) are left out of the backward,
// and the parameter gradients equal those of the full backward, for GRPO (rows left out)
// and for objectives whose advantage-free terms (KL, entropy) keep every row live.

import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class LiveRowsBackwardTests: XCTestCase {
    /// 12 rows in 6 groups of 2; only groups 0 and 1 have different rewards.
    private func batch(_ model: GPT) throws -> TrainingBatch {
        var rng = Xoshiro256(seed: 11)
        let (N, S) = (12, 10)
        let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % 12) }
        let lp0 = try model.forward(tokens: tokens, batch: N, length: S)
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<N { for t in 4..<(S - i % 3) { mask[i * S + t] = 1 } }
        let beh = (0..<(N * S)).map { k in mask[k] * (lp0[k] + 0.05 * (rng.nextUniform() - 0.5)) }
        let rewards: [Float] = [1, 0, 0, 1] + Array(repeating: 0, count: 6) + [1, 1]
        return TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: beh,
                             rewards: rewards, advantages: [1, -1, -1, 1] + Array(repeating: 0, count: 8),
                             groupIDs: (0..<N).map { Int32($0 / 2) }, versions: Array(repeating: 0, count: N),
                             correct: rewards.map { $0 > 0 })
    }

    private func gradients(_ preset: String, overrides: [String: String] = [:]) throws -> (full: [Float], live: [Float], rows: Int) {
        let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
        let model = try GPT(config: cfg, seed: 5)
        var objective = try ObjectiveConfig.parse(name: preset, overrides: overrides)
        objective.name = preset
        let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0),
                                                                              objective: objective))
        // A reference other than the current weights, so a KL term has a gradient.
        trainer.setReference(try GPT(config: cfg, seed: 9))
        let b = try batch(model)
        model.zeroGradients()
        let res = try trainer.lossAndGradient(b, learnerVersion: 0)
        try model.backward(dLogProbs: res.dLogProbs, dEntropy: res.dEntropy)
        let full = Array(model.grads.buffer)
        model.zeroGradients()
        let again = try trainer.lossAndGradient(b, learnerVersion: 0)
        XCTAssertEqual(again.dLogProbs, res.dLogProbs)
        let rows = try trainer.backwardLiveRows(b, again.dLogProbs, dEntropy: again.dEntropy)
        return (full, Array(model.grads.buffer), rows)
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String) {
        XCTAssertEqual(a.count, b.count)
        let scale = a.map { abs($0) }.max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(what): no gradient at all")
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(what): live-row gradient differs by \(worst) (scale \(scale))")
    }

    func testGRPOLeavesZeroVarianceRowsOutWithTheSameGradient() throws {
        let (full, live, rows) = try gradients("grpo")
        XCTAssertEqual(rows, 4, "only the two groups with a reward difference are live")
        assertClose(full, live, "grpo")
    }

    func testAnAdvantageFreeTermKeepsEveryRowLive() throws {
        // A k3 KL to the reference gives every masked token a gradient, advantage or not.
        let (full, live, rows) = try gradients("grpo", overrides: ["kl_coef": "0.1"])
        XCTAssertEqual(rows, 12)
        assertClose(full, live, "grpo + kl")
    }

    func testAnEntropyTermKeepsEveryRowLive() throws {
        // The entropy bonus reaches every masked position through dLoss/dH, not through dLoss/dlog p.
        let (full, live, rows) = try gradients("grpo", overrides: ["entropy_coef": "0.1"])
        XCTAssertEqual(rows, 12)
        assertClose(full, live, "grpo + entropy")
        let (withoutBonus, _, _) = try gradients("grpo")
        XCTAssertGreaterThan(zip(full, withoutBonus).map { abs($0 - $1) }.max() ?? 0, 1e-4, "the bonus changes the gradient")
    }

    /// A minibatch larger than the activation budget runs in passes of a few rows each; the loss,
    /// its log-prob gradient and every parameter gradient equal those of one pass.
    func testPassesUnderAnActivationBudgetGiveTheSameGradient() throws {
        let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
        for overrides in [[:], ["kl_coef": "0.1"], ["entropy_coef": "0.1"]] {
            var result: [(loss: Double, d: [Float], grads: [Float])] = []
            for budget in [nil, 3 * cfg.activationBytesPerToken(length: 10) * 10] as [Int?] {
                let model = try GPT(config: cfg, seed: 5)
                var objective = try ObjectiveConfig.parse(name: "grpo", overrides: overrides)
                objective.name = "grpo"
                let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0),
                                                                                      objective: objective))
                trainer.activationBudgetBytes = budget
                trainer.setReference(try GPT(config: cfg, seed: 9))
                let b = try batch(model)
                if budget != nil { XCTAssertEqual(trainer.rowsPerPass(length: b.length), 3) }
                let res = try trainer.gradient(of: b, learnerVersion: 0)
                result.append((res.loss, res.dLogProbs, Array(model.grads.buffer)))
            }
            XCTAssertEqual(result[0].loss, result[1].loss, accuracy: 1e-6 * max(1, abs(result[0].loss)))
            // Passes of a few rows go through the few-rows GEMM, one pass of 12 through OpenBLAS:
            // the same products summed in another order, so equal to F32 rounding, not bit for bit.
            assertClose(result[0].d, result[1].d, "log-prob gradient, passes of 3 rows \(overrides)")
            assertClose(result[0].grads, result[1].grads, "passes of 3 rows \(overrides)")
        }
    }
}
