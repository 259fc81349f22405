// Regularisers (ALGORITHMS.md §1.5, §3.3, §4.3):
// * k3 KL to a frozen reference, on the sampled tokens (GRPO's penalty):
//     d = log π_ref − log π_θ,  k3 = e^d − d − 1  (d clamped to [−10, 10] [C]),
//     dk3/dlog π_θ = 1 − e^d;  loss += β · agg(k3).
// * Entropy bonus: loss −= coef · agg(H). H_t depends on the whole distribution at position t,
//   not on log π(y_t) alone, so its gradient cannot be expressed through dLoss/dlogπ. The
//   kernel returns dLoss/dH_t = −coef · w_t per position (`ObjectiveResult.dEntropy`); the
//   policy multiplies by dH_t/dlogits (= −p ∘ (log p + H)) in its backward pass.

import Foundation

/// k3 KL to the reference for one token: value and d/dlog π_θ (zero gradient where clamped).
func referenceK3(logProb: Double, referenceLogProb: Double) -> (value: Double, dLog: Double) {
    let raw = referenceLogProb - logProb
    let d = min(max(raw, -10), 10)
    let flows = raw > -10 && raw < 10
    return (exp(d) - d - 1, flows ? 1 - exp(d) : 0)
}
