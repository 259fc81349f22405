// Exactness against transformers (Fixtures/make_real_family_fixtures.py): a Llama with GQA and an
// untied head, a Qwen2 with q/k/v bias and a tied head, and a GPT-2 with vocabulary 300, an untied
// head and tensor names without the `transformer.` prefix. Log-probs within 1e-4; the gradients of
// a mean cross-entropy and of a weighted sum of log-probs within 1e-3 relative L2 per parameter.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class RealFamilyFixtureTests: XCTestCase {
    static func dir(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    }

    func load(_ name: String) throws -> (GPT, SafeTensorsFile, [Int32], Int, Int) {
        let d = Self.dir(name)
        let cfg = try ModelConfig.read(configJSON: d.appendingPathComponent("config.json"))
        let model = try GPT.load(safetensors: d.appendingPathComponent("model.safetensors"), config: cfg)
        let ref = try SafeTensorsFile.read(from: d.appendingPathComponent("reference.safetensors"))
        let shape = try ref.tensor("tokens").shape
        return (model, ref, try ref.int32s("tokens"), shape[0], shape[1])
    }

    func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for i in a.indices { let d = Double(a[i] - b[i]); num += d * d; den += Double(b[i]) * Double(b[i]) }
        return (num / max(den, 1e-30)).squareRoot()
    }

    func check(_ name: String, family: ModelFamily, tied: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let (model, ref, tokens, B, T) = try load(name)
        XCTAssertEqual(model.config.family, family, file: file, line: line)
        XCTAssertEqual(model.config.tieWordEmbeddings, tied, file: file, line: line)
        let lp = try model.forward(tokens: tokens, batch: B, length: T)
        let expected = try ref.floats("logprobs")
        let worst = zip(lp, expected).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-4, "\(name) log-probs", file: file, line: line)
        // Mean cross-entropy and a weighted sum of log-probs (the RL form).
        var dCE = [Float](repeating: 0, count: B * T)
        for b in 0..<B { for t in 1..<T { dCE[b * T + t] = -1 / Float(B * (T - 1)) } }
        let weights = try ref.floats("wsum_weights")
        for (kind, d) in [("ce", dCE), ("wsum", weights)] {
            _ = try model.forward(tokens: tokens, batch: B, length: T)
            model.zeroGradients()
            try model.backward(dLogProbs: d)
            for t in model.layout.tensors {
                let e = try ref.floats("grad.\(kind).\(t.name)", shape: t.shape)
                let err = relativeL2(model.gradient(t.name)!, e)
                XCTAssertLessThan(err, 1e-3, "\(name) grad.\(kind).\(t.name)", file: file, line: line)
            }
        }
    }

    func testLlamaGQAUntiedMatchesTransformers() throws { try check("llama-gqa", family: .llama, tied: false) }
    func testQwen2BiasTiedMatchesTransformers() throws { try check("qwen2-bias", family: .llama, tied: true) }
    func testGPT2UntiedUnprefixedMatchesTransformers() throws { try check("gpt2-untied", family: .gpt2, tied: false) }

    func testFixtureConfigsDecodeAsExpected() throws {
        let llama = try ModelConfig.read(configJSON: Self.dir("llama-gqa").appendingPathComponent("config.json"))
        XCTAssertEqual(llama, .llama(vocabSize: 300, hiddenSize: 32, intermediateSize: 64, layers: 2, heads: 4, kvHeads: 2,
                                     maxPositions: 64, ropeTheta: 10_000, rmsNormEps: 1e-5))
        let qwen = try ModelConfig.read(configJSON: Self.dir("qwen2-bias").appendingPathComponent("config.json"))
        XCTAssertEqual(qwen, .llama(vocabSize: 300, hiddenSize: 32, intermediateSize: 64, layers: 2, heads: 4, kvHeads: 2,
                                    maxPositions: 64, ropeTheta: 1e6, rmsNormEps: 1e-6, tieWordEmbeddings: true,
                                    attentionBias: true))
        let gpt2 = try ModelConfig.read(configJSON: Self.dir("gpt2-untied").appendingPathComponent("config.json"))
        XCTAssertEqual(gpt2, ModelConfig(vocabSize: 300, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 4, tieWordEmbeddings: false))
        // Encoding and decoding again gives the same configuration.
        for c in [llama, qwen, gpt2] { XCTAssertEqual(try ModelConfig(huggingFaceConfig: c.configJSON()), c) }
    }
}
