// The exact Gauss–Newton curvature the forward computes for CAPO (`tracksCurvature`,
// `curvatures()`) against the definition (e_y − p)ᵀ(diag p − p pᵀ)(e_y − p) evaluated in Double
// from the full logits of the same forward, for both model families.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class CurvatureTests: XCTestCase {
    func check(_ model: GPT, B: Int, T: Int, seed: UInt64) throws {
        var rng = Xoshiro256(seed: seed)
        let V = model.config.vocabSize
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % UInt64(V)) }
        _ = try model.forward(tokens: tokens, batch: B, length: T)
        XCTAssertEqual(model.curvatures(), [], "not tracked by default")
        model.tracksCurvature = true
        _ = try model.forward(tokens: tokens, batch: B, length: T)
        let c = model.curvatures(), logits = model.logits()
        XCTAssertEqual(c.count, B * T)
        for r in 0..<(B * T) where (r + 1) % T != 0 {
            let z = (0..<V).map { Double(logits[r * V + $0]) }
            let m = z.max()!, s = z.reduce(0) { $0 + exp($1 - m) }
            let p = z.map { exp($0 - m) / s }
            let y = Int(tokens[r + 1])
            let d = (0..<V).map { ($0 == y ? 1 : 0) - p[$0] }
            let pd = zip(p, d).reduce(0) { $0 + $1.0 * $1.1 }
            let want = (0..<V).reduce(0) { $0 + p[$1] * d[$1] * d[$1] } - pd * pd
            XCTAssertEqual(Double(c[r + 1]), want, accuracy: 1e-5 + 1e-4 * want, "position \(r + 1)")
        }
        for b in 0..<B { XCTAssertEqual(c[b * T], 0) }
        XCTAssertTrue(c.contains { $0 > 1e-3 }, "the check is not vacuous")
    }

    func testGPT2() throws {
        let model = try GPT(config: try ModelConfig.preset("tiny", vocabSize: 16), seed: 3)
        try check(model, B: 2, T: 6, seed: 1)
    }

    func testLlama() throws {
        let cfg = ModelConfig.llama(vocabSize: 11, hiddenSize: 16, intermediateSize: 24, layers: 2, heads: 4, kvHeads: 2,
                                    maxPositions: 16, ropeTheta: 500, tieWordEmbeddings: true, attentionBias: false)
        let model = try GPT(config: cfg, seed: 4)
        for t in model.layout.tensors where !t.name.hasSuffix("norm.weight") {
            var rng = Xoshiro256(seed: 8)
            try model.setParameter(t.name, (0..<t.count).map { _ in 0.5 * rng.nextGaussian() })
        }
        try check(model, B: 2, T: 5, seed: 2)
    }
}
