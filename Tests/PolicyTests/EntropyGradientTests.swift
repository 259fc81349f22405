// Finite-difference checks of the entropy term of the backward pass (`backward(dLogProbs:dEntropy:)`):
// one logits row's dH/dlogits = −p ∘ (log p + H), then the whole model of both families for
// Σ e_t·H_t alone (no log-prob term, so rows are live through the entropy coefficient only) and
// mixed with Σ g_t·log p_t. Central differences in Double around the float32 forward.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class EntropyGradientTests: XCTestCase {
    var rng = Xoshiro256(seed: 4242)

    /// A row's gradient of g·log p[token] + e·H against central differences of the Double formula.
    func testOneRowEntropyGradient() {
        let V = 13, token = 5
        let g: Float = 0.7, e: Float = -1.3
        let x = (0..<V).map { _ in 1.5 * rng.nextGaussian() }
        func f(_ z: [Double]) -> Double {
            let m = z.max()!, s = z.reduce(0) { $0 + exp($1 - m) }, lse = m + log(s)
            let h = -z.reduce(0) { $0 + exp($1 - lse) * ($1 - lse) }
            return Double(g) * (z[token] - lse) + Double(e) * h
        }
        let st = x.withUnsafeBufferPointer { logitsRowStats($0.baseAddress!, V: V) }
        var row = x
        row.withUnsafeMutableBufferPointer {
            logitsRowBackward($0.baseAddress!, lse: st.lse, g: g, token: token, V: V, entropyCoef: e, entropy: st.entropy)
        }
        let z = x.map(Double.init)
        for v in 0..<V {
            var up = z, down = z
            up[v] += 1e-5; down[v] -= 1e-5
            let fd = (f(up) - f(down)) / 2e-5
            XCTAssertEqual(Double(row[v]), fd, accuracy: 1e-4, "logit \(v)")
        }
        // Hand check of the formula at one entry: −p_v (g + e (log p_v + H)) (+ g at the token).
        let lp = Double(x[0]) - Double(st.lse), p = exp(lp)
        XCTAssertEqual(Double(row[0]), -p * (Double(g) + Double(e) * (lp + Double(st.entropy))), accuracy: 1e-6)
    }

    /// Checks every tensor's largest gradient entries (and two random ones) of
    /// Σ w_t log p_t + Σ e_t H_t against central differences.
    func checkModel(_ model: GPT, tokens: [Int32], B: Int, T: Int, w: [Float], e: [Float],
                    file: StaticString = #filePath, line: UInt = #line) throws {
        func loss() throws -> Double {
            let lp = try model.forward(tokens: tokens, batch: B, length: T)
            let h = model.entropies()
            var s = 0.0
            for i in 0..<lp.count { s += Double(w[i]) * Double(lp[i]) + Double(e[i]) * Double(h[i]) }
            return s
        }
        _ = try loss()
        model.zeroGradients()
        try model.backward(dLogProbs: w, dEntropy: e)
        var checked = 0
        for t in model.layout.tensors {
            let an = model.gradient(t.name)!
            let scale = an.map(abs).max()!
            XCTAssertGreaterThan(scale, 0, "\(t.name): all-zero gradient", file: file, line: line)
            var idx = Array(an.indices.sorted { abs(an[$0]) > abs(an[$1]) }.prefix(3))
            for _ in 0..<2 { idx.append(Int(rng.next() % UInt64(t.count))) }
            var p = model.parameter(t.name)!
            for i in idx {
                let o = p[i]
                p[i] = o + 1e-2; try model.setParameter(t.name, p); let up = try loss()
                p[i] = o - 1e-2; try model.setParameter(t.name, p); let down = try loss()
                p[i] = o; try model.setParameter(t.name, p)
                let fd = Float((up - down) / 2e-2)
                // Tolerance as in GradientCheckTests (float32 forward, h = 1e-2).
                XCTAssertLessThanOrEqual(abs(fd - an[i]), 3e-2 * abs(an[i]) + 3e-3 * scale,
                                         "\(t.name)[\(i)]: finite difference \(fd), backward \(an[i])", file: file, line: line)
                checked += 1
            }
        }
        XCTAssertEqual(checked, model.layout.tensors.count * 5, file: file, line: line)
    }

    func randomised(_ model: GPT, gainSuffixes: [String], std: Float) throws {
        for t in model.layout.tensors {
            let gain = gainSuffixes.contains { t.name.hasSuffix($0) }
            try model.setParameter(t.name, (0..<t.count).map { _ in (gain ? 1 : 0) + std * rng.nextGaussian() })
        }
    }

    func coefficients(_ n: Int, T: Int) -> [Float] {
        var c = (0..<n).map { _ in 2 * rng.nextUniform() - 1 }
        for b in stride(from: 0, to: n, by: T) { c[b] = 0 }
        return c
    }

    func gpt2() throws -> GPT {
        let model = try GPT(config: try ModelConfig.preset("tiny", vocabSize: 16), seed: 5)
        try randomised(model, gainSuffixes: ["ln_1.weight", "ln_2.weight", "ln_f.weight"], std: 0.1)
        return model
    }

    func llama() throws -> GPT {
        let cfg = ModelConfig.llama(vocabSize: 11, hiddenSize: 16, intermediateSize: 24, layers: 2, heads: 4, kvHeads: 2,
                                    maxPositions: 16, ropeTheta: 500, tieWordEmbeddings: false, attentionBias: true)
        let model = try GPT(config: cfg, seed: 6)
        try randomised(model, gainSuffixes: ["norm.weight"], std: 0.3)
        return model
    }

    func testGPT2EntropyTermAloneMatchesCentralDifferences() throws {
        let model = try gpt2(), B = 2, T = 6
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 16) }
        try checkModel(model, tokens: tokens, B: B, T: T, w: [Float](repeating: 0, count: B * T), e: coefficients(B * T, T: T))
    }

    func testGPT2EntropyAndLogProbTermsMatchCentralDifferences() throws {
        let model = try gpt2(), B = 2, T = 6
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 16) }
        var e = coefficients(B * T, T: T)
        e[3] = 0; e[8] = 0   // some rows live through the log-prob term only
        try checkModel(model, tokens: tokens, B: B, T: T, w: coefficients(B * T, T: T), e: e)
    }

    func testLlamaEntropyTermAloneMatchesCentralDifferences() throws {
        let model = try llama(), B = 2, T = 5
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 11) }
        try checkModel(model, tokens: tokens, B: B, T: T, w: [Float](repeating: 0, count: B * T), e: coefficients(B * T, T: T))
    }

    func testLlamaEntropyAndLogProbTermsMatchCentralDifferences() throws {
        let model = try llama(), B = 2, T = 5
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 11) }
        try checkModel(model, tokens: tokens, B: B, T: T, w: coefficients(B * T, T: T), e: coefficients(B * T, T: T))
    }

    /// A nil, an all-zero and an absent dEntropy give the same gradient; a wrong length is a typed error.
    func testZeroEntropyCoefficientsChangeNothingAndBadLengthIsRefused() throws {
        let model = try gpt2(), B = 2, T = 6
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 16) }
        let w = coefficients(B * T, T: T)
        _ = try model.forward(tokens: tokens, batch: B, length: T)
        model.zeroGradients(); try model.backward(dLogProbs: w)
        let plain = model.gradient("lm_head.weight") ?? model.gradient(model.layout.tensors[0].name)!
        model.zeroGradients(); try model.backward(dLogProbs: w, dEntropy: [Float](repeating: 0, count: B * T))
        let zeroed = model.gradient("lm_head.weight") ?? model.gradient(model.layout.tensors[0].name)!
        XCTAssertEqual(plain, zeroed)
        XCTAssertThrowsError(try model.backward(dLogProbs: w, dEntropy: [1, 2, 3])) { err in
            XCTAssertTrue("\(err)".contains("dEntropy has 3 entries"), "\(err)")
        }
    }
}
