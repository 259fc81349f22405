// ETR – Outcome-Guided Elastic Trust Regions (ALGORITHMS.md §5.3). RECONSTRUCTION [R]:
// the method section was not reachable. Micro level: each sample's clip window widens
// with its advantage magnitude; macro level: groups in the productive difficulty zone
// (success rate near ½) get more budget:
//     ε_i = ε · (1 + α |Â_i|) · 4 p_g (1 − p_g)      (group factor optional, p_g = group mean reward)
// applied to both ε_low (capped below 1) and ε_high; the per-token rule is PPO clip (GRPO.swift).
// The preset: ε = 0.2, α = 0.5, with the group factor.

extension PresetInfo {
    static let etr = PresetInfo(name: "etr", paper: "ETR: Outcome-Guided Elastic Trust Regions for Policy Optimization",
                                reference: "§5.3, ETR.swift", reconstructed: true) { c in
        c.bound = .etr
    }
}

/// Per-sequence clip windows `[1 − ε_low,i, 1 + ε_high,i]` (§5.3 [R]).
func etrWindows(_ config: ObjectiveConfig, batch: TokenBatch) -> [(low: Double, high: Double)] {
    var groupScale = [Double](repeating: 1, count: batch.count)
    if config.etrGroupScale, let rewards = batch.rewards, let ids = batch.groupIDs {
        for idx in groupMembers(ids) {
            let p = min(max(idx.reduce(0.0) { $0 + Double(rewards[$1]) } / Double(idx.count), 0), 1)
            for i in idx { groupScale[i] = 4 * p * (1 - p) }
        }
    }
    return (0..<batch.count).map { i in
        let f = (1 + Double(config.etrAlpha) * abs(Double(batch.advantages[i]))) * groupScale[i]
        return (1 - min(Double(config.clipLow) * f, 0.99), 1 + Double(config.clipHigh) * f)
    }
}
