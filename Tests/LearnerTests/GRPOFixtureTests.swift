// The GRPO clipped surrogate through the real model against the PyTorch + Hugging Face
// reference (shared/fixtures/gpt2-tiny: `grpo.*` and `grad.grpo.<param>`): advantages,
// loss value and every parameter gradient.

import Foundation
import XCTest
import Objectives
import Policy
import Tensor

final class GRPOFixtureTests: XCTestCase {
    func testGRPOLossAndGradientsMatchTheReference() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PolicyTests/Fixtures/gpt2-tiny")
        let cfg = try ModelConfig.read(configJSON: dir.appendingPathComponent("config.json"))
        let model = try GPT.load(safetensors: dir.appendingPathComponent("model.safetensors"), config: cfg)
        let ref = try SafeTensorsFile.read(from: dir.appendingPathComponent("reference.safetensors"))
        let tokens = try ref.int32s("tokens")
        let (n, s) = (4, 20)
        let rewards = try ref.floats("grpo.rewards")
        let groups = try ref.int32s("grpo.group_ids")
        let adv = try AdvantageEstimator.grpo.advantages(rewards: rewards, groupIDs: groups, epsStd: 1e-6)
        let refAdv = try ref.floats("grpo.advantages")
        for (a, b) in zip(adv, refAdv) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        let batch = TokenBatch(count: n, length: s, behaviourLogProbs: try ref.floats("grpo.behaviour_logprobs"),
                               mask: try ref.floats("grpo.loss_mask"), advantages: adv)
        model.zeroGradients()
        let lp = try model.forward(tokens: tokens, batch: n, length: s)
        let res = try surrogateLoss(ObjectiveConfig(clipLow: 0.2, clipHigh: 0.2, aggregation: .tokenMean), batch: batch, logProbs: lp)
        let refLoss = try ref.floats("grpo.loss")[0]
        XCTAssertEqual(res.loss, Double(refLoss), accuracy: 1e-5 * max(1, abs(Double(refLoss))))
        XCTAssertGreaterThan(res.stats.clipFractionLow + res.stats.clipFractionHigh, 0, "the fixture should exercise clipping")
        try model.backward(dLogProbs: res.dLogProbs)
        var checked = 0
        for t in model.layout.tensors {
            let expected = try ref.floats("grad.grpo.\(t.name)")
            let got = try XCTUnwrap(model.gradient(t.name))
            let scale = expected.map { abs($0) }.max() ?? 0
            for (g, e) in zip(got, expected) {
                XCTAssertEqual(g, e, accuracy: 1e-4 * max(scale, 1e-6) + 1e-7, t.name)
            }
            checked += 1
        }
        XCTAssertEqual(checked, model.layout.tensors.count)
    }
}
