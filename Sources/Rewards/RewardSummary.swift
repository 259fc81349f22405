// Aggregates of scored samples for reporting: per-component means and at-max rates, the
// mean total, accuracy under the `correct` rule and failure counts per kind — the numbers
// /status, /metrics, the dashboard and metrics.jsonl show per component.

/// Running sums over scored samples; merge summaries from several workers with `merge`.
package struct RewardSummary: Sendable, Hashable, Codable {
    package private(set) var samples = 0
    package private(set) var correct = 0
    package private(set) var totalSum = 0.0
    /// Per component label: the sum of its values (failed components count 0).
    package private(set) var componentSums: [String: Double] = [:]
    /// Per component label: how many samples had it at its maximum.
    package private(set) var componentAtMax: [String: Int] = [:]
    package private(set) var failures = FailureCounts()

    package init() {}

    package mutating func add(_ s: CompositeScore) {
        samples += 1
        if s.correct { correct += 1 }
        totalSum += s.total
        for c in s.components {
            componentSums[c.label, default: 0] += c.value
            if c.atMax { componentAtMax[c.label, default: 0] += 1 }
            if let f = c.failure { failures.record(f) }
        }
    }

    package mutating func merge(_ o: RewardSummary) {
        samples += o.samples
        correct += o.correct
        totalSum += o.totalSum
        for (k, v) in o.componentSums { componentSums[k, default: 0] += v }
        for (k, v) in o.componentAtMax { componentAtMax[k, default: 0] += v }
        failures.merge(o.failures)
    }

    /// Mean weighted total (0 when empty).
    package var meanTotal: Double { samples == 0 ? 0 : totalSum / Double(samples) }
    /// Fraction of samples that were correct (0 when empty).
    package var accuracy: Double { samples == 0 ? 0 : Double(correct) / Double(samples) }
    /// Mean value of one component, nil if it never appeared.
    package func mean(of label: String) -> Double? {
        guard samples > 0, let s = componentSums[label] else { return nil }
        return s / Double(samples)
    }
}
