// Finite-difference gradient check of GPT.backward for every parameter tensor
// of a tiny model (V = 16, T = 6, B = 2) with randomised LayerNorm parameters and biases.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class GradientCheckTests: XCTestCase {
    func testBackwardMatchesCentralDifferences() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let model = try GPT(config: cfg, seed: 7)
        // Randomise every tensor (gains around 1, biases and weights with std 0.1) so no term of the
        // backward pass can hide behind a zero or a one.
        var rng = Xoshiro256(seed: 99)
        for t in model.layout.tensors {
            let isGain = t.name.hasSuffix("ln_1.weight") || t.name.hasSuffix("ln_2.weight") || t.name.hasSuffix("ln_f.weight")
            try model.setParameter(t.name, (0..<t.count).map { _ in (isGain ? 1 : 0) + 0.1 * rng.nextGaussian() })
        }
        let B = 2, T = 6
        let tokens: [Int32] = (0..<(B * T)).map { _ in Int32(rng.next() % 16) }
        // Loss = Σ w_t · log p_t with random weights w (position 0 unused), so dLoss/dlogp = w.
        var w = (0..<(B * T)).map { _ in 2 * rng.nextUniform() - 1 }
        for b in 0..<B { w[b * T] = 0 }
        func loss() throws -> Double {
            let lp = try model.forward(tokens: tokens, batch: B, length: T)
            var s = 0.0
            for i in 0..<lp.count { s += Double(w[i]) * Double(lp[i]) }
            return s
        }
        _ = try loss()
        model.zeroGradients()
        try model.backward(dLogProbs: w)

        // Central differences with h = 1e-2: the float32 forward has relative rounding noise ~1e-7, so the
        // loss (a few units) is noisy at ~1e-6 and the difference quotient at ~1e-6/2h = 5e-5; truncation
        // error h²·f'''/6 is of the same order. A tensor's largest gradients are 1e-2…1, so we accept
        // |fd − an| ≤ 3e-2·|an| + 3e-3·max|an|. A wrong transpose, a missing term (e.g. LayerNorm's mean
        // terms, the tied head's second use, a causal-mask leak) produces O(|an|) errors and fails this.
        let h: Float = 1e-2
        var checked = 0
        for t in model.layout.tensors {
            let an = model.gradient(t.name)!
            let scale = an.map(abs).max()!
            XCTAssertGreaterThan(scale, 0, "\(t.name): all-zero gradient")
            // The 3 largest-gradient entries plus 5 random ones.
            var idx = Array(an.indices.sorted { abs(an[$0]) > abs(an[$1]) }.prefix(3))
            for _ in 0..<5 { idx.append(Int(rng.next() % UInt64(t.count))) }
            var p = model.parameter(t.name)!
            for i in idx {
                let orig = p[i]
                p[i] = orig + h; try model.setParameter(t.name, p); let up = try loss()
                p[i] = orig - h; try model.setParameter(t.name, p); let down = try loss()
                p[i] = orig; try model.setParameter(t.name, p)
                let fd = Float((up - down) / Double(2 * h))
                XCTAssertLessThanOrEqual(abs(fd - an[i]), 3e-2 * abs(an[i]) + 3e-3 * scale,
                                         "\(t.name)[\(i)]: finite difference \(fd), backward \(an[i])")
                checked += 1
            }
        }
        XCTAssertEqual(checked, model.layout.tensors.count * 8)
    }
}
