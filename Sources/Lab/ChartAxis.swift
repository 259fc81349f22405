// Axis bounds and ticks for the SVG charts (issue 13 §5): round tick values (1, 2, 2.5 or
// 5 × 10^k), bounds on tick marks, and no negative axis for a quantity that is never
// negative (reward, accuracy, throughput): such an axis starts at 0 unless the data sit
// far above it.

import Foundation

/// A linear axis: bounds, tick step and tick values.
package struct ChartAxis: Sendable, Equatable {
    package var lower: Double
    package var upper: Double
    package var step: Double
    package var ticks: [Double]

    /// The round step nearest above `raw`: 1, 2, 2.5 or 5 × 10^k (`raw` > 0).
    package static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let e = floor(log10(raw)), p = pow(10, e)
        let f = raw / p
        for m in [1, 2, 2.5, 5] where f <= m * (1 + 1e-9) { return m * p }
        return 10 * p
    }

    /// An axis covering `lo…hi` with about `intervals` intervals between round ticks. With
    /// `nonNegative` (every value ≥ 0) the axis never goes below 0, and it starts at 0 when
    /// the data's lowest value is below half the highest, or always with `fromZero`.
    package static func fitting(_ lo: Double, _ hi: Double, intervals: Int = 5, nonNegative: Bool,
                               fromZero: Bool = false) -> ChartAxis {
        var lo = lo.isFinite ? lo : 0, hi = hi.isFinite ? hi : 1
        if hi < lo { swap(&lo, &hi) }
        if hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        if nonNegative {
            lo = max(0, lo)
            if lo < hi / 2 || fromZero { lo = 0 }
        }
        let step = niceStep((hi - lo) / Double(max(1, intervals)))
        let first = (lo / step + 1e-9).rounded(.down), last = (hi / step - 1e-9).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { round($0 * step, step) }
        return ChartAxis(lower: ticks.first ?? lo, upper: ticks.last ?? hi, step: step, ticks: ticks)
    }

    /// An axis with fixed bounds (`lower…upper`) and round ticks inside them.
    package static func fixed(_ lower: Double, _ upper: Double, intervals: Int = 5) -> ChartAxis {
        let (lo, hi) = upper > lower ? (lower, upper) : (lower, lower + 1)
        let step = niceStep((hi - lo) / Double(max(1, intervals)))
        let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        let ticks = stride(from: first, through: last, by: 1).map { round($0 * step, step) }
        return ChartAxis(lower: lo, upper: hi, step: step, ticks: ticks)
    }

    /// `k × step` without the binary noise (0.1 × 3 = 0.3, not 0.30000000000000004).
    private static func round(_ v: Double, _ step: Double) -> Double {
        let d = decimals(step)
        let scale = pow(10, Double(d))
        let r = (v * scale).rounded() / scale
        return r == 0 ? 0 : r   // never −0
    }

    /// Decimal places that show every multiple of `step` exactly.
    static func decimals(_ step: Double) -> Int {
        for d in 0...12 {
            let s = step * pow(10, Double(d))
            if abs(s - s.rounded()) < 1e-6 * max(1, s) { return d }
        }
        return 12
    }

    /// A tick's label: as many decimals as the step needs, thousands as `k` from 10 000 on.
    package func label(_ v: Double) -> String {
        if abs(v) >= 10_000 && step >= 1000 {
            return String(format: "%.\(Self.decimals(step / 1000))fk", v / 1000)
        }
        return String(format: "%.\(Self.decimals(step))f", v == 0 ? 0 : v)
    }
}
