// The multi-threaded paths (Parallel.forChunks in attention, GELU, LayerNorm, AdamW and the cached
// attention; the split weight-gradient GEMM) must compute what the single-threaded ones do.
// Sizes are chosen so every chunked loop really splits at 2 threads.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class ParallelConsistencyTests: XCTestCase {
    let cfg = ModelConfig(vocabSize: 32, nPositions: 32, nEmbd: 128, nLayer: 2, nHead: 4)

    override func tearDown() { Blas.setThreads(2) }

    /// One update at `threads`: log-probs, all gradients (HF + ALP) and the updated parameters.
    func update(threads: Int) throws -> (lp: [Float], grads: [Float], alp: [Float], params: [Float]) {
        Blas.setThreads(threads)
        let model = try GPT(config: cfg, seed: 3)
        try model.configureALP(ALPPerturbation(sigma0: 0.05, seed: 1))
        let B = 64, T = 12  // N = 768 rows: LayerNorm, GELU, attention, AdamW and the dW GEMMs all split
        var rng = Xoshiro256(seed: 5)
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 32) }
        let w = (0..<(B * T)).map { $0 % T == 0 ? Float(0) : rng.nextUniform() - 0.5 }
        let lp = try model.forward(tokens: tokens, batch: B, length: T, perturbStep: 1)
        model.zeroGradients()
        try model.backward(dLogProbs: w)
        let grads = model.grads.toArray(), alp = model.alpGrads.toArray()
        try AdamW(layout: model.layout, config: AdamWConfig(learningRate: 1e-3, weightDecay: 0.1)).update(model)
        return (lp, grads, alp, model.params.toArray())
    }

    func testUpdateIsTheSameOnOneAndTwoThreads() throws {
        let one = try update(threads: 1), two = try update(threads: 2)
        assertClose(two.lp, one.lp, rtol: 1e-5, atol: 1e-5, "log-probs")
        let scale = one.grads.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        assertClose(two.grads, one.grads, rtol: 1e-3, atol: 1e-5 * scale, "gradients")
        assertClose(two.alp, one.alp, rtol: 1e-3, atol: 1e-6, "ALP gradients")
        // Adam's first step is ≈ lr·g/(|g| + ε): for the rare |g| ≲ 1e-6 the last-bit differences of
        // chunked sums are amplified, so allow 10 % of lr (1e-4); a skipped or doubled chunk moves
        // parameters by ~lr and still fails.
        assertClose(two.params, one.params, rtol: 1e-5, atol: 1e-4, "updated parameters")
    }

    func testSamplerIsTheSameOnOneAndTwoThreads() throws {
        var prompts: [[Int32]] = []
        for g in 0..<10 { prompts += Array(repeating: [Int32(g), Int32(g + 1), 3], count: 8) }  // 80 rows
        func run(_ threads: Int) throws -> [Completion] {
            Blas.setThreads(threads)
            let model = try GPT(config: cfg, seed: 4)
            for t in model.layout.tensors where !t.isVector {  // sharper distributions than GPT-2's init
                try model.setParameter(t.name, model.parameter(t.name)!.map { $0 * 6 })
            }
            var rng = Xoshiro256(seed: 2)
            return try Sampler(model: model).generate(prompts: prompts, options: SamplingOptions(maxNewTokens: 10,
                                                                                                greedy: true), rng: &rng)
        }
        let one = try run(1), two = try run(2)
        XCTAssertEqual(one.map(\.tokens), two.map(\.tokens))
        assertClose(two.flatMap(\.logProbs), one.flatMap(\.logProbs), rtol: 1e-4, atol: 1e-5, "sampled log-probs")
        XCTAssertGreaterThan(Set(one.flatMap(\.tokens)).count, 2, "not degenerate")
    }
}
