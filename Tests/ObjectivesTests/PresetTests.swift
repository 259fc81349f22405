// Presets and configuration: every preset parses, validates, round-trips through JSON exactly
// and passes a finite-difference check of dLoss/dlogπ; `parse` errors name the key.
import XCTest
import Foundation
@testable import Objectives

final class PresetTests: XCTestCase {
    func testEveryPresetValidatesAndRoundTripsExactly() throws {
        for name in ObjectiveConfig.presetNames {
            let c = try ObjectiveConfig.preset(name)
            XCTAssertEqual(c.name, name)
            try c.validate()
            let data = try JSONEncoder().encode(c)
            XCTAssertEqual(try JSONDecoder().decode(ObjectiveConfig.self, from: data), c, name)
            XCTAssertEqual(try ObjectiveConfig.parse(name: name, overrides: [:]), c)
        }
    }

    func testEveryFieldRoundTripsIncludingOptionals() throws {
        var c = ObjectiveConfig()
        c.name = "all"; c.advantage = .bnpo; c.epsStd = 1e-4; c.reference = .decoupledInterp; c.ratioLevel = .sequenceMean
        c.sequenceGradient = .straightThrough; c.logRatioClamp = 15; c.bound = .mhpo; c.clipLow = 0.1; c.clipHigh = 0.3
        c.dualClip = 4; c.etrAlpha = 0.7; c.etrGroupScale = false; c.mhpoKappa = 0.3; c.mhpoEtaUp = 0.4
        c.mhpoEtaDown = 0.6; c.mhpoShapeUp = 1.5; c.mhpoShapeDown = 3; c.lambda0 = 1.5; c.delta = 0.05
        c.etaLambda = 0.1; c.lambdaMin = 1e-4; c.lambdaMax = 100; c.variance = .one; c.dualRule = .additive
        c.varianceEMA = 0.9; c.weight = .mis; c.weightLevel = .sequence; c.tisCap = 3; c.misLow = 0.3; c.misHigh = 3
        c.rhoBar = 1.5; c.maskStalenessAbove = 6; c.aggregation = .seqMeanTokenSumNorm; c.lengthNorm = 64; c.klCoef = 0.01
        c.entropyCoef = 0.02; c.previousKL = .input; c.mdpoStep = 0.5; c.mdpoAnnealSteps = 300; c.mdpoMinFraction = 0.1
        c.dynamicSampling = true; c.d3sSampleKeep = 0.6; c.d3sTokenKeep = 0.4; c.d3sScheduleSteps = 50
        c.capoThreshold = 3; c.alpSigma0 = 0.01; c.alpPerturbLR = 5e-4; c.alpLearnable = false
        c.epoSmoothing = 0.5; c.epoBand = 0.1; c.epoHistory = 0.8; c.epoPhaseSteps = 100; c.empgK = 2
        c.empgFutureK = 0.5; c.empgZeta = 0.1; c.dcpoAlpha = 0.2; c.dcpoTargetEntropy = 1.5; c.dcpoTargetRatio = 0.7
        c.dcpoTwoSided = true; c.safe = true; c.safeThreshold = 0.2; c.safeEntropyFloor = 1; c.safeKp = 0.2; c.safeKi = 0.02; c.safeKd = 0.1
        c.safePenaltyScale = 0.3; c.ratioNorm = true; c.calibrationAdvantage = true; c.calibrationMargin = 0.2
        c.oblrBaseline = true; c.oblrLR = .snr; c.oblrLRMin = 0.2; c.oblrSNREMA = 0.5; c.adoraLambda = 0.3
        c.pipoBeta = 0.4; c.pipoWindow = 5; c.sftCoef = 0.3; c.offlineWeight = 0.5
        let data = try JSONEncoder().encode(c)
        let dict = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        // Every coding key is present, so no field is silently dropped.
        XCTAssertEqual(Set(dict.keys), Set(ObjectiveConfig.CodingKeys.allCases.map(\.rawValue)))
        let back = try JSONDecoder().decode(ObjectiveConfig.self, from: data)
        XCTAssertEqual(back, c)
        XCTAssertNotEqual(back, ObjectiveConfig())
    }

    /// A configuration recorded before later settings existed (batch metadata, checkpoints) still
    /// loads, with the missing settings at their defaults; a present key of the wrong type is an error.
    func testOlderConfigurationsWithMissingKeysDecodeToDefaults() throws {
        let old = #"{"name":"grpo","clip_low":0.1,"kl_coef":0.04,"dual_clip":3}"#
        let c = try JSONDecoder().decode(ObjectiveConfig.self, from: Data(old.utf8))
        var want = ObjectiveConfig(); want.name = "grpo"; want.clipLow = 0.1; want.klCoef = 0.04; want.dualClip = 3
        XCTAssertEqual(c, want)
        XCTAssertNil(c.epoSmoothing); XCTAssertEqual(c.epoBand, 0.2); XCTAssertFalse(c.safe)
        XCTAssertThrowsError(try JSONDecoder().decode(ObjectiveConfig.self, from: Data(#"{"clip_low":"wide"}"#.utf8)))
    }

    func testParseOverridesAndAliases() throws {
        let ov = try ObjectiveConfig.parseOverrides("delta=0.05,eta=0.1, variance=one ,varianceEMA=none".replacingOccurrences(of: "varianceEMA", with: "variance_ema"))
        let c = try ObjectiveConfig.parse(name: "r2vpo", overrides: ov)
        XCTAssertEqual(c.delta, 0.05); XCTAssertEqual(c.etaLambda, 0.1); XCTAssertEqual(c.variance, .one)
        XCTAssertNil(c.varianceEMA)
        XCTAssertEqual(c.bound, .variance)
        let e = try ObjectiveConfig.parse(name: "ppo", overrides: ["eps": "0.1", "c": "none", "staleness_cap": "3"])
        XCTAssertEqual(e.clipLow, 0.1); XCTAssertEqual(e.clipHigh, 0.1); XCTAssertNil(e.dualClip)
        XCTAssertEqual(e.maskStalenessAbove, 3)
        XCTAssertEqual(try ObjectiveConfig.parseOverrides(""), [:])
        let both = try ObjectiveConfig.parse(name: "ppo", overrides: ["eps": "0.1", "clip_high": "0.3"])
        XCTAssertEqual(both.clipLow, 0.1); XCTAssertEqual(both.clipHigh, 0.3, "explicit key beats the alias")
    }

    func testParseErrorsNameTheKey() {
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["deltta": "0.1"])) { e in
            XCTAssertEqual((e as? ObjectiveError).map { if case .unknownKey(let k, _) = $0 { return k } else { return "" } }, "deltta")
            XCTAssertTrue("\(e)".contains("unknown objective setting 'deltta'"), "\(e)")
        }
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["delta": "abc"])) { e in
            XCTAssertTrue("\(e)".contains("delta=abc: expected a finite number"), "\(e)")
        }
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["delta": "inf"]))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["bound": "clipp"])) { e in
            XCTAssertTrue("\(e)".contains("expected one of none, clip"), "\(e)")
        }
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["dynamic_sampling": "maybe"]))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["staleness_cap": "1.5"]))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "r2vpo", overrides: ["delta": "-1"])) { e in
            XCTAssertTrue("\(e)".contains("delta -1.0 must be > 0"), "\(e)")
        }
        XCTAssertThrowsError(try ObjectiveConfig.parseOverrides("delta"))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "nope", overrides: [:])) { e in
            XCTAssertTrue("\(e)".contains("valid: grpo"), "\(e)")
        }
    }

    func testFiniteDifferencesForEveryPreset() throws {
        for name in ObjectiveConfig.presetNames {
            for seed in [UInt64(1), 2] {
                var cfg = try ObjectiveConfig.preset(name)
                if name == "mdpo" { cfg.mdpoAnnealSteps = 10 }
                let (batch, lp) = randomBatch(seed: seed &* 7919 &+ UInt64(name.count))
                var state = ObjectiveState(config: cfg)
                state.step = 3
                let checked = try checkFiniteDifferences(cfg, batch: batch, logProbs: lp, state: state)
                let masked = batch.mask.filter { $0 != 0 }.count
                XCTAssertGreaterThan(checked, masked / 2, "\(name): too few positions away from kinks")
                // Gradients are not all zero (the check is not vacuous), except where the rule is flat.
                let res = try objectiveLoss(cfg, state: state, batch: batch, logProbs: lp)
                XCTAssertTrue(res.dLogProbs.contains { $0 != 0 }, name)
                XCTAssertTrue(res.loss.isFinite, name)
            }
        }
    }

    func testMissingInputsAreNamed() throws {
        let (full, lp) = randomBatch(seed: 5)
        var b = full
        b.referenceLogProbs = nil
        XCTAssertThrowsError(try surrogateLoss(try .parse(name: "grpo", overrides: ["kl_coef": "0.04"]), batch: b, logProbs: lp)) { e in
            XCTAssertTrue("\(e)".contains("reference_logprobs"), "\(e)")
        }
        b = full; b.versions = nil
        XCTAssertThrowsError(try surrogateLoss(try .preset("tis"), batch: b, logProbs: lp)) { e in
            XCTAssertTrue("\(e)".contains("policy_versions"), "\(e)")
        }
        b = full; b.entropy = nil
        XCTAssertThrowsError(try surrogateLoss(try .preset("d3s"), batch: b, logProbs: lp)) { e in
            XCTAssertTrue("\(e)".contains("entropy"), "\(e)")
        }
        b = full; b.proximalLogProbs = nil
        var dec = try ObjectiveConfig.preset("decoupled-ppo"); dec.reference = .decoupled
        XCTAssertThrowsError(try surrogateLoss(dec, batch: b, logProbs: lp)) { e in
            XCTAssertTrue("\(e)".contains("proximal_logprobs"), "\(e)")
        }
    }

    func testEveryPresetHandlesEmptyMaskAndExtremeRatios() throws {
        for name in ObjectiveConfig.presetNames {
            let cfg = try ObjectiveConfig.preset(name)
            var (batch, lp) = randomBatch(seed: 21)
            // Extreme ratios: log π − log μ far beyond the ±20 clamp in both directions.
            let extreme = lp.enumerated().map { k, v in batch.mask[k] == 0 ? v : (k % 2 == 0 ? v + 60 : v - 60) }
            let res = try surrogateLoss(cfg, batch: batch, logProbs: extreme)
            XCTAssertTrue(res.loss.isFinite, name)
            XCTAssertTrue(res.dLogProbs.allSatisfy(\.isFinite), name)
            XCTAssertLessThanOrEqual(res.metrics.ratioMax, exp(20.0) * (1 + 1e-6), name)
            // Empty mask: zero loss and gradient, no error, and the dual step is skipped.
            batch.mask = batch.mask.map { _ in 0 }
            let empty = try surrogateLoss(cfg, batch: batch, logProbs: lp)
            XCTAssertEqual(empty.loss, 0, name)
            XCTAssertTrue(empty.dLogProbs.allSatisfy { $0 == 0 }, name)
            XCTAssertEqual(empty.metrics.tokens, 0, name)
            var st = ObjectiveState(config: cfg)
            st.update(afterStep: empty, config: cfg)
            XCTAssertEqual(st.lambda, Double(cfg.lambda0), name)
        }
    }

    func testNonFiniteValuesInEveryInputAreRejectedByName() throws {
        let (batch, lp) = randomBatch(seed: 8)
        let edits: [(String, (inout TokenBatch) -> Void)] = [
            ("behaviour_logprobs", { $0.behaviourLogProbs[3] = .nan }),
            ("advantages", { $0.advantages[1] = .infinity }),
            ("rewards", { $0.rewards![0] = .nan }),
            ("proximal_logprobs", { $0.proximalLogProbs![2] = -.infinity }),
            ("reference_logprobs", { $0.referenceLogProbs![4] = .nan }),
            ("entropy", { $0.entropy![5] = .nan }),
            ("previous_kl", { $0.previousKL![6] = .infinity }),
            ("curvature", { $0.curvature = [Float](repeating: .nan, count: lp.count) }),
        ]
        for (name, edit) in edits {
            var b = batch
            edit(&b)
            XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: b, logProbs: lp), name) { e in
                XCTAssertTrue("\(e)".contains("\(name)["), "\(name): \(e)")
            }
        }
        var bad = lp
        bad[batch.mask.firstIndex(of: 1)!] = .nan
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: batch, logProbs: bad))
    }
}
