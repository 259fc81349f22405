// D³S – Dynamic Dual-Level Down-Sampling (ALGORITHMS.md §5.5). The selection rules are from
// the abstract [P]; the schedule shape and numbers are a RECONSTRUCTION [R].
// * Sample level: in each group keep the k = ceil(q_s·G) samples whose advantages have the
//   largest variance. For scalars the best k-subset is always "j smallest + (k − j) largest"
//   for some j, so we scan j = 0…k.
// * Token level: over the batch keep the ceil(q_t·M) tokens with the largest |Â_i|·H_{i,t}.
// * Schedule: q(step) = q₀ + (1 − q₀)·min(1, step/steps) – aggressive first, relaxing to 1.
// The preset: both levels from q₀ = 0.5, relaxing over 200 steps. The token level reads the
// detached entropy, so it needs per-position entropies.

import Foundation

extension PresetInfo {
    static let d3s = PresetInfo(name: "d3s", paper: "Learning More with Less: A Dynamic Dual-Level Down-Sampling Framework for Efficient Policy Optimization",
                                reference: "§5.5, D3S.swift", reconstructed: true) { c in
        c.d3sSampleKeep = 0.5; c.d3sTokenKeep = 0.5; c.d3sScheduleSteps = 200
    }
}

/// D³S in the kernel: 1. sample level (needs group ids), 4. token level (needs the entropy).
struct D3SDownSampling: KernelStage {
    func selectSequences(_ p: inout KernelPass) throws {
        guard let q0 = p.config.d3sSampleKeep, let ids = p.batch.groupIDs else { return }
        let q = d3sKeepRatio(start: q0, step: p.state.step, steps: p.config.d3sScheduleSteps)
        let keep = d3sSelectSamples(advantages: p.batch.advantages, groupIDs: ids, keepRatio: q)
        for i in 0..<p.N where !keep[i] { p.seqKeep[i] = false }
        p.m.d3sSampleKeep = q
    }

    func selectTokens(_ p: inout KernelPass) {
        guard let q0 = p.config.d3sTokenKeep, let h = p.detachedEntropy else { return }
        let q = d3sKeepRatio(start: q0, step: p.state.step, steps: p.config.d3sScheduleSteps)
        let sel = d3sSelectTokens(keep: p.keep, advantages: p.batch.advantages, entropy: h, length: p.S, keepRatio: q)
        for k in 0..<p.n where !sel[k] { p.keep[k] = 0 }
        p.m.d3sTokenKeep = q
    }
}

/// Keep ratio at `step` for start ratio `q0` (§5.5 [R]).
package func d3sKeepRatio(start q0: Float, step: Int, steps: Int) -> Double {
    let f = steps <= 0 ? 1 : min(1, Double(step) / Double(steps))
    return Double(q0) + (1 - Double(q0)) * f
}

/// Per-sample keep flags: the variance-maximising subset of size ceil(q·G) in every group.
package func d3sSelectSamples(advantages: [Float], groupIDs: [Int32], keepRatio q: Double) -> [Bool] {
    var keep = [Bool](repeating: false, count: advantages.count)
    for idx in groupMembers(groupIDs) {
        let k = min(idx.count, max(1, Int((q * Double(idx.count)).rounded(.up))))
        let sorted = idx.sorted { advantages[$0] < advantages[$1] }
        var best: [Int] = Array(sorted.prefix(k)), bestVar = -1.0
        for j in 0...k {
            let subset = Array(sorted.prefix(j)) + Array(sorted.suffix(k - j))
            let xs = subset.map { Double(advantages[$0]) }
            let m = xs.reduce(0, +) / Double(k)
            let variance = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(k)
            if variance > bestVar + 1e-15 { bestVar = variance; best = subset }
        }
        for i in best { keep[i] = true }
    }
    return keep
}

/// Per-token keep flags: the ceil(q·M) kept tokens with the largest |Â|·H (ties: earlier first).
func d3sSelectTokens(keep: [Float], advantages: [Float], entropy: [Float], length: Int, keepRatio q: Double) -> [Bool] {
    let kept = (0..<keep.count).filter { keep[$0] != 0 }
    let score = { (k: Int) in abs(Double(advantages[k / length])) * Double(entropy[k]) }
    let order = kept.enumerated().sorted { a, b in
        let sa = score(a.element), sb = score(b.element)
        return sa != sb ? sa > sb : a.offset < b.offset
    }.map(\.element)
    var out = [Bool](repeating: false, count: keep.count)
    let n = min(kept.count, Int((q * Double(kept.count)).rounded(.up)))
    for k in order.prefix(n) { out[k] = true }
    return out
}
