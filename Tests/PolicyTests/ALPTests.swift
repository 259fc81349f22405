// ALP (ALGORITHMS.md §3.2): finite-difference check of d loss / d s_l with the noise fixed, noise only
// in the perturbed update forward (never in plain forward or sampling), seeded reproducibility,
// σ → 0 limit, layer ranges, optimizer/clipping/gradient-file/checkpoint integration.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class ALPTests: XCTestCase {
    /// A tiny model with randomised parameters (so no term hides behind a 0 or 1) and its batch.
    func makeModel(seed: UInt64 = 11) throws -> (GPT, [Int32], [Float]) {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let model = try GPT(config: cfg, seed: seed)
        var rng = Xoshiro256(seed: seed &+ 1)
        for t in model.layout.tensors {
            let isGain = t.name.contains(".ln_") && t.name.hasSuffix(".weight")
            try model.setParameter(t.name, (0..<t.count).map { _ in (isGain ? 1 : 0) + 0.1 * rng.nextGaussian() })
        }
        let tokens: [Int32] = (0..<12).map { _ in Int32(rng.next() % 16) }
        var w = (0..<12).map { _ in 2 * rng.nextUniform() - 1 }
        w[0] = 0; w[6] = 0
        return (model, tokens, w)
    }

    func weighted(_ lp: [Float], _ w: [Float]) -> Double {
        zip(lp, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    func testLogScaleGradientMatchesCentralDifferences() throws {
        let (model, tokens, w) = try makeModel()
        try model.configureALP(ALPPerturbation(sigma0: 0.3, seed: 42))
        try model.setParameter(GPT.alpLogScalesName, [log(0.3), log(0.5)])
        func loss() throws -> Double {
            weighted(try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 3), w)
        }
        _ = try loss()
        model.zeroGradients()
        try model.backward(dLogProbs: w)
        let an = model.gradient(GPT.alpLogScalesName)!
        let ln1 = model.gradient("transformer.h.1.ln_1.weight")!
        let h: Float = 1e-2
        var s = model.parameter(GPT.alpLogScalesName)!
        for l in 0..<2 {
            XCTAssertGreaterThan(abs(an[l]), 1e-4, "layer \(l): gradient should not vanish")
            let orig = s[l]
            s[l] = orig + h; try model.setParameter(GPT.alpLogScalesName, s); let up = try loss()
            s[l] = orig - h; try model.setParameter(GPT.alpLogScalesName, s); let down = try loss()
            s[l] = orig; try model.setParameter(GPT.alpLogScalesName, s)
            let fd = Float((up - down) / Double(2 * h))
            XCTAssertEqual(fd, an[l], accuracy: 3e-2 * abs(an[l]) + 1e-4, "d loss/d s_\(l)")
        }
        // The weights' gradients are taken through the perturbed activations too.
        var p = model.parameter("transformer.h.1.ln_1.weight")!
        let i = ln1.indices.max { abs(ln1[$0]) < abs(ln1[$1]) }!
        let orig = p[i]
        p[i] = orig + h; try model.setParameter("transformer.h.1.ln_1.weight", p); let up = try loss()
        p[i] = orig - h; try model.setParameter("transformer.h.1.ln_1.weight", p); let down = try loss()
        XCTAssertEqual(Float((up - down) / Double(2 * h)), ln1[i], accuracy: 3e-2 * abs(ln1[i]) + 1e-4)
    }

    func testNoiseOnlyInPerturbedForward() throws {
        let (model, tokens, _) = try makeModel()
        let (plain, _, _) = try makeModel()
        try model.configureALP(ALPPerturbation(sigma0: 0.2, seed: 1))
        let reference = try plain.forward(tokens: tokens, batch: 2, length: 6)
        XCTAssertEqual(try model.forward(tokens: tokens, batch: 2, length: 6), reference)
        XCTAssertNil(model.alpNoise(layer: 0))
        let perturbed = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 1)
        XCTAssertGreaterThan(closeness(perturbed, reference, rtol: 0, atol: 1e-4), 1, "noise must change log-probs")
        // Evaluation after a perturbed pass is clean again, and sampling never perturbs.
        XCTAssertEqual(try model.forward(tokens: tokens, batch: 2, length: 6), reference)
        let opts = SamplingOptions(temperature: 1, maxNewTokens: 5)
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        let a = try Sampler(model: model).generate(prompts: [[1, 2], [3]], options: opts, rng: &r1)
        let b = try Sampler(model: plain).generate(prompts: [[1, 2], [3]], options: opts, rng: &r2)
        XCTAssertEqual(a, b)
        // A model whose ALP is disabled ignores perturbStep.
        XCTAssertEqual(try plain.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 1), reference)
    }

    func testSameSeedAndStepGiveSameNoise() throws {
        let (model, tokens, w) = try makeModel()
        try model.configureALP(ALPPerturbation(sigma0: 0.1, seed: 77))
        let lp1 = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 5)
        let n1 = [model.alpNoise(layer: 0)!, model.alpNoise(layer: 1)!]
        model.zeroGradients(); try model.backward(dLogProbs: w)
        let g1 = model.gradient(GPT.alpLogScalesName)!
        let lp2 = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 5)
        XCTAssertEqual(lp1, lp2)
        XCTAssertEqual(model.alpNoise(layer: 0)!, n1[0])
        XCTAssertEqual(model.alpNoise(layer: 1)!, n1[1])
        model.zeroGradients(); try model.backward(dLogProbs: w)
        XCTAssertEqual(model.gradient(GPT.alpLogScalesName)!, g1)
        XCTAssertNotEqual(n1[0], n1[1], "layers draw independent noise")
        _ = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 6)
        XCTAssertNotEqual(model.alpNoise(layer: 0)!, n1[0], "a new step draws new noise")
        // ε ~ N(0, 1): with 2·768 draws the sample mean is within ±0.15 and the variance within 0.8…1.2.
        let all = n1[0] + n1[1]
        let mean = all.reduce(0, +) / Float(all.count)
        let variance = all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(all.count)
        XCTAssertEqual(mean, 0, accuracy: 0.15)
        XCTAssertEqual(variance, 1, accuracy: 0.2)
    }

    func testVanishingSigmaGivesUnperturbedLogProbs() throws {
        let (model, tokens, _) = try makeModel()
        let reference = try model.forward(tokens: tokens, batch: 2, length: 6)
        try model.configureALP(ALPPerturbation(sigma0: 1e-30, seed: 3))
        let lp = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 2)
        XCTAssertNotNil(model.alpNoise(layer: 1))
        assertClose(lp, reference, rtol: 1e-6, atol: 1e-6, "σ → 0")
    }

    func testLayerRangeAndFixedScales() throws {
        let (model, tokens, w) = try makeModel()
        try model.configureALP(ALPPerturbation(layers: 1..<2, sigma0: 0.2, seed: 4))
        _ = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 1)
        XCTAssertNil(model.alpNoise(layer: 0))
        XCTAssertNotNil(model.alpNoise(layer: 1))
        model.zeroGradients(); try model.backward(dLogProbs: w)
        let g = model.gradient(GPT.alpLogScalesName)!
        XCTAssertEqual(g[0], 0)
        XCTAssertNotEqual(g[1], 0)
        XCTAssertThrowsError(try model.configureALP(ALPPerturbation(layers: 1..<3)))
        XCTAssertThrowsError(try model.configureALP(ALPPerturbation(sigma0: 0)))
        // Not learnable: no gradient, AdamW leaves s_l at log σ₀.
        try model.configureALP(ALPPerturbation(sigma0: 0.2, learnable: false, seed: 4))
        _ = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 1)
        model.zeroGradients(); try model.backward(dLogProbs: w)
        XCTAssertEqual(model.gradient(GPT.alpLogScalesName)!, [0, 0])
        try AdamW(layout: model.layout, config: AdamWConfig()).update(model)
        XCTAssertEqual(model.parameter(GPT.alpLogScalesName)!, [log(Float(0.2)), log(Float(0.2))])
        XCTAssertNil(model.gradientsFile().tensors[GPT.alpLogScalesName])
    }

    func testOptimizerClippingGradientFileAndCheckpoint() throws {
        let (model, tokens, w) = try makeModel()
        try model.configureALP(ALPPerturbation(sigma0: 0.2, perturbLR: 0.05, seed: 8))
        _ = try model.forward(tokens: tokens, batch: 2, length: 6, perturbStep: 1)
        model.zeroGradients(); try model.backward(dLogProbs: w)
        let ga = model.gradient(GPT.alpLogScalesName)!
        let paramNorm = Vec.sumOfSquares(model.grads.base, model.layout.count)
        let alpNorm = ga.reduce(0.0) { $0 + Double($1 * $1) }
        XCTAssertEqual(Double(model.gradientNorm()), (paramNorm + alpNorm).squareRoot(), accuracy: 1e-5)
        let f = model.gradientsFile()
        XCTAssertEqual(try f.floats(GPT.alpLogScalesName, shape: [2]), ga)
        let norm = model.clipGradients(maxNorm: model.gradientNorm() / 2)
        XCTAssertEqual(model.gradient(GPT.alpLogScalesName)![0], ga[0] / 2, accuracy: 1e-6 * norm + abs(ga[0]) * 1e-5)
        // Adam's first step moves each s_l by ≈ perturbLR against its gradient's sign.
        let before = model.parameter(GPT.alpLogScalesName)!
        let opt = AdamW(layout: model.layout, config: AdamWConfig(learningRate: 1e-3))
        try opt.update(model)
        let after = model.parameter(GPT.alpLogScalesName)!
        for l in 0..<2 { XCTAssertEqual(after[l] - before[l], ga[l] > 0 ? -0.05 : 0.05, accuracy: 1e-3) }

        let dir = try makeTempDir().appendingPathComponent("ckpt")
        try Checkpoint.save(to: dir, model: model, optimizer: opt, vocab: [:], trainerState: Data("{}".utf8))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(Checkpoint.alpFile).path))
        let back = try Checkpoint.load(from: dir)
        XCTAssertEqual(back.model.alp, model.alp)
        XCTAssertEqual(back.model.parameter(GPT.alpLogScalesName)!, after)
        XCTAssertEqual(back.optimizer!.alpM.toArray(), opt.alpM.toArray())
        XCTAssertEqual(back.optimizer!.alpV.toArray(), opt.alpV.toArray())
        // model.safetensors keeps only Hugging Face names.
        let hf = try SafeTensorsFile.read(from: dir.appendingPathComponent(Checkpoint.modelFile))
        XCTAssertNil(hf.tensors[GPT.alpLogScalesName])
        XCTAssertEqual(try GPT.load(safetensors: dir.appendingPathComponent(Checkpoint.modelFile),
                                    config: model.config).alp, .disabled)
    }
}
