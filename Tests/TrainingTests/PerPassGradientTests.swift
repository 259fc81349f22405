// The per-pass arrangement of an update's passes (PolicyTrainer+RowPasses.swift): for
// row-separable objectives each pass's forward, objective and backward run together; the loss,
// the log-prob gradient, every parameter gradient (ALP's log-scales included) and the metrics
// must equal those of one log-probs-first pass over the whole minibatch (no activation budget).
// Coupled objectives (R²VPO, CAPO, D³S) stay log-probs first, and a forced per-pass run of one
// is caught by the final check and redone.

import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class PerPassGradientTests: XCTestCase {
    private let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
    private let (N, S) = (14, 10)

    /// 14 rows in 7 groups of 2: groups 0, 1, 5 and 6 have a reward difference, the others
    /// (zero advantages) do not; row 13's mask is empty; versions 0…6 against learner version 6, so
    /// a staleness cap of 4 drops some rows and the AReaL interpolation has work to do.
    private func batch(_ model: GPT) throws -> TrainingBatch {
        var rng = Xoshiro256(seed: 11)
        let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % 12) }
        let lp0 = try model.forward(tokens: tokens, batch: N, length: S)
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<(N - 1) { for t in 3..<(S - i % 4) { mask[i * S + t] = 1 } }
        let beh = (0..<(N * S)).map { k in mask[k] * (lp0[k] + 0.3 * (rng.nextUniform() - 0.5)) }
        let rewards: [Float] = [1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1]
        let advantages: [Float] = [1, -1, -1, 1, 0, 0, 0, 0, 0, 0, 0.7, -0.7, -1.2, 1.2]
        return TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: beh,
                             rewards: rewards, advantages: advantages, groupIDs: (0..<N).map { Int32($0 / 2) },
                             versions: (0..<N).map { PolicyVersion(UInt64($0 % 7)) }, correct: rewards.map { $0 > 0 })
    }

    private struct Run {
        var loss: Double
        var d: [Float]
        var metrics: ObjectiveMetrics
        var grads: [Float]
        var alpGrads: [Float]
        var fallbacks: Int
    }

    /// The gradient of `preset` (+ `overrides`) at the initial weights, with passes of `rows` rows
    /// (nil: no activation budget) arranged by `strategy`.
    private func run(_ preset: String, _ overrides: [String: String], rows: Int?, _ strategy: PassStrategy,
                     edit: (inout TrainingBatch) -> Void = { _ in }) throws -> Run {
        let model = try GPT(config: cfg, seed: 5)
        var objective = try ObjectiveConfig.parse(name: preset, overrides: overrides)
        objective.name = preset
        let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0),
                                                                              objective: objective))
        trainer.activationBudgetBytes = rows.map { $0 * cfg.activationBytesPerToken(length: S) * S }
        trainer.passStrategy = strategy
        trainer.setReference(try GPT(config: cfg, seed: 9))  // not the current weights: the KL has a gradient
        var b = try batch(model)
        edit(&b)
        if let rows { XCTAssertEqual(trainer.rowsPerPass(length: S), rows) }
        let res = try trainer.gradient(of: b, learnerVersion: 6)
        return Run(loss: res.loss, d: res.dLogProbs, metrics: res.metrics, grads: Array(model.grads.buffer),
                   alpGrads: model.alpGrads.toArray(), fallbacks: trainer.perPassFallbacks)
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = a.map { abs($0) }.max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(what): no gradient at all", file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(what): differs by \(worst) (scale \(scale))", file: file, line: line)
    }

    /// Every numeric metric (optional ones present on both sides or neither) within 1e-5 relative.
    private func assertSameMetrics(_ a: ObjectiveMetrics, _ b: ObjectiveMetrics, _ what: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        func numbers(_ v: Any) -> [Double]? {
            switch v {
            case let x as Double: return [x]
            case let x as Int: return [Double(x)]
            case let x as Double?: return x.map { [$0] }
            case let x as [Int]?: return x?.map(Double.init)
            case let x as [Double]?: return x
            default: return nil
            }
        }
        var compared = 0
        for (x, y) in zip(Mirror(reflecting: a).children, Mirror(reflecting: b).children) {
            let name = x.label ?? "?"
            let (u, v) = (numbers(x.value), numbers(y.value))
            XCTAssertEqual(u?.count, v?.count, "\(what): metric \(name) present on one side only", file: file, line: line)
            for (p, q) in zip(u ?? [], v ?? []) {
                XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p)), "\(what): metric \(name)", file: file, line: line)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 30, what, file: file, line: line)
    }

    private func assertSame(_ reference: Run, _ other: Run, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reference.loss, other.loss, accuracy: 1e-6 * max(1, abs(reference.loss)), "\(what): loss", file: file, line: line)
        assertClose(reference.d, other.d, "\(what): dLogProbs", file: file, line: line)
        assertClose(reference.grads, other.grads, "\(what): parameter gradients", file: file, line: line)
        assertSameMetrics(reference.metrics, other.metrics, what, file: file, line: line)
        XCTAssertEqual(other.fallbacks, 0, "\(what): the final check failed", file: file, line: line)
    }

    func testSeparableObjectivesGiveTheFullBatchGradientPassByPass() throws {
        let cases: [(String, [String: String])] = [
            ("grpo", [:]),                                           // token-mean, zero-advantage rows inert
            ("grpo", ["aggregation": "seq-mean-token-mean"]),
            ("grpo", ["kl_coef": "0.1"]),                            // KL to the reference: every row live
            ("dr-grpo", [:]), ("dapo", [:]), ("rloo", [:]), ("ppo", [:]),
            ("gspo", [:]),                                           // sequence ratio, sequence gradient
            ("decoupled-ppo", [:]),                                  // interpolated π_prox, staleness cap
            ("tis", ["weight_level": "sequence"]),
            ("mhpo", [:]),                                           // hazards: zero-advantage rows live
            ("etr", [:]), ("gbpo", [:]), ("mdpo", [:]),
        ]
        for (preset, overrides) in cases {
            let what = "\(preset) \(overrides)"
            XCTAssertTrue(try ObjectiveConfig.parse(name: preset, overrides: overrides).isRowSeparable, what)
            let reference = try run(preset, overrides, rows: nil, .logProbsFirst)
            XCTAssertGreaterThan(reference.metrics.tokens, 0, what)
            for rows in [nil, 3, 1] as [Int?] {
                assertSame(reference, try run(preset, overrides, rows: rows, .automatic), "\(what), passes of \(rows.map(String.init) ?? "all") rows")
            }
        }
    }

    /// RPO and HNPG with demonstration rows (rows 4 and 10, advantage 0 for RPO — not inert: the SFT
    /// term — and 1.5 for HNPG): per pass gives the full-batch gradient, and the demonstrations get one.
    func testDemonstrationObjectivesPassByPass() throws {
        func demos(_ advantage: Float) -> (inout TrainingBatch) -> Void {
            { b in
                for r in [4, 10] {
                    b.demonstration[r] = true
                    b.advantages[r] = advantage
                    for k in (r * self.S)..<((r + 1) * self.S) { b.behaviourLogProbs[k] = 0 }
                }
            }
        }
        for (preset, advantage) in [("rpo", Float(0)), ("hnpg", Float(1.5))] {
            let reference = try run(preset, [:], rows: nil, .logProbsFirst, edit: demos(advantage))
            XCTAssertEqual(reference.metrics.demonstrationTokens, 7 + 5, preset)
            XCTAssertTrue(reference.d[(4 * S)..<(5 * S)].contains { $0 != 0 }, "\(preset): the demonstration row has a gradient")
            for rows in [nil, 3, 1] as [Int?] {
                assertSame(reference, try run(preset, [:], rows: rows, .automatic, edit: demos(advantage)),
                           "\(preset) with demonstrations, passes of \(rows.map(String.init) ?? "all") rows")
            }
        }
    }

    /// ALP's noise depends on a row's place in its pass, so per pass is compared with log-probs
    /// first under the same budget (same passes, same noise), and without a budget.
    func testALPGivesTheLogProbsFirstGradientIncludingTheLogScales() throws {
        for rows in [nil, 4] as [Int?] {
            let reference = try run("alp", [:], rows: rows, .logProbsFirst)
            let perPass = try run("alp", [:], rows: rows, .automatic)
            assertSame(reference, perPass, "alp, passes of \(rows.map(String.init) ?? "all") rows")
            assertClose(reference.alpGrads, perPass.alpGrads, "alp log-scales")
        }
    }

    /// The coupled objectives are chosen log-probs first automatically, and a forced per-pass run
    /// of one fails the final check, is redone and still gives the full-batch gradient.
    func testCoupledObjectivesStayLogProbsFirst() throws {
        for preset in ["r2vpo", "capo", "d3s"] {
            let config = try ObjectiveConfig.parse(name: preset, overrides: [:])
            XCTAssertFalse(config.isRowSeparable, preset)
            XCTAssertNotNil(config.rowCoupling, preset)
            let reference = try run(preset, [:], rows: nil, .logProbsFirst)
            assertSame(reference, try run(preset, [:], rows: 3, .automatic), "\(preset) automatic")
        }
        let reference = try run("r2vpo", [:], rows: nil, .logProbsFirst)
        let forced = try run("r2vpo", [:], rows: 3, .perPass)
        XCTAssertEqual(forced.fallbacks, 1, "per pass on R²VPO must fail the final check")
        assertClose(reference.grads, forced.grads, "r2vpo after the fallback")
        XCTAssertEqual(reference.loss, forced.loss, accuracy: 1e-6 * max(1, abs(reference.loss)))
    }

    /// A whole update: the same statistics, objective state and (with a learning rate) the same
    /// weights after it, per pass or log-probs first.
    func testAnUpdateGivesTheSameStatsStateAndWeights() throws {
        var out: [(stats: UpdateStats, state: ObjectiveState, params: [Float])] = []
        for strategy in [PassStrategy.logProbsFirst, .automatic] {
            let model = try GPT(config: cfg, seed: 5)
            var objective = try ObjectiveConfig.parse(name: "grpo", overrides: ["kl_coef": "0.05"])
            objective.name = "grpo"
            let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(epochs: 2, minibatches: 2,
                                                                                  optimizer: AdamWConfig(learningRate: 1e-3),
                                                                                  objective: objective))
            trainer.activationBudgetBytes = 3 * cfg.activationBytesPerToken(length: S) * S
            trainer.passStrategy = strategy
            let b = try batch(model)
            let stats = try trainer.update(b, learnerVersion: 6, shuffleSeed: 7)
            XCTAssertEqual(trainer.perPassFallbacks, 0)
            out.append((stats, trainer.objectiveState, Array(model.params.buffer)))
        }
        XCTAssertEqual(out[0].stats.optimizerSteps, 4)
        XCTAssertEqual(out[0].stats.optimizerSteps, out[1].stats.optimizerSteps)
        XCTAssertEqual(out[0].state, out[1].state)
        XCTAssertEqual(out[0].stats.meanLoss, out[1].stats.meanLoss, accuracy: 1e-5 * max(1, abs(out[0].stats.meanLoss)))
        XCTAssertEqual(out[0].stats.meanGradNorm, out[1].stats.meanGradNorm, accuracy: 1e-4 * out[0].stats.meanGradNorm)
        XCTAssertEqual(out[0].stats.ratioQ999Max, out[1].stats.ratioQ999Max, accuracy: 1e-5)
        XCTAssertEqual(out[0].stats.klBehaviour, out[1].stats.klBehaviour, accuracy: 1e-6)
        let moved = zip(out[0].params, out[1].params).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThan(moved, 1e-4, "weights after the update differ by \(moved) (learning rate 1e-3)")
    }
}
