// PPO clipped surrogate, clip-higher and dual clip (ALGORITHMS.md §4.1, §4.2, §4.6), the
// per-token rule also used by GSPO (§4.7, at sequence level), ALP (§3.3) and ETR (§5.3,
// with per-sample widths). x is the ratio the rule bounds (r, u or a sequence ratio).
//     ℓ = −min(x·Â, clip(x, 1−ε_low, 1+ε_high)·Â)              §4.1 / §4.6
//     ℓ = min(ℓ, −c·Â)  for Â < 0 when the dual clip c is set     §4.2
// dℓ/dlog x = −Â·x where the unclipped term is active, else 0. At a tie (x exactly on the
// boundary) the unclipped branch is taken, i.e. the gradient still flows.

/// Which bound (if any) removed a token's gradient.
enum ClipFlag { case none, low, high, dual }

/// One token's loss and its derivative with respect to the log of the bounded ratio.
struct TokenTerm {
    var loss: Double
    var dLogRatio: Double
    var flag: ClipFlag = .none
}

/// PPO / clip-higher / dual-clip term for ratio `x`, advantage `a`, window `[low, high]`.
func clipTerm(x: Double, a: Double, low: Double, high: Double, dual: Double?) -> TokenTerm {
    let unclipped = x * a
    let clipped = min(max(x, low), high) * a
    var t: TokenTerm
    if clipped < unclipped {
        t = TokenTerm(loss: -clipped, dLogRatio: 0, flag: x < low ? .low : .high)
    } else {
        t = TokenTerm(loss: -unclipped, dLogRatio: -a * x)
    }
    if let c = dual, a < 0, t.loss > -c * a {  // §4.2 floor: loss ≤ c·|Â|
        t = TokenTerm(loss: -c * a, dLogRatio: 0, flag: .dual)
    }
    return t
}

/// Plain importance-weighted surrogate `ℓ = −x·Â` (bound `none`; R²VPO's primal term §2.3).
func plainTerm(x: Double, a: Double) -> TokenTerm {
    TokenTerm(loss: -x * a, dLogRatio: -x * a)
}
