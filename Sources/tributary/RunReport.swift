// The HTML report of `tributary run`: one self-contained page (no network fetches) with
// SVG charts of held-out accuracy (and the calibration of held-out sampled completions: AUC,
// ECE), reward, staleness and throughput, and the configuration.

import Foundation
import Lab
import Learner

enum RunReport {
    static func write(history: [(seconds: Double, status: TrainingStatus)], final: TrainingStatus, config: LearnerConfig,
                      workers: Int, to dir: URL) throws -> URL {
        let evals = history.compactMap { h in h.status.evalGreedyAccuracy.map { (Double(h.status.step), $0) } }
        let sampled = history.compactMap { h in h.status.evalSampledAccuracy.map { (x: Double(h.status.step), y: $0) } }
        let auc = history.compactMap { h in h.status.evalSampledAUC.map { (x: Double(h.status.step), y: $0) } }
        let ece = history.compactMap { h in h.status.evalSampledECE.map { (x: Double(h.status.step), y: $0) } }
        // Confidence = a sampled completion's sequence probability (BackgroundEvaluator.swift).
        let calibration = ece.isEmpty ? [] : [
            SVGChart(title: "calibration of held-out sampled completions", xLabel: "step", yLabel: "",
                     series: (auc.isEmpty ? [] : [.init(name: "AUC", points: auc)]) + [.init(name: "ECE", points: ece)], yRange: 0...1),
        ]
        let charts = [
            SVGChart(title: "held-out accuracy", xLabel: "step", yLabel: "accuracy",
                     series: [.init(name: "greedy", points: evals.map { (x: $0.0, y: $0.1) })]
                        + (sampled.isEmpty ? [] : [.init(name: "sampled", points: sampled)]), yRange: 0...1),
        ] + calibration + [
            SVGChart(title: "batch reward and accuracy", xLabel: "step", yLabel: "",
                     series: [.init(name: "reward", points: history.map { (x: Double($0.status.step), y: $0.status.reward) }),
                              .init(name: "accuracy", points: history.map { (x: Double($0.status.step), y: $0.status.accuracy) })]),
            SVGChart(title: "mean staleness of trained groups", xLabel: "step", yLabel: "versions",
                     series: [.init(name: "staleness", points: history.map { (x: Double($0.status.step), y: $0.status.meanStaleness) })]),
            // Steps without an update have no throughput: they are left out and counted below.
            SVGChart(title: "training throughput (steps with an update)", xLabel: "step", yLabel: "tokens/s",
                     series: [.init(name: "tokens/s", points: history.compactMap { h in h.status.tokensPerSecond.map { (x: Double(h.status.step), y: $0) } })]),
        ]
        let elapsed = history.last?.seconds ?? 0
        let noUpdate = history.filter { !$0.status.updated }.count
        let problemHTML = (final.stoppedBy ?? final.health.problem).map { p in
            "<p class=\"problem\" style=\"border:1px solid #cf222e;padding:6px\"><b>" + (p.kind == .collapse ? "Collapse" : "No reward signal")
                + " at step \(p.step)" + (p.stops ? "; training stopped" : "") + "</b>: " + escapeHTML(p.message) + "</p>"
        } ?? ""
        var html = """
        <!doctype html><html><head><meta charset="utf-8"><title>Tributary run</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1400px} .charts{display:flex;flex-wrap:wrap;gap:1em}
        table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style></head><body>
        <h1>Tributary run</h1>
        <p>Task <b>\(config.task)</b>, preset <b>\(config.preset)</b>, objective <b>\(config.objective)</b>\(config.sync ? " (sync)" : ""),
        \(workers) workers on loopback over HTTP/2. \(final.step) updates in \(String(format: "%.0f", elapsed)) s;
        final held-out greedy accuracy <b>\(final.evalGreedyAccuracy.map { String(format: "%.1f%%", 100 * $0) } ?? "—")</b>\(final.evalSampledAccuracy.map { String(format: ", sampled <b>%.1f%%</b>", 100 * $0) } ?? "")\(final.evalSampledECE.map { ece in " (calibration AUC <b>" + (final.evalSampledAUC.map { String(format: "%.3f", $0) } ?? "—") + String(format: "</b>, ECE <b>%.3f</b>)", ece) } ?? "").
        \(noUpdate) of \(history.count) steps had no update (no reward signal in the batch).</p>
        \(problemHTML)
        <div class="charts">
        """
        for c in charts { html += "<div>" + c.render() + "</div>\n" }
        html += "</div><h2>Configuration</h2><pre>\(escapeHTML(config.toml))</pre></body></html>\n"
        let url = dir.appendingPathComponent("report.html")
        try html.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

private func escapeHTML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
