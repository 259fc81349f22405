// Per-component reward figures on the learner: every accepted group's component values and
// failure codes (TrajectoryGroup fields 12–14, PROTOCOL.md §6.5.2) are summed per component
// label, for `/status` (`rewardComponents`), `/metrics` (`tributary_reward_component_mean`,
// `tributary_reward_failures_total`), the dashboard and metrics.jsonl (per-step means).

import Foundation
import Prometheus
import Wire

/// One component's figures in `/status`.
package struct RewardComponentFigures: Codable, Sendable, Equatable {
    package var component: String
    /// Mean value over every sample accepted since the learner started.
    package var mean: Double
    /// Mean value over the samples accepted between the last two training steps (nil before the first).
    package var recentMean: Double?
    /// Share of samples at which the component failed (it then counts 0).
    package var failureRate: Double
    /// Samples that carried this component.
    package var samples: Int
    /// Failures by kind (`timeout`, `crashed`, `row_error`, …).
    package var failures: [String: Int]
}

/// Running sums over accepted groups' reward components (thread-safe; fed by ingestion,
/// read by status and the training loop).
package final class RewardComponentBook: @unchecked Sendable {
    private struct Sums {
        var sum = 0.0, count = 0, failed = 0
        var windowSum = 0.0, windowCount = 0
        var recent: Double?
        var failures: [String: Int] = [:]
    }
    private let lock = NSLock()
    private var order: [String] = []
    private var sums: [String: Sums] = [:]

    package init() {}

    /// Adds an accepted group's component values and failures.
    package func record(_ group: TrajectoryGroup) {
        let labels = group.rewardComponents, c = labels.count
        guard c > 0 else { return }
        lock.withLock {
            for (k, label) in labels.enumerated() {
                if sums[label] == nil { order.append(label); sums[label] = Sums() }
                for i in 0 ..< group.sampleCount {
                    let v = Double(group.componentValues[i * c + k]), code = group.componentFailures[i * c + k]
                    sums[label]!.sum += v; sums[label]!.count += 1
                    sums[label]!.windowSum += v; sums[label]!.windowCount += 1
                    if code != 0 {
                        sums[label]!.failed += 1
                        sums[label]!.failures[RewardFailureCode.name(of: code), default: 0] += 1
                    }
                }
            }
        }
    }

    /// Each component's mean over the samples accepted since the last call (components with
    /// none are left out); the training loop calls it once per step. Nil when no group has
    /// carried components yet.
    package func takeWindow() -> [String: Double]? {
        lock.withLock {
            guard !order.isEmpty else { return nil }
            var out: [String: Double] = [:]
            for label in order where sums[label]!.windowCount > 0 {
                let m = sums[label]!.windowSum / Double(sums[label]!.windowCount)
                out[label] = m
                sums[label]!.recent = m
                sums[label]!.windowSum = 0; sums[label]!.windowCount = 0
            }
            return out
        }
    }

    /// Every component seen, in the order first seen.
    package func figures() -> [RewardComponentFigures] {
        lock.withLock {
            order.map { label in
                let s = sums[label]!
                return RewardComponentFigures(component: label, mean: s.count == 0 ? 0 : s.sum / Double(s.count), recentMean: s.recent,
                                              failureRate: s.count == 0 ? 0 : Double(s.failed) / Double(s.count), samples: s.count,
                                              failures: s.failures)
            }
        }
    }
}

extension StatusService {
    /// `tributary_reward_component_mean{component}` (since start),
    /// `tributary_reward_component_recent_mean{component}` (between the last two steps) and
    /// `tributary_reward_failures_total{component, kind}`.
    func emitRewardComponentMetrics(_ r: StatusReport) {
        func gauge(_ metric: String, _ unit: String, _ help: String, _ v: Double, _ labels: [(String, String)]) {
            let d = MetricNameDescriptor(namespace: "tributary", metricName: metric, unitName: unit, helpText: help)
            registry.makeGauge(descriptor: d, labels: labels).set(v)
        }
        for c in r.rewardComponents ?? [] {
            gauge("reward_component", "mean", "Mean value of a reward component over every accepted sample", c.mean, [("component", c.component)])
            if let m = c.recentMean {
                gauge("reward_component_recent", "mean", "Mean value of a reward component over the samples accepted between the last two steps",
                      m, [("component", c.component)])
            }
            for (kind, n) in c.failures.sorted(by: { $0.key < $1.key }) {
                gauge("reward_failures", "total", "Samples at which a reward component failed, by component and kind", Double(n),
                      [("component", c.component), ("kind", kind)])
            }
        }
    }
}
