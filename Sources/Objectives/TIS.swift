// TIS – truncated importance sampling for stale data (ALGORITHMS.md §4.8). The ratio is taken
// against the proximal policy (AReaL.swift's interpolation), and the detached behaviour weight
// ρ_b = π_prox/μ is truncated:
//     w = min(ρ_b, C),   C = tis_cap (2 typical)
// so a token sampled by a policy much less likely to produce it than the current one cannot take
// an unbounded share of the update. V-trace's ρ̄ (§4.9) is the same truncation with its own cap;
// both go through `truncatedWeight`, called by the staleness weights (StalenessWeights.swift),
// which also hold the untruncated (`is`) and masked (`mis`) forms. The preset: decoupled-interp
// ratio, clip 0.2 (GRPO.swift), weight `tis` with C = 2.

extension PresetInfo {
    static let tis = PresetInfo(name: "tis", paper: "Truncated importance sampling baseline",
                                reference: "§4.8, TIS.swift", reconstructed: false) { c in
        c.reference = .decoupledInterp; c.weight = .tis; c.tisCap = 2
    }
}

/// The truncated weight min(ρ, cap), and whether the truncation acted.
func truncatedWeight(_ rho: Double, cap: Double) -> (weight: Double, truncated: Bool) {
    (min(rho, cap), rho > cap)
}
