// Command-line style configuration: `--objective r2vpo --objective-set delta=0.05,eta=0.1`.
// Keys are the JSON keys of ObjectiveConfig (snake_case) plus a few aliases; values are
// checked against the key's type, and the result is validated and checked against what the trainer
// supports. Errors name the key. Old key names are accepted and reported (`ConfigDeprecation`).

import Foundation

extension ObjectiveConfig {
    /// The type of a setting, for parsing and error messages.
    enum Kind {
        case float, int, bool, string
        case choice([String])
        /// Optional wrapper: "none", "off" or "null" clears it.
        indirect case optional(Kind)

        var expected: String {
            switch self {
            case .float: return "a finite number"
            case .int: return "an integer"
            case .bool: return "true or false"
            case .string: return "a string"
            case let .choice(v): return "one of \(v.joined(separator: ", "))"
            case let .optional(k): return "\(k.expected), or none"
            }
        }
    }

    static func kind(_ key: CodingKeys) -> Kind {
        func names<E: CaseIterable & RawRepresentable>(_: E.Type) -> Kind where E.RawValue == String {
            .choice(E.allCases.map(\.rawValue))
        }
        switch key {
        case .name: return .string
        case .advantage: return names(AdvantageEstimator.self)
        case .reference: return names(RatioReference.self)
        case .ratioLevel: return names(RatioLevel.self)
        case .sequenceGradient: return names(SequenceGradient.self)
        case .bound: return names(BoundingRule.self)
        case .variance: return names(VarianceEstimator.self)
        case .dualRule: return names(DualRule.self)
        case .weight: return names(StalenessWeight.self)
        case .weightLevel: return names(WeightLevel.self)
        case .aggregation: return names(Aggregation.self)
        case .previousKL: return names(PreviousKL.self)
        case .oblrLR: return names(LearningRateRule.self)
        case .epsStd, .logRatioClamp, .clipLow, .clipHigh, .etrAlpha, .mhpoKappa, .mhpoEtaUp, .mhpoEtaDown,
             .mhpoShapeUp, .mhpoShapeDown, .lambda0, .delta, .etaLambda, .lambdaMin, .lambdaMax, .tisCap,
             .misLow, .misHigh, .rhoBar, .klCoef, .entropyCoef, .mdpoStep, .mdpoMinFraction, .epoBand, .epoHistory,
             .empgFutureK, .empgZeta, .dcpoTargetRatio, .safeThreshold, .safeEntropyFloor, .safeKp, .safeKi, .safeKd,
             .safePenaltyScale, .oblrLRMin, .oblrSNREMA, .sftCoef:
            return .float
        case .dualClip, .varianceEMA, .d3sSampleKeep, .d3sTokenKeep, .capoThreshold, .alpSigma0, .alpPerturbLR,
             .epoSmoothing, .empgK, .dcpoAlpha, .dcpoTargetEntropy, .calibrationMargin, .adoraLambda, .pipoBeta,
             .offlineWeight:
            return .optional(.float)
        case .maskStalenessAbove, .lengthNorm, .mdpoAnnealSteps, .epoPhaseSteps: return .optional(.int)
        case .d3sScheduleSteps, .pipoWindow, .ghpoStages: return .int
        case .etrGroupScale, .dynamicSampling, .alpLearnable, .safe, .dcpoTwoSided, .ratioNorm, .calibrationAdvantage,
             .oblrBaseline:
            return .bool
        }
    }

    /// Short aliases accepted by `parse` (alias → one or more keys).
    package static let aliases: [String: [String]] = [
        "eta": ["eta_lambda"], "lambda": ["lambda0"], "eps": ["clip_low", "clip_high"],
        "epsilon": ["clip_low", "clip_high"], "c": ["dual_clip"], "beta": ["kl_coef"],
    ]

    /// Old setting names `parse` still accepts (old → current key); each use is reported as an
    /// `ConfigDeprecation`. `staleness_cap` (alias `cap`) was renamed after what it does, so it
    /// is not confused with the learner's admission limit.
    package static let deprecatedKeys: [String: String] = [
        "staleness_cap": "mask_staleness_above", "cap": "mask_staleness_above",
    ]

    /// All keys `parse` accepts without a deprecation (JSON keys and aliases).
    package static var settingKeys: [String] { CodingKeys.allCases.map(\.rawValue) + aliases.keys.sorted() }

    /// Preset `name` with `overrides` applied (keys as in JSON, or aliases), then validated and
    /// checked against what the trainer supports (`checkTrainerSupport`). Deprecated keys are
    /// accepted silently here; `parseReportingDeprecations` returns them.
    package static func parse(name: String, overrides: [String: String]) throws -> ObjectiveConfig {
        try parseReportingDeprecations(name: name, overrides: overrides).config
    }

    /// `parse`, also returning a warning for every deprecated key used (for the CLI to print).
    package static func parseReportingDeprecations(name: String, overrides: [String: String]) throws -> ParsedObjective {
        let base = try preset(name)
        let deprecations = overrides.keys.sorted().compactMap { k in
            deprecatedKeys[k].map { ConfigDeprecation(source: "objective settings", old: k, replacement: $0) }
        }
        guard !overrides.isEmpty else { return ParsedObjective(config: base, deprecations: []) }
        let encoded = try JSONEncoder().encode(base)
        guard var dict = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
            throw ObjectiveError.invalidSetting("could not encode preset \(name)")
        }
        // Aliases and deprecated names first, so an explicit key (e.g. clip_high next to eps) wins.
        func expands(_ k: String) -> [String]? { aliases[k] ?? deprecatedKeys[k].map { [$0] } }
        let ordered = overrides.sorted { a, b in
            let (aa, ba) = (expands(a.key) != nil, expands(b.key) != nil)
            return aa != ba ? aa : a.key < b.key
        }
        for (rawKey, value) in ordered {
            for key in expands(rawKey) ?? [rawKey] {
                guard let ck = CodingKeys(rawValue: key) else {
                    throw ObjectiveError.unknownKey(rawKey, valid: settingKeys)
                }
                dict[key] = try parseValue(value, kind: kind(ck), key: rawKey)
            }
        }
        let data = try JSONSerialization.data(withJSONObject: dict)
        let out: ObjectiveConfig
        do { out = try JSONDecoder().decode(ObjectiveConfig.self, from: data) } catch {
            throw ObjectiveError.invalidSetting("overrides \(overrides) could not be applied: \(error)")
        }
        try out.validate()
        try out.checkTrainerSupport()
        return ParsedObjective(config: out, deprecations: deprecations)
    }

    /// Parses an objective spec `name` or `name:key=value,…` (the form experiment files use).
    package static func parseSpec(_ spec: String) throws -> ParsedObjective {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let overrides = parts.count > 1 ? try parseOverrides(parts[1]) : [:]
        return try parseReportingDeprecations(name: parts.first ?? "", overrides: overrides)
    }

    /// Parses an `[objective]` table of a configuration file: `preset` names the preset (default
    /// `grpo`), every other key is a setting as in `parse` (values as their text: `0.05`, `true`, `none`).
    package static func parseTable(_ table: [String: String]) throws -> ParsedObjective {
        var overrides = table
        let name = overrides.removeValue(forKey: "preset") ?? "grpo"
        return try parseReportingDeprecations(name: name, overrides: overrides)
    }

    /// Settings the kernel computes but the trainer (Learner's PolicyTrainer) cannot honour yet,
    /// with the reason; `parse` rejects them so a run fails before it starts, not at its first update.
    /// None today (MDPO's `previous_kl=input` was the last: the trainer now keeps π_k and supplies
    /// the exact KL, PolicyTrainer+PreviousPolicy.swift); a new kernel-only knob is refused here.
    package func checkTrainerSupport() throws {}

    /// Parses `"delta=0.05,eta=0.1"` into a dictionary (empty string → empty dictionary).
    package static func parseOverrides(_ text: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty else {
                throw ObjectiveError.badValue(key: String(part), value: "", expected: "key=value")
            }
            out[kv[0]] = kv[1]
        }
        return out
    }

    private static func parseValue(_ v: String, kind: Kind, key: String) throws -> Any {
        let bad = ObjectiveError.badValue(key: key, value: v, expected: kind.expected)
        switch kind {
        case .float:
            guard let d = Double(v), d.isFinite, Float(d).isFinite else { throw bad }
            return d
        case .int:
            guard let i = Int(v) else { throw bad }
            return i
        case .bool:
            switch v.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw bad
            }
        case .string: return v
        case let .choice(valid):
            guard valid.contains(v) else { throw bad }
            return v
        case let .optional(inner):
            if ["none", "off", "null"].contains(v.lowercased()) { return NSNull() }
            do { return try parseValue(v, kind: inner, key: key) } catch { throw bad }
        }
    }
}

/// A setting given under its old, deprecated name: a learner configuration key, an environment
/// variable or an objective setting (`source` says which). The one type for every rename.
package struct ConfigDeprecation: Equatable, Sendable, CustomStringConvertible {
    /// Where it was given: a file path, "environment" or "command line".
    package var source: String
    /// The old name as written there (`training.staleness_cap`, or the variable name).
    package var old: String
    /// The key to write instead (`admission.max_staleness`).
    package var replacement: String

    package init(source: String, old: String, replacement: String) {
        self.source = source; self.old = old; self.replacement = replacement
    }

    package var description: String {
        "\(source): '\(old)' is deprecated and will be removed; write '\(replacement)' instead (same meaning)"
    }
}


/// A parsed objective: the validated configuration and the deprecation warnings its spelling earned.
package struct ParsedObjective: Sendable, Equatable {
    package var config: ObjectiveConfig
    package var deprecations: [ConfigDeprecation]
}
