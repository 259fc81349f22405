// MDPO's exact KL to the previous policy in the trainer (`previous_kl = input`,
// PolicyTrainer+PreviousPolicy.swift): the minibatch gradient against central differences of the
// full loss (policy loss + (1/t)·KL(π_θ‖π_k)) on tiny GPT-2 and Llama models; the KL is 0 at the
// start of every update (π_k = θ) and > 0 after an optimizer step within one; and every arrangement
// of passes (one pass, log-probs-first chunks, live rows run again, per pass, ALP) gives the
// gradient of one backward over the whole minibatch.

import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class MDPOExactKLTests: XCTestCase {
    private let gpt2 = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
    private let llama = ModelConfig.llama(vocabSize: 11, hiddenSize: 16, intermediateSize: 24, layers: 2, heads: 4,
                                          kvHeads: 2, maxPositions: 16, ropeTheta: 500, tieWordEmbeddings: false,
                                          attentionBias: true)
    private let (N, S) = (10, 8)

    /// 10 rows in 5 groups of 2; rows 6–9 have empty masks (so without a budget at most 6/10 ≤ 2/3
    /// rows are live and go forward again on their own); group 2 has zero advantages (live through
    /// the KL term only).
    private func batch(_ model: GPT, seed: UInt64 = 11) throws -> TrainingBatch {
        var rng = Xoshiro256(seed: seed)
        let V = UInt64(model.config.vocabSize)
        let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % V) }
        let lp0 = try model.forward(tokens: tokens, batch: N, length: S, forBackward: false)
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<6 { for t in 2..<(S - i % 3) { mask[i * S + t] = 1 } }
        let beh = (0..<(N * S)).map { k in mask[k] * (lp0[k] + 0.3 * (rng.nextUniform() - 0.5)) }
        let rewards: [Float] = [1, 0, 0, 1, 0, 0, 1, 0, 1, 0]
        let advantages: [Float] = [1, -1, -0.8, 0.8, 0, 0, 1, -1, 1, -1]
        return TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: beh,
                             rewards: rewards, advantages: advantages, groupIDs: (0..<N).map { Int32($0 / 2) },
                             versions: Array(repeating: PolicyVersion(0), count: N), correct: rewards.map { $0 > 0 })
    }

    private func trainer(_ model: GPT, preset: String = "mdpo", previousKL: String = "input", learningRate: Float = 0,
                         epochs: Int = 1, minibatches: Int = 1) throws -> PolicyTrainer {
        var overrides = ["previous_kl": previousKL, "mdpo_step": "0.5"]
        if preset != "mdpo" { overrides["mdpo_step"] = nil }
        var objective = try ObjectiveConfig.parse(name: preset, overrides: overrides)
        objective.name = preset
        return try PolicyTrainer(model: model, settings: UpdateSettings(epochs: epochs, minibatches: minibatches,
                                                                        optimizer: AdamWConfig(learningRate: learningRate),
                                                                        objective: objective))
    }

    /// An inference-only copy of `model` with every parameter moved by `std`·N(0, 1): a π_k the
    /// current weights have moved away from.
    private func movedCopy(of model: GPT, std: Float, seed: UInt64) throws -> GPT {
        let prev = try GPT(inferenceOnly: model.config)
        try prev.copyParameters(from: model)
        var rng = Xoshiro256(seed: seed)
        for i in 0..<prev.layout.count { prev.params.base[i] += std * rng.nextGaussian() }
        return prev
    }

    // (a) The trainer's gradient against central differences of its loss.

    private func checkCentralDifferences(_ cfg: ModelConfig) throws {
        let model = try GPT(config: cfg, seed: 5)
        let b = try batch(model)
        let t = try trainer(model)
        t.previousPolicy = try movedCopy(of: model, std: 0.05, seed: 3)
        let res = try t.minibatchGradient(b, learnerVersion: 0)
        XCTAssertEqual(t.perPassFallbacks, 0)
        let kl = try XCTUnwrap(res.metrics.previousKL)
        XCTAssertGreaterThan(kl, 1e-3, "π_k differs from θ")
        XCTAssertEqual(res.metrics.previousKLTerm, res.metrics.loss - res.metrics.policyLoss, accuracy: 1e-9)
        let grads = Array(model.grads.buffer)
        let scale = grads.map(abs).max()!
        // The KL's share of the gradient is not negligible, so dropping it would fail the comparison.
        let off = try trainer(model, previousKL: "off")
        _ = try off.minibatchGradient(b, learnerVersion: 0)
        let klShare = zip(grads, model.grads.buffer).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(klShare, 0.1 * scale, "the KL term moves the gradient")

        func loss() throws -> Double { try t.lossAndGradient(b, learnerVersion: 0).loss }
        var rng = Xoshiro256(seed: 21)
        var checked = 0
        for tensor in model.layout.tensors {
            let idx = (tensor.offset..<(tensor.offset + tensor.count)).sorted { abs(grads[$0]) > abs(grads[$1]) }
            for i in Array(idx.prefix(2)) + [tensor.offset + Int(rng.next() % UInt64(tensor.count))] {
                let p = model.params.base, o = p[i], h: Float = 1e-2
                p[i] = o + h; let up = try loss()
                p[i] = o - h; let down = try loss()
                p[i] = o
                let fd = Float((up - down) / Double(2 * h))
                XCTAssertLessThanOrEqual(abs(fd - grads[i]), 3e-2 * abs(grads[i]) + 3e-3 * scale,
                                         "\(tensor.name) #\(i - tensor.offset): central difference \(fd), trainer \(grads[i])")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 3 * model.layout.tensors.count)
    }

    func testGradientMatchesCentralDifferencesGPT2() throws { try checkCentralDifferences(gpt2) }

    func testGradientMatchesCentralDifferencesLlama() throws { try checkCentralDifferences(llama) }

    // (b) π_k is the policy at the start of each update.

    func testKLIsZeroAtTheStartOfEachUpdateAndPositiveAfterAStep() throws {
        let model = try GPT(config: gpt2, seed: 5)
        let b = try batch(model)
        let t = try trainer(model, learningRate: 1e-2)
        XCTAssertNil(t.previousPolicy, "no snapshot before the first update")
        // One step per update: each step is its update's first minibatch, θ = θ_k.
        for _ in 0..<2 {
            let before = Array(model.params.buffer)
            let st = try t.update(b, learnerVersion: 0, shuffleSeed: 1)
            XCTAssertEqual(st.optimizerSteps, 1)
            XCTAssertEqual(try XCTUnwrap(st.metrics?.previousKL), 0, accuracy: 1e-7)
            XCTAssertEqual(Array(t.previousPolicy!.params.buffer), before, "π_k = the weights at the start of the update")
            XCTAssertNotEqual(Array(model.params.buffer), before, "the step moved the weights")
        }
        let snapshot = t.previousPolicy
        XCTAssertEqual(snapshot?.grads.count, 0, "π_k is inference-only (no gradient arena)")
        // Two steps in one update: the second one's KL is to the weights before the first.
        t.settings.epochs = 2
        let before = Array(model.params.buffer)
        let st = try t.update(b, learnerVersion: 0, shuffleSeed: 1)
        XCTAssertEqual(st.optimizerSteps, 2)
        XCTAssertTrue(t.previousPolicy === snapshot, "allocated once, reused")
        XCTAssertEqual(Array(t.previousPolicy!.params.buffer), before)
        let kl = try XCTUnwrap(st.metrics?.previousKL)
        XCTAssertGreaterThan(kl, 1e-7, "after a step within the update, θ ≠ θ_k")
        XCTAssertEqual(st.metrics!.previousKLTerm, st.metrics!.loss - st.metrics!.policyLoss, accuracy: 1e-9)
        // And it is the KL to the snapshot: the same minibatch gradient from a trainer given π_k by hand.
        let check = try trainer(model)
        check.previousPolicy = t.previousPolicy
        let res = try check.minibatchGradient(b, learnerVersion: 0)
        XCTAssertGreaterThan(try XCTUnwrap(res.metrics.previousKL), 1e-7)
    }

    // (c) Every arrangement of passes gives the full-batch gradient.

    private struct Run { var loss: Double; var kl: Double; var grads: [Float]; var alpGrads: [Float] }

    /// One backward over the whole minibatch, straight from the model (no live-row selection).
    private func wholeBatch(_ cfg: ModelConfig, preset: String) throws -> Run {
        let model = try GPT(config: cfg, seed: 5)
        let b = try batch(model)
        let t = try trainer(model, preset: preset)
        t.activationBudgetBytes = nil
        t.previousPolicy = try movedCopy(of: model, std: 0.05, seed: 3)
        model.zeroGradients()
        let res = try t.lossAndGradient(b, learnerVersion: 0)
        try model.backward(dLogProbs: res.dLogProbs, dEntropy: res.dEntropy, dPreviousKL: res.dPreviousKL,
                           previous: t.previousPolicy)
        return Run(loss: res.loss, kl: res.metrics.previousKL ?? -1, grads: Array(model.grads.buffer),
                   alpGrads: model.alpGrads.toArray())
    }

    private func arranged(_ cfg: ModelConfig, preset: String, rows: Int?, _ strategy: PassStrategy) throws -> Run {
        let model = try GPT(config: cfg, seed: 5)
        let b = try batch(model)
        let t = try trainer(model, preset: preset)
        t.activationBudgetBytes = rows.map { $0 * cfg.activationBytesPerToken(length: S) * S }
        if let rows { XCTAssertEqual(t.rowsPerPass(length: S), rows) }
        t.passStrategy = strategy
        t.previousPolicy = try movedCopy(of: model, std: 0.05, seed: 3)
        let res = try t.minibatchGradient(b, learnerVersion: 0)
        XCTAssertEqual(t.perPassFallbacks, 0, "\(preset) \(strategy) \(String(describing: rows)): the final check failed")
        return Run(loss: res.loss, kl: res.metrics.previousKL ?? -1, grads: Array(model.grads.buffer),
                   alpGrads: model.alpGrads.toArray())
    }

    private func assertSame(_ a: Run, _ b: Run, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.loss, b.loss, accuracy: 1e-6 * max(1, abs(a.loss)), "\(what): loss", file: file, line: line)
        XCTAssertEqual(a.kl, b.kl, accuracy: 1e-6 * max(1, a.kl), "\(what): KL", file: file, line: line)
        for (x, y, name) in [(a.grads, b.grads, "gradients"), (a.alpGrads, b.alpGrads, "ALP log-scale gradients")] {
            let scale = x.map(abs).max() ?? 0
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(what): \(name) differ by \(worst) (scale \(scale))",
                                     file: file, line: line)
        }
    }

    func testEveryArrangementOfPassesGivesTheWholeBatchGradient() throws {
        XCTAssertTrue(try ObjectiveConfig.parse(name: "mdpo", overrides: ["previous_kl": "input"]).isRowSeparable)
        for cfg in [gpt2, llama] {
            let reference = try wholeBatch(cfg, preset: "mdpo")
            XCTAssertGreaterThan(reference.kl, 1e-3)
            XCTAssertGreaterThan(reference.grads.map(abs).max()!, 0)
            // Log-probs first without a budget: 6 of 10 rows live, so they go forward again on their own.
            let model = try GPT(config: cfg, seed: 5)
            let b = try batch(model)
            let t = try trainer(model)
            t.activationBudgetBytes = nil
            t.previousPolicy = try movedCopy(of: model, std: 0.05, seed: 3)
            let res = try t.lossAndGradient(b, learnerVersion: 0)
            model.zeroGradients()
            XCTAssertEqual(try t.backwardLiveRows(b, res.dLogProbs, dEntropy: res.dEntropy, dPreviousKL: res.dPreviousKL), 6)
            assertSame(reference, Run(loss: res.loss, kl: res.metrics.previousKL!, grads: Array(model.grads.buffer),
                                      alpGrads: model.alpGrads.toArray()), "\(cfg.family) live rows again")
            for strategy in [PassStrategy.logProbsFirst, .automatic, .perPass] {
                for rows in [nil, 3, 1] as [Int?] {
                    assertSame(reference, try arranged(cfg, preset: "mdpo", rows: rows, strategy),
                               "\(cfg.family) \(strategy), passes of \(rows.map(String.init) ?? "all") rows")
                }
            }
        }
    }

    /// With ALP every row goes backward in the loss's passes (the noise depends on a row's place in
    /// its pass), so log-probs first and per pass are compared under the same budget.
    func testALPWithTheExactKLGivesTheSameGradientPerPassAndLogProbsFirst() throws {
        for rows in [nil, 4] as [Int?] {
            let first = try arranged(gpt2, preset: "alp", rows: rows, .logProbsFirst)
            XCTAssertGreaterThan(first.kl, 1e-3)
            XCTAssertGreaterThan(first.alpGrads.map(abs).max()!, 0)
            assertSame(first, try arranged(gpt2, preset: "alp", rows: rows, .automatic),
                       "alp, passes of \(rows.map(String.init) ?? "all") rows")
        }
    }

    // (d) The configuration is accepted end to end.

    func testTheTrainerAcceptsTheExactKL() throws {
        let parsed = try ObjectiveConfig.parseSpec("mdpo:previous_kl=input")
        XCTAssertEqual(parsed.config.previousKL, .input)
        XCTAssertNoThrow(try PolicyTrainer(model: GPT(config: gpt2, seed: 1),
                                           settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0), objective: parsed.config)))
        // Only this setting allocates π_k.
        let model = try GPT(config: gpt2, seed: 5)
        let t = try trainer(model, previousKL: "sampled")
        _ = try t.gradient(of: try batch(model), learnerVersion: 0)
        XCTAssertNil(t.previousPolicy)
    }
}
