// Group-relative advantage estimators (ALGORITHMS.md §1.3, §4.4, §4.5, §5.1, §5.4).
// Every sample of a group shares one scalar advantage, computed once per group.

import Foundation

/// How a group's rewards become per-sample advantages.
public enum AdvantageEstimator: String, Codable, Sendable, CaseIterable {
    /// GRPO z-score `(R − mean) / (std + ε_std)` with the population std (§1.3).
    case grpo
    /// Dr. GRPO mean-only `R − mean` (§4.4).
    case drGRPO = "dr-grpo"
    /// RLOO leave-one-out `R − mean_{j≠i} R_j` (§4.5).
    case rloo
    /// GBPO median baseline `R − median` (§5.1, reconstruction).
    case gbpo
}

/// Errors raised for advantage inputs that cannot be used.
public enum AdvantageError: Error, Equatable, CustomStringConvertible {
    case lengthMismatch(rewards: Int, groupIDs: Int)
    case nonFiniteReward(index: Int, value: Float)

    public var description: String {
        switch self {
        case let .lengthMismatch(r, g): return "advantages: \(r) rewards but \(g) group ids"
        case let .nonFiniteReward(i, v): return "advantages: reward \(i) is not finite (\(v))"
        }
    }
}

extension AdvantageEstimator {
    /// Per-sample advantages for `rewards`, grouped by equal `groupIDs`
    /// (groups need not be contiguous). `epsStd` guards the GRPO division.
    public func advantages(rewards: [Float], groupIDs: [Int32], epsStd: Float = 1e-6) throws -> [Float] {
        guard rewards.count == groupIDs.count else {
            throw AdvantageError.lengthMismatch(rewards: rewards.count, groupIDs: groupIDs.count)
        }
        if let bad = rewards.firstIndex(where: { !$0.isFinite }) {
            throw AdvantageError.nonFiniteReward(index: bad, value: rewards[bad])
        }
        var members: [Int32: [Int]] = [:]
        for (i, g) in groupIDs.enumerated() { members[g, default: []].append(i) }
        var out = [Float](repeating: 0, count: rewards.count)
        for (_, idx) in members {
            let r = idx.map { Double(rewards[$0]) }
            let n = Double(r.count)
            let mean = r.reduce(0, +) / n
            switch self {
            case .grpo:
                let std = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot()
                for (k, i) in idx.enumerated() { out[i] = Float((r[k] - mean) / (std + Double(epsStd))) }
            case .drGRPO:
                for (k, i) in idx.enumerated() { out[i] = Float(r[k] - mean) }
            case .rloo:
                // (G/(G−1))(R_i − mean); a group of one has no baseline and no signal.
                let scale = r.count > 1 ? n / (n - 1) : 0
                for (k, i) in idx.enumerated() { out[i] = Float(scale * (r[k] - mean)) }
            case .gbpo:
                let s = r.sorted()
                let median = s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
                for (k, i) in idx.enumerated() { out[i] = Float(r[k] - median) }
            }
        }
        return out
    }
}
