// Calibration metrics (issue 16's foundation; several seed papers are judged on calibration,
// not only accuracy): how well a confidence score ranks and matches correctness.
//   AUC: the probability that a correct answer has higher confidence than an incorrect one
//        (ties ½), over all correct × incorrect pairs; nil without both kinds.
//   ECE: Σ_b (n_b/n)·|acc_b − conf_b| over `bins` equal-width confidence bins on [0, 1].
// For a completion the natural confidence is its sequence probability exp(Σ_t log π(y_t)) (or
// the per-token geometric mean exp(mean_t log π)); `sequenceConfidence(logProbs:perToken:)` gives both.

import Foundation

/// AUC and expected calibration error of `confidence` (in [0, 1]) against `correct`.
package struct CalibrationMetrics: Codable, Sendable, Equatable {
    package var auc: Double?
    package var ece: Double
    package var count: Int

    /// Computes both; confidences are clamped to [0, 1]; `bins` ≥ 1.
    package init(confidence: [Double], correct: [Bool], bins: Int = 10) {
        let n = min(confidence.count, correct.count)
        count = n
        let conf = confidence.prefix(n).map { min(1, max(0, $0)) }
        let pos = (0..<n).filter { correct[$0] }.map { conf[$0] }.sorted()
        let neg = (0..<n).filter { !correct[$0] }.map { conf[$0] }.sorted()
        if pos.isEmpty || neg.isEmpty {
            auc = nil
        } else {
            // For each correct confidence: negatives strictly below + ½ × ties, by binary search.
            func count(_ xs: [Double], below v: Double, orEqual: Bool) -> Int {
                var lo = 0, hi = xs.count
                while lo < hi { let mid = (lo + hi) / 2; if xs[mid] < v || (orEqual && xs[mid] == v) { lo = mid + 1 } else { hi = mid } }
                return lo
            }
            var s = 0.0
            for v in pos {
                let lt = count(neg, below: v, orEqual: false), le = count(neg, below: v, orEqual: true)
                s += Double(lt) + 0.5 * Double(le - lt)
            }
            auc = s / Double(pos.count * neg.count)
        }
        let B = max(1, bins)
        var cs = [Double](repeating: 0, count: B), ac = cs, nb = cs
        for i in 0..<n {
            let b = min(B - 1, Int(conf[i] * Double(B)))
            cs[b] += conf[i]; ac[b] += correct[i] ? 1 : 0; nb[b] += 1
        }
        var e = 0.0
        for b in 0..<B where nb[b] > 0 { e += nb[b] / Double(max(n, 1)) * abs(ac[b] / nb[b] - cs[b] / nb[b]) }
        ece = e
    }
}

/// A completion's confidence from its token log-probs: exp(Σ log p), or exp(mean log p) per token.
package func sequenceConfidence(logProbs: [Float], perToken: Bool = false) -> Double {
    guard !logProbs.isEmpty else { return 1 }
    let s = logProbs.reduce(0.0) { $0 + Double($1) }
    return exp(perToken ? s / Double(logProbs.count) : s)
}
