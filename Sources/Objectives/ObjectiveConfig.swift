// The objective's switches and hyper-parameters, named as in ALGORITHMS.md, and the
// named presets a user selects with `--objective NAME`. Encoded as JSON into batch
// metadata and checkpoints so that every update can be replayed exactly.

/// Errors for objective names and settings.
public enum ObjectiveError: Error, Equatable, CustomStringConvertible {
    case unknownObjective(String, valid: [String])
    case shapeMismatch(String)
    case nonFinite(what: String, index: Int, value: Float)
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .unknownObjective(n, valid): return "unknown objective '\(n)'; valid: \(valid.joined(separator: ", "))"
        case let .shapeMismatch(s): return "objective input shape mismatch: \(s)"
        case let .nonFinite(w, i, v): return "objective input \(w)[\(i)] is not finite (\(v))"
        case let .invalidSetting(s): return "invalid objective setting: \(s)"
        }
    }
}

/// Every switch of the loss kernel with its hyper-parameters.
public struct ObjectiveConfig: Codable, Sendable, Equatable {
    /// Preset name the configuration came from (recorded in metadata).
    public var name: String
    /// Advantage estimator (§1.3).
    public var advantage: AdvantageEstimator
    /// ε_std of the GRPO z-score.
    public var epsStd: Float
    /// Lower clip width ε_low: ratios below `1 − ε_low` stop pushing down (§4.1, §4.6).
    public var clipLow: Float
    /// Upper clip width ε_high: ratios above `1 + ε_high` stop pushing up.
    public var clipHigh: Float
    /// Dual-clip constant `c > 1` for negative advantages (§4.2); nil = off.
    public var dualClip: Float?
    /// Loss aggregation (§1.4).
    public var aggregation: Aggregation
    /// `L_norm` for `seq-mean-token-sum-norm`; nil = the batch's padded length.
    public var lengthNorm: Int?
    /// Log-ratio clamp before `exp` (§1.2).
    public var logRatioClamp: Float

    public init(name: String = "grpo", advantage: AdvantageEstimator = .grpo, epsStd: Float = 1e-6,
                clipLow: Float = 0.2, clipHigh: Float = 0.2, dualClip: Float? = nil,
                aggregation: Aggregation = .tokenMean, lengthNorm: Int? = nil, logRatioClamp: Float = 20) {
        self.name = name; self.advantage = advantage; self.epsStd = epsStd
        self.clipLow = clipLow; self.clipHigh = clipHigh; self.dualClip = dualClip
        self.aggregation = aggregation; self.lengthNorm = lengthNorm; self.logRatioClamp = logRatioClamp
    }

    /// Names accepted by `preset(_:)`.
    public static let presetNames = ["grpo", "dr-grpo", "dapo", "rloo", "ppo"]

    /// The named method's defaults (papers' settings where they exist).
    public static func preset(_ name: String) throws -> ObjectiveConfig {
        switch name {
        case "grpo": return ObjectiveConfig(name: name)
        case "dr-grpo": return ObjectiveConfig(name: name, advantage: .drGRPO, aggregation: .seqMeanTokenSumNorm)
        case "dapo": return ObjectiveConfig(name: name, clipLow: 0.2, clipHigh: 0.28)
        case "rloo": return ObjectiveConfig(name: name, advantage: .rloo, aggregation: .seqMeanTokenSum)
        case "ppo": return ObjectiveConfig(name: name, dualClip: 3)
        default: throw ObjectiveError.unknownObjective(name, valid: presetNames)
        }
    }

    /// Checks ranges a loss cannot work with.
    public func validate() throws {
        guard clipLow >= 0, clipLow < 1 else { throw ObjectiveError.invalidSetting("clip_low \(clipLow) must be in [0, 1)") }
        guard clipHigh >= 0 else { throw ObjectiveError.invalidSetting("clip_high \(clipHigh) must be ≥ 0") }
        if let c = dualClip, c <= 1 { throw ObjectiveError.invalidSetting("dual_clip \(c) must be > 1") }
        guard logRatioClamp > 0 else { throw ObjectiveError.invalidSetting("log_ratio_clamp must be > 0") }
    }
}
