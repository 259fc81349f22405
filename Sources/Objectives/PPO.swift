// PPO with the dual clip (ALGORITHMS.md §4.1, §4.2). The clipped surrogate itself is GRPO's
// (GRPO.swift, §4.1/§4.6); PPO's share is the floor for negative advantages:
//     ℓ = min(ℓ_clip, −c·Â)   for Â < 0, when the dual clip c > 1 is set   (§4.2)
// i.e. a token with a huge ratio and a negative advantage loses at most c·|Â|, and its gradient
// is cut. The preset: clip 0.2 with c = 3, group z-score advantages, token-mean. The floor applies
// to every objective with `dual_clip` set and a clip bound (`clip`, `etr`; ALP uses c = 3).

extension PresetInfo {
    static let ppo = PresetInfo(name: "ppo", paper: "PPO (clip, dual clip) baseline", reference: "§4.1–4.2, PPO.swift",
                                reconstructed: false) { c in
        c.dualClip = 3
    }
}

/// The dual-clip floor on a clip term `t` for advantage `a` (unchanged when `c` is nil or Â ≥ 0).
func dualClipFloor(_ t: TokenTerm, a: Double, c: Double?) -> TokenTerm {
    if let c, a < 0, t.loss > -c * a {  // §4.2 floor: loss ≤ c·|Â|
        return TokenTerm(loss: -c * a, dLogRatio: 0, flag: .dual)
    }
    return t
}
