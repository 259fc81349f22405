// Parsing objective specs (ObjectiveParsing.swift): old key names are accepted and reported as
// deprecated, old recorded configurations still decode, and settings the trainer cannot honour are
// rejected at parse time with a typed error naming the key. Key/alias/value errors: PresetTests.
import XCTest
import Foundation
@testable import Objectives

final class ParsingTests: XCTestCase {
    func testStalenessCapIsDeprecatedForMaskStalenessAbove() throws {
        let new = try ObjectiveConfig.parseReportingDeprecations(name: "grpo", overrides: ["mask_staleness_above": "3"])
        XCTAssertEqual(new.config.maskStalenessAbove, 3)
        XCTAssertEqual(new.deprecations, [])
        for old in ["staleness_cap", "cap"] {
            let p = try ObjectiveConfig.parseReportingDeprecations(name: "grpo", overrides: [old: "3"])
            XCTAssertEqual(p.config, new.config, old)
            XCTAssertEqual(p.deprecations, [ConfigDeprecation(source: "objective settings", old: old, replacement: "mask_staleness_above")])
            XCTAssertEqual("\(p.deprecations[0])", "objective settings: '\(old)' is deprecated and will be removed; write 'mask_staleness_above' instead (same meaning)")
        }
        // The current key wins over the old one; both spellings are still checked.
        let both = try ObjectiveConfig.parseReportingDeprecations(name: "grpo",
                                                                  overrides: ["staleness_cap": "9", "mask_staleness_above": "2"])
        XCTAssertEqual(both.config.maskStalenessAbove, 2)
        XCTAssertEqual(both.deprecations.map(\.old), ["staleness_cap"])
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "grpo", overrides: ["staleness_cap": "-1"])) { e in
            XCTAssertTrue("\(e)".contains("mask_staleness_above -1 must be ≥ 0"), "\(e)")
        }
    }

    func testOldRecordedKeyStillDecodes() throws {
        let old = try JSONDecoder().decode(ObjectiveConfig.self, from: Data(#"{"name":"x","staleness_cap":4}"#.utf8))
        XCTAssertEqual(old.maskStalenessAbove, 4)
        let new = try JSONDecoder().decode(ObjectiveConfig.self,
                                           from: Data(#"{"staleness_cap":9,"mask_staleness_above":null}"#.utf8))
        XCTAssertNil(new.maskStalenessAbove, "the current key, even null, wins")
        let data = try JSONEncoder().encode(try ObjectiveConfig.preset("decoupled-ppo"))
        let dict = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(dict["mask_staleness_above"] as? Int, 4)
        XCTAssertNil(dict["staleness_cap"])
    }

    func testSpecAndTableForms() throws {
        let spec = try ObjectiveConfig.parseSpec("r2vpo:delta=0.05,cap=2")
        XCTAssertEqual(spec.config.bound, .variance); XCTAssertEqual(spec.config.delta, 0.05)
        XCTAssertEqual(spec.config.maskStalenessAbove, 2); XCTAssertEqual(spec.deprecations.map(\.old), ["cap"])
        XCTAssertEqual(try ObjectiveConfig.parseSpec("dapo").config, try ObjectiveConfig.preset("dapo"))
        let table = try ObjectiveConfig.parseTable(["preset": "ppo", "clip_high": "0.3", "staleness_cap": "5"])
        XCTAssertEqual(table.config.name, "ppo"); XCTAssertEqual(table.config.dualClip, 3)
        XCTAssertEqual(table.config.clipHigh, 0.3); XCTAssertEqual(table.config.maskStalenessAbove, 5)
        XCTAssertEqual(table.deprecations.map(\.replacement), ["mask_staleness_above"])
        XCTAssertEqual(try ObjectiveConfig.parseTable([:]).config, try ObjectiveConfig.preset("grpo"))
        XCTAssertThrowsError(try ObjectiveConfig.parseTable(["preset": "nope"]))
    }

    /// `previous_kl=input` (MDPO's exact KL) was refused while the trainer could not feed it; the
    /// trainer now keeps π_k (Training PolicyTrainer+PreviousPolicy.swift), so it parses in every form.
    func testTheExactPreviousKLParsesNowThatTheTrainerFeedsIt() throws {
        XCTAssertEqual(try ObjectiveConfig.parse(name: "mdpo", overrides: ["previous_kl": "input"]).previousKL, .input)
        XCTAssertEqual(try ObjectiveConfig.parseSpec("mdpo:previous_kl=input").config.previousKL, .input)
        XCTAssertEqual(try ObjectiveConfig.parseTable(["preset": "mdpo", "previous_kl": "input"]).config.previousKL, .input)
        XCTAssertEqual(try ObjectiveConfig.parseSpec("grpo:previous_kl=input").config.previousKL, .input)
        XCTAssertEqual(try ObjectiveConfig.parse(name: "mdpo", overrides: ["previous_kl": "sampled"]).previousKL, .sampled)
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "mdpo", overrides: ["previous_kl": "exact"]), "not a form")
        var c = try ObjectiveConfig.preset("mdpo")
        XCTAssertEqual(c.previousKL, .input, "the preset is the paper's exact KL (docs/algorithms.md mdpo)")
        c.previousKL = .input
        XCTAssertNoThrow(try c.checkTrainerSupport())
        XCTAssertNoThrow(try c.validate())
        // The entropy bonus is honoured by the trainer (dEntropy), so it parses.
        XCTAssertEqual(try ObjectiveConfig.parse(name: "grpo", overrides: ["entropy_coef": "0.01"]).entropyCoef, 0.01)
        // Every preset is something the trainer can run.
        for name in ObjectiveConfig.presetNames { XCTAssertNoThrow(try ObjectiveConfig.preset(name).checkTrainerSupport(), name) }
    }

    /// Every key `ObjectiveConfig` encodes is read back by its tolerant decoder and settable by
    /// `parse` (a new setting whose `read` line is missing in ObjectiveConfig+Decoding.swift fails here).
    func testEverySettingIsDecodedAndParsed() throws {
        let base = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(ObjectiveConfig())) as? [String: Any])
        for key in ObjectiveConfig.CodingKeys.allCases {
            let value: Any, text: String
            switch ObjectiveConfig.kind(key) {
            case .bool: let b = !(base[key.rawValue] as? Bool ?? false); value = b; text = "\(b)"
            case .string: value = "x"; text = "x"
            case let .choice(valid):
                let other = valid.first { $0 != base[key.rawValue] as? String } ?? ""
                value = other; text = other
            case .float, .int, .optional:
                let n = (base[key.rawValue] as? NSNumber)?.intValue ?? 0
                value = n + 1; text = "\(n + 1)"
            }
            let one = try JSONSerialization.data(withJSONObject: [key.rawValue: value])
            let decoded = try JSONDecoder().decode(ObjectiveConfig.self, from: one)
            XCTAssertTrue(decoded != ObjectiveConfig(), "\(key.rawValue) is not read by init(from:)")
            if key != .name {
                do {
                    let parsed = try ObjectiveConfig.parse(name: "grpo", overrides: [key.rawValue: text])
                    XCTAssertTrue(parsed != (try ObjectiveConfig.preset("grpo")), "\(key.rawValue)=\(text) did not change the preset")
                } catch ObjectiveError.invalidSetting, ObjectiveError.trainerUnsupported {
                    // Recognised and range-checked (e.g. clip_low=1 is out of range): parsed.
                }
            }
        }
    }
}
