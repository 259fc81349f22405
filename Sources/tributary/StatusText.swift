// The readable summary of `tributary status` (the JSON is `GET /status`, docs/operations.md).

import Foundation
import Learner

enum StatusText {
    static func render(_ json: Data) throws -> String {
        let r = try JSONDecoder().decode(StatusReport.self, from: json)
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "—" }
        var s = """
        task \(r.task), objective \(r.objective)\(r.sync ? " (sync)" : "")\(r.finished ? ", training finished" : "")
        version \(r.version), step \(r.step), up \(Int(r.uptimeSeconds)) s
        held-out greedy accuracy \(pct(r.evalGreedyAccuracy))\(r.evalSampledAccuracy.map { ", sampled \(pct($0))" } ?? "")\(calibration(r)); last batch reward \(String(format: "%.3f", r.reward)), accuracy \(pct(r.accuracy)), mean staleness \(String(format: "%.2f", r.meanStaleness))
        buffer \(r.bufferedGroups)/\(r.bufferCapacity) groups, \(r.outstandingLeases) leases out
        ingest \(String(format: "%.1f", r.ingestGroupsPerSecond)) groups/s (\(String(format: "%.2f", r.ingestBytesPerSecond / 1e6)) MB/s); training \(r.lastStepUpdated == false ? "no update in the last step" : String(format: "%.0f tokens/s", r.trainingTokensPerSecond)), step \(String(format: "%.3f", r.stepSeconds)) s, publish \(String(format: "%.3f", r.publishSeconds)) s
        accepted \(r.acceptedGroups) groups; rejected \(r.rejectedGroups.isEmpty ? "none" : r.rejectedGroups.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        staleness of accepted groups: \(r.stalenessHistogram.sorted { Int($0.key)! < Int($1.key)! }.map { "\($0.key):\($0.value)" }.joined(separator: " "))
        last checkpoint \(r.lastCheckpoint ?? "—")\(r.lastCheckpointStep.map { " (step \($0))" } ?? "")

        """
        if let p = r.stoppedBy ?? r.learningHealth?.problem {
            s += "LEARNING \(p.kind == .collapse ? "COLLAPSED" : "HAS NO SIGNAL") (step \(p.step))\(p.stops ? ", training stopped" : ""): \(p.message)\n"
        } else if let h = r.learningHealth, h.batchesWithoutSignal > 0 {
            s += "batches without reward signal in a row: \(h.batchesWithoutSignal)\(h.noSignalLimit > 0 ? " of \(h.noSignalLimit) allowed" : "")\n"
        }
        if let m = r.metrics {
            s += String(format: "objective: ratio max %.3g, q99.9 %.3g, KL(π‖μ) %.4f, entropy %.3f, clip %.3f/%.3f", m.ratioMax, m.ratioQ999,
                        m.klBehaviourK3, m.entropy ?? 0, m.clipFractionLow, m.clipFractionHigh)
            if let l = m.lambda { s += String(format: ", λ %.3g", l) }
            s += "\n"
        }
        for c in r.rewardComponents ?? [] {
            let failures = c.failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            s += "reward \(c.component): mean \(String(format: "%.3f", c.mean)), last step "
                + "\(c.recentMean.map { String(format: "%.3f", $0) } ?? "—"), failed \(String(format: "%.1f%%", 100 * c.failureRate))"
            s += failures.isEmpty ? "\n" : " (\(failures))\n"
        }
        s += "workers (\(r.workers.count)):\n"
        let now = Date().timeIntervalSince1970
        for w in r.workers {
            s += "  #\(w.id) \(w.name) @ \(w.address): seen \(String(format: "%.1f", now - w.lastSeen)) s ago, leases \(w.leasesHeld), groups \(w.groupsSubmitted), version \(w.versionInUse.map(String.init) ?? "—")\n"
        }
        return s
    }

    /// ` (calibration AUC 0.712, ECE 0.084)` when the last evaluation measured it; AUC is `—`
    /// when every sampled completion had the same outcome.
    static func calibration(_ r: StatusReport) -> String {
        guard let ece = r.evalSampledECE else { return "" }
        return " (calibration AUC \(r.evalSampledAUC.map { String(format: "%.3f", $0) } ?? "—"), ECE \(String(format: "%.3f", ece)))"
    }
}
