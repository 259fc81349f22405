// The exact KL to a previous policy (`previousKL(to:)`) against its definition from both models'
// full logits, and its gradient (`backward(dPreviousKL:previous:)`) against central differences
// of Σ w_t·KL_t + Σ g_t·log p_t on tiny GPT-2 and Llama models, the previous policy held fixed.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class PreviousKLTests: XCTestCase {
    var rng = Xoshiro256(seed: 77)

    /// `model` and a perturbed copy of it, both with a forward on the same random tokens.
    func pair(_ cfg: ModelConfig, gain: (String) -> Bool, std: Float, B: Int, T: Int) throws -> (GPT, GPT, [Int32]) {
        let model = try GPT(config: cfg, seed: 1)
        for t in model.layout.tensors {
            try model.setParameter(t.name, (0..<t.count).map { _ in (gain(t.name) ? 1 : 0) + std * rng.nextGaussian() })
        }
        let prev = try GPT(config: cfg)
        try prev.copyParameters(from: model)
        for t in prev.layout.tensors {
            let p = prev.parameter(t.name)!
            try prev.setParameter(t.name, p.map { $0 + 0.3 * std * rng.nextGaussian() })
        }
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % UInt64(cfg.vocabSize)) }
        _ = try prev.forward(tokens: tokens, batch: B, length: T, forBackward: false)
        _ = try model.forward(tokens: tokens, batch: B, length: T)
        return (model, prev, tokens)
    }

    func check(_ model: GPT, _ prev: GPT, tokens: [Int32], B: Int, T: Int) throws {
        let V = model.config.vocabSize
        // The value against the definition.
        let kl = try model.previousKL(to: prev)
        let zp = model.logits(), zq = prev.logits()
        for r in 0..<(B * T) where (r + 1) % T != 0 {
            func logSoftmax(_ z: [Float]) -> [Double] {
                let row = (0..<V).map { Double(z[r * V + $0]) }, m = row.max()!
                let l = m + log(row.reduce(0) { $0 + exp($1 - m) })
                return row.map { $0 - l }
            }
            let lp = logSoftmax(zp), lq = logSoftmax(zq)
            let want = (0..<V).reduce(0) { $0 + exp(lp[$1]) * (lp[$1] - lq[$1]) }
            XCTAssertEqual(Double(kl[r + 1]), want, accuracy: 1e-5 + 1e-3 * want, "position \(r + 1)")
        }
        XCTAssertTrue(kl.contains { $0 > 1e-3 }, "the copies differ")
        // The gradient against central differences.
        var w = (0..<(B * T)).map { _ in 2 * rng.nextUniform() - 1 }, g = w.map { _ in 0.5 * rng.nextUniform() - 0.25 }
        for b in 0..<B { w[b * T] = 0; g[b * T] = 0 }
        func loss() throws -> Double {
            let lp = try model.forward(tokens: tokens, batch: B, length: T)
            let k = try model.previousKL(to: prev)
            var s = 0.0
            for i in 0..<lp.count {
                let a = Double(w[i]) * Double(k[i]), c = Double(g[i]) * Double(lp[i])
                s += a + c
            }
            return s
        }
        _ = try loss()
        model.zeroGradients()
        try model.backward(dLogProbs: g, dPreviousKL: w, previous: prev)
        var checked = 0
        for t in model.layout.tensors {
            let an = model.gradient(t.name)!
            let scale = an.map(abs).max()!
            XCTAssertGreaterThan(scale, 0, t.name)
            var p = model.parameter(t.name)!
            for i in Array(an.indices.sorted { abs(an[$0]) > abs(an[$1]) }.prefix(3)) + [Int(rng.next() % UInt64(t.count))] {
                let o = p[i]
                p[i] = o + 1e-2; try model.setParameter(t.name, p); let up = try loss()
                p[i] = o - 1e-2; try model.setParameter(t.name, p); let down = try loss()
                p[i] = o; try model.setParameter(t.name, p)
                let fd = Float((up - down) / 2e-2)
                XCTAssertLessThanOrEqual(abs(fd - an[i]), 3e-2 * abs(an[i]) + 3e-3 * scale, "\(t.name)[\(i)]: fd \(fd), backward \(an[i])")
                checked += 1
            }
        }
        XCTAssertEqual(checked, model.layout.tensors.count * 4)
    }

    func testGPT2() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let (model, prev, tokens) = try pair(cfg, gain: { $0.contains("ln_") && $0.hasSuffix(".weight") }, std: 0.1, B: 2, T: 6)
        try check(model, prev, tokens: tokens, B: 2, T: 6)
    }

    func testLlama() throws {
        let cfg = ModelConfig.llama(vocabSize: 11, hiddenSize: 16, intermediateSize: 24, layers: 2, heads: 4, kvHeads: 2,
                                    maxPositions: 16, ropeTheta: 500, tieWordEmbeddings: false, attentionBias: true)
        let (model, prev, tokens) = try pair(cfg, gain: { $0.hasSuffix("norm.weight") }, std: 0.3, B: 2, T: 5)
        try check(model, prev, tokens: tokens, B: 2, T: 5)
    }

    /// An inference-only copy (`GPT(inferenceOnly:)`, the trainer's π_k) has no gradient arena: it
    /// runs forward exactly like the model, serves as `previous`, and refuses every gradient use.
    func testInferenceOnlyCopy() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let model = try GPT(config: cfg, seed: 3)
        let copy = try GPT(inferenceOnly: cfg)
        XCTAssertEqual(copy.grads.count, 0)
        try copy.copyParameters(from: model)
        let tokens = (0..<12).map { _ in Int32(rng.next() % 16) }
        let a = try model.forward(tokens: tokens, batch: 2, length: 6)
        XCTAssertEqual(try copy.forward(tokens: tokens, batch: 2, length: 6), a)
        XCTAssertEqual(try model.previousKL(to: copy).max(), 0, "KL to itself")
        XCTAssertThrowsError(try copy.backward(dLogProbs: [Float](repeating: 0.1, count: 12))) {
            XCTAssertTrue("\($0)".contains("inference-only"), "\($0)")
        }
        XCTAssertEqual(copy.gradientNorm(), 0)
        XCTAssertEqual(copy.clipGradients(maxNorm: 1), 0)
        XCTAssertThrowsError(try AdamW(layout: copy.layout, config: AdamWConfig(learningRate: 1e-3)).update(copy))
    }

    func testMismatchedPreviousIsRefused() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let (model, prev, _) = try pair(cfg, gain: { _ in false }, std: 0.1, B: 2, T: 6)
        _ = try prev.forward(tokens: Array(repeating: 1, count: 12), batch: 2, length: 6, forBackward: false)
        XCTAssertThrowsError(try model.previousKL(to: prev)) { XCTAssertTrue("\($0)".contains("same 2×6 tokens"), "\($0)") }
        XCTAssertThrowsError(try model.backward(dLogProbs: Array(repeating: 0, count: 12), dPreviousKL: Array(repeating: 1, count: 12))) {
            XCTAssertTrue("\($0)".contains("needs the previous policy"), "\($0)")
        }
    }
}
