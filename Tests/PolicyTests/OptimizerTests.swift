// AdamW details not covered by the fixture (decay policy, multi-step bias correction),
// gradient-norm clipping, entropies, and config field round trips.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class OptimizerTests: XCTestCase {
    func tinyModel() throws -> GPT { try GPT(config: ModelConfig(vocabSize: 8, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2), seed: 1) }

    func testClipGradientsReturnsPreClipNormAndRescales() throws {
        let m = try tinyModel()
        var rng = Xoshiro256(seed: 3)
        var sq = 0.0
        for t in m.layout.tensors {
            let g = (0..<t.count).map { _ in rng.nextGaussian() }
            sq += g.reduce(0.0) { $0 + Double($1 * $1) }
            try m.setGradient(t.name, g)
        }
        let norm = Float(sq.squareRoot())
        XCTAssertEqual(m.gradientNorm(), norm, accuracy: norm * 1e-6)
        let before = m.gradient("transformer.wte.weight")!
        XCTAssertEqual(m.clipGradients(maxNorm: 2 * norm), norm, accuracy: norm * 1e-6)
        XCTAssertEqual(m.gradient("transformer.wte.weight")!, before, "no clipping below the limit")
        XCTAssertEqual(m.clipGradients(maxNorm: 1), norm, accuracy: norm * 1e-6)
        XCTAssertEqual(m.gradientNorm(), 1, accuracy: 1e-4)
        XCTAssertEqual(m.gradient("transformer.wte.weight")![0], before[0] / norm, accuracy: 1e-5)
    }

    /// Two steps on constant gradients against a scalar re-derivation of torch's AdamW, and the decay policy.
    func testAdamWTwoStepsAndDecayPolicy() throws {
        for policy in [AdamWConfig.DecayPolicy.all, .matricesOnly] {
            let m = try tinyModel()
            let cfg = AdamWConfig(learningRate: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-3, weightDecay: 0.5, decay: policy)
            let opt = AdamW(layout: m.layout, config: cfg)
            let names = ["transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight"]
            let p0 = names.map { m.parameter($0)![3] }
            for t in m.layout.tensors { try m.setGradient(t.name, [Float](repeating: 0.25, count: t.count)) }
            try opt.update(m)
            try opt.update(m)
            XCTAssertEqual(opt.step, 2)
            for (k, name) in names.enumerated() {
                let decays = policy == .all || name.hasSuffix("weight")
                var p = Double(p0[k]), mm = 0.0, vv = 0.0
                for s in 1...2 {
                    if decays { p *= 1 - 0.1 * 0.5 }
                    mm = 0.8 * mm + 0.2 * 0.25
                    vv = 0.9 * vv + 0.1 * 0.0625
                    let denom = (vv / (1 - pow(0.9, Double(s)))).squareRoot() + 1e-3
                    p -= 0.1 / (1 - pow(0.8, Double(s))) * mm / denom
                }
                XCTAssertEqual(Double(m.parameter(name)![3]), p, accuracy: 1e-6, "\(policy) \(name)")
            }
        }
    }

    func testEntropiesMatchDirectComputation() throws {
        let m = try tinyModel()
        let tokens: [Int32] = [1, 2, 3, 4, 5, 6, 7, 0]
        try m.forward(tokens: tokens, batch: 2, length: 4)
        let logits = m.logits(), h = m.entropies()
        for b in 0..<2 {
            XCTAssertEqual(h[b * 4], 0)
            for t in 1..<4 {
                let row = logits[((b * 4 + t - 1) * 8)..<((b * 4 + t) * 8)].map(Double.init)
                let mx = row.max()!
                let z = row.map { exp($0 - mx) }.reduce(0, +)
                let ent = -row.map { exp($0 - mx) / z * (($0 - mx) - log(z)) }.reduce(0, +)
                XCTAssertEqual(Double(h[b * 4 + t]), ent, accuracy: 1e-5)
            }
        }
    }

    func testForwardAndBackwardRejectBadInput() throws {
        let m = try tinyModel()
        XCTAssertThrowsError(try m.backward(dLogProbs: [0]))
        XCTAssertThrowsError(try m.forward(tokens: [1, 2, 3], batch: 2, length: 2))
        XCTAssertThrowsError(try m.forward(tokens: [1, 8], batch: 1, length: 2))
        XCTAssertThrowsError(try m.forward(tokens: .init(repeating: 1, count: 9), batch: 1, length: 9))
        try m.forward(tokens: [1, 2], batch: 1, length: 2)
        XCTAssertThrowsError(try m.backward(dLogProbs: [0, 0, 0]))
        XCTAssertThrowsError(try m.setParameter("nope", [1]))
        XCTAssertThrowsError(try m.setParameter("transformer.ln_f.bias", [1]))
    }

    func testConfigRoundTripsEveryField() throws {
        let c = ModelConfig(vocabSize: 7, nPositions: 9, nEmbd: 12, nLayer: 3, nHead: 3, layerNormEpsilon: 1e-6)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: c.configJSON()), c)
        let a = AdamWConfig(learningRate: 0.5, beta1: 0.1, beta2: 0.2, eps: 0.3, weightDecay: 0.4, decay: .all)
        XCTAssertEqual(try JSONDecoder().decode(AdamWConfig.self, from: JSONEncoder().encode(a)), a)
        let s = SamplingOptions(temperature: 0.5, topK: 3, maxNewTokens: 4, endToken: 2, greedy: true)
        XCTAssertEqual(try JSONDecoder().decode(SamplingOptions.self, from: JSONEncoder().encode(s)), s)
    }
}
