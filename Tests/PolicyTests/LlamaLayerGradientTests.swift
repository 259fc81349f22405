// Central-difference checks of the Llama layers' hand-written backward functions (RMSNorm, RoPE,
// grouped-query attention, SwiGLU) on random inputs, and of the whole Llama model (GQA, q/k/v bias,
// tied head) including ALP's log-scale gradient. Loss = Σ r ⊙ layer(x) with random r.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class LlamaLayerGradientTests: XCTestCase {
    var rng = Xoshiro256(seed: 5)
    func randn(_ n: Int, _ s: Float = 1) -> [Float] { (0..<n).map { _ in s * rng.nextGaussian() } }

    /// Checks `analytic` against central differences of `loss` w.r.t. every entry of `x` (in Double).
    func checkCentral(_ x: inout [Float], _ analytic: [Float], h: Float = 1e-2, tol: Float = 2e-2, _ what: String,
                      loss: ([Float]) -> Double) {
        XCTAssertEqual(x.count, analytic.count)
        let scale = analytic.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(what): all-zero gradient")
        for i in x.indices {
            let o = x[i]
            x[i] = o + h; let up = loss(x)
            x[i] = o - h; let down = loss(x)
            x[i] = o
            let fd = Float((up - down) / Double(2 * h))
            XCTAssertLessThanOrEqual(abs(fd - analytic[i]), tol * abs(analytic[i]) + 3e-3 * scale,
                                     "\(what)[\(i)]: finite difference \(fd), backward \(analytic[i])")
        }
    }

    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func testRMSNorm() {
        let N = 3, C = 8
        var x = randn(N * C), w = randn(C, 0.3).map { $0 + 1 }
        let r = randn(N * C)
        func fwd(_ x: [Float], _ w: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: N * C), rs = [Float](repeating: 0, count: N)
            rmsnormForward(&out, &rs, x, w, N: N, C: C, eps: 1e-5)
            return out
        }
        var rs = [Float](repeating: 0, count: N), tmp = [Float](repeating: 0, count: N * C)
        rmsnormForward(&tmp, &rs, x, w, N: N, C: C, eps: 1e-5)
        var dx = [Float](repeating: 0, count: N * C), dw = [Float](repeating: 0, count: C)
        rmsnormBackward(&dx, &dw, r, x, w, rs, N: N, C: C)
        checkCentral(&x, dx, "rmsnorm dx") { dot(fwd($0, w), r) }
        let xc = x
        checkCentral(&w, dw, "rmsnorm dw") { dot(fwd(xc, $0), r) }
    }

    func testRoPEIsARotationAndItsTransposeIsTheBackward() {
        let N = 5, nh = 3, hs = 8, stride = nh * hs
        let (c, s) = ropeTables(length: N, headSize: hs, theta: 100)
        let x = randn(N * stride), r = randn(N * stride)
        var y = x
        ropeApply(&y, stride: stride, positions: { $0 }, N: N, nh: nh, hs: hs, cos: c, sin: s)
        // Norm preserved per head; position 0 is the identity.
        XCTAssertEqual(dot(y, y), dot(x, x), accuracy: 1e-3 * dot(x, x))
        for i in 0..<stride { XCTAssertEqual(y[i], x[i], accuracy: 1e-6) }
        XCTAssertGreaterThan(zip(y, x).map { abs($0 - $1) }.max()!, 1e-2)
        // ⟨r, R x⟩ = ⟨Rᵀ r, x⟩ and Rᵀ R = I.
        var rt = r
        ropeApply(&rt, stride: stride, positions: { $0 }, N: N, nh: nh, hs: hs, cos: c, sin: s, inverse: true)
        XCTAssertEqual(dot(r, y), dot(rt, x), accuracy: 1e-4 * abs(dot(r, y)) + 1e-4)
        var back = y
        ropeApply(&back, stride: stride, positions: { $0 }, N: N, nh: nh, hs: hs, cos: c, sin: s, inverse: true)
        for i in x.indices { XCTAssertEqual(back[i], x[i], accuracy: 1e-5) }
        // HF rotate_half at position 1, head 0, pair (0, hs/2): a' = a cos θ − b sin θ with θ = 1.
        XCTAssertEqual(y[stride], x[stride] * cosf(1) - x[stride + hs / 2] * sinf(1), accuracy: 1e-6)
    }

    func testGroupedQueryAttention() {
        let B = 2, T = 4, H = 4, KV = 2, hs = 4, C = H * hs, D = C + 2 * KV * hs
        var qkv = randn(B * T * D, 0.7)
        let r = randn(B * T * C)
        func fwd(_ q: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: B * T * C), lse = [Float](repeating: 0, count: B * H * T)
            gqaForward(&out, &lse, q, B: B, T: T, H: H, KV: KV, hs: hs)
            return out
        }
        var out = [Float](repeating: 0, count: B * T * C), lse = [Float](repeating: 0, count: B * H * T)
        gqaForward(&out, &lse, qkv, B: B, T: T, H: H, KV: KV, hs: hs)
        var dqkv = [Float](repeating: 0, count: B * T * D)
        gqaBackward(&dqkv, r, qkv, lse, B: B, T: T, H: H, KV: KV, hs: hs)
        checkCentral(&qkv, dqkv, "gqa dqkv") { dot(fwd($0), r) }
        // Causality: the first position's output is its own value vector for every head of a group.
        for h in 0..<H {
            for i in 0..<hs { XCTAssertEqual(out[h * hs + i], qkv[C + KV * hs + (h / 2) * hs + i], accuracy: 1e-6) }
        }
    }

    func testSwiGLU() {
        let N = 3, F = 10
        var gu = randn(N * 2 * F, 2)
        let r = randn(N * F)
        func fwd(_ x: [Float]) -> [Float] {
            var h = [Float](repeating: 0, count: N * F)
            swigluForward(&h, x, N: N, F: F)
            return h
        }
        var dgu = [Float](repeating: 0, count: N * 2 * F)
        swigluBackward(&dgu, r, gu, N: N, F: F)
        checkCentral(&gu, dgu, "swiglu dgu") { dot(fwd($0), r) }
        let h = fwd(gu)
        XCTAssertEqual(h[0], gu[0] / (1 + exp(-gu[0])) * gu[F], accuracy: 1e-5)
    }

    /// A tiny Llama (GQA, q/k/v bias, tied head) with randomised parameters and its batch.
    func tinyLlama() throws -> (GPT, [Int32], [Float]) {
        let cfg = ModelConfig.llama(vocabSize: 11, hiddenSize: 16, intermediateSize: 24, layers: 2, heads: 4, kvHeads: 2,
                                    maxPositions: 16, ropeTheta: 500, tieWordEmbeddings: true, attentionBias: true)
        let model = try GPT(config: cfg, seed: 3)
        for t in model.layout.tensors {
            let gain = t.name.hasSuffix("norm.weight")
            try model.setParameter(t.name, (0..<t.count).map { _ in (gain ? 1 : 0) + 0.3 * rng.nextGaussian() })
        }
        let tokens: [Int32] = (0..<10).map { _ in Int32(rng.next() % 11) }
        var w = (0..<10).map { _ in 2 * rng.nextUniform() - 1 }
        w[0] = 0; w[5] = 0
        return (model, tokens, w)
    }

    func testWholeLlamaModelAndALPMatchCentralDifferences() throws {
        let (model, tokens, w) = try tinyLlama()
        try model.configureALP(ALPPerturbation(sigma0: 0.3, seed: 4))
        func loss() throws -> Double { dot(try model.forward(tokens: tokens, batch: 2, length: 5, perturbStep: 2), w) }
        _ = try loss()
        model.zeroGradients()
        try model.backward(dLogProbs: w)
        var checked = 0
        for name in model.layout.tensors.map(\.name) + [GPT.alpLogScalesName] {
            let an = model.gradient(name)!
            var p = model.parameter(name)!
            let idx = Array(an.indices.sorted { abs(an[$0]) > abs(an[$1]) }.prefix(3))
            let scale = an.map(abs).max()!
            XCTAssertGreaterThan(scale, 0, "\(name): all-zero gradient")
            for i in idx {
                let o = p[i]
                p[i] = o + 1e-2; try model.setParameter(name, p); let up = try loss()
                p[i] = o - 1e-2; try model.setParameter(name, p); let down = try loss()
                p[i] = o; try model.setParameter(name, p)
                let fd = Float((up - down) / 2e-2)
                XCTAssertLessThanOrEqual(abs(fd - an[i]), 3e-2 * abs(an[i]) + 3e-3 * scale, "\(name)[\(i)]: fd \(fd), backward \(an[i])")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 40)
    }
}
