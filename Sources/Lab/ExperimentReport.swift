// Writes an experiment's results: results.json (every run with its curves), results.csv
// (one row per run), summary.md (per objective × staleness over seeds) and SVG plots
// (accuracy vs rollouts per staleness; ratio-tail envelope vs step).

import Foundation

package enum ExperimentReport {
    package static func write(_ runs: [ExperimentRun], spec: ExperimentSpec, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(["spec": AnyEncodable(spec), "runs": AnyEncodable(runs)]).write(to: dir.appendingPathComponent("results.json"))
        var csv = "objective,staleness,seed,rollouts_to_target,final_accuracy,start_accuracy,ratio_q999_median,ratio_q999_max,ratio_max,kl_spikes,entropy_end,lambda_end,steps,seconds\n"
        for r in runs {
            csv += [r.objective, "\(r.staleness)", "\(r.seed)", r.rolloutsToTarget.map(String.init) ?? "",
                    f(r.finalAccuracy), f(r.startAccuracy), f(r.ratioQ999Median), f(r.ratioQ999Max), f(r.ratioMax), "\(r.klSpikes)",
                    f(r.entropyEnd), r.lambdaEnd.map(f) ?? "", "\(r.steps)", String(format: "%.1f", r.seconds)]
                .map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",") + "\n"
        }
        try csv.write(to: dir.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        try summary(runs, spec: spec).write(to: dir.appendingPathComponent("summary.md"), atomically: true, encoding: .utf8)
        for s in spec.staleness {
            let sub = runs.filter { $0.staleness == s }
            let acc = SVGChart(title: "held-out greedy accuracy, staleness \(s) (mean of \(spec.seeds.count) seeds)",
                               xLabel: "rollouts", yLabel: "accuracy",
                               series: spec.objectives.map { o in .init(name: o, points: meanCurve(sub.filter { $0.objective == o })) },
                               yRange: 0...1)
            try acc.render().write(to: dir.appendingPathComponent("accuracy-staleness-\(s).svg"), atomically: true, encoding: .utf8)
            let tail = SVGChart(title: "ratio tail q99.9 per step, staleness \(s) (max over seeds)", xLabel: "step",
                                yLabel: "ratio q99.9",
                                series: spec.objectives.map { o in .init(name: o, points: maxTail(sub.filter { $0.objective == o })) },
                                logY: true)
            try tail.render().write(to: dir.appendingPathComponent("ratio-tail-staleness-\(s).svg"), atomically: true, encoding: .utf8)
        }
    }

    /// Markdown table per (objective, staleness) over seeds.
    package static func summary(_ runs: [ExperimentRun], spec: ExperimentSpec) -> String {
        var s = "| objective | staleness | reached target | median rollouts to target | mean final acc | median step q99.9 | max ratio q99.9 | max ratio | KL spikes | mean end entropy |\n|---|---|---|---|---|---|---|---|---|---|\n"
        for o in spec.objectives {
            for st in spec.staleness {
                let rs = runs.filter { $0.objective == o && $0.staleness == st }
                guard !rs.isEmpty else { continue }
                let reached = rs.compactMap(\.rolloutsToTarget).sorted()
                let med = reached.isEmpty ? "—" : (reached.count == rs.count ? "\(reached[reached.count / 2])" : "≥ \(reached[reached.count / 2])")
                s += "| \(o) | \(st) | \(reached.count)/\(rs.count) | \(med) | \(f(rs.map(\.finalAccuracy).reduce(0, +) / Double(rs.count))) | "
                s += "\(f(rs.map(\.ratioQ999Median).sorted()[rs.count / 2])) | \(f(rs.map(\.ratioQ999Max).max()!)) | \(f(rs.map(\.ratioMax).max()!)) | \(rs.map(\.klSpikes).reduce(0, +)) | "
                s += "\(f(rs.map(\.entropyEnd).reduce(0, +) / Double(rs.count))) |\n"
            }
        }
        return s
    }

    /// Seed-mean accuracy at each evaluation point (a finished run keeps its last value).
    static func meanCurve(_ runs: [ExperimentRun]) -> [(x: Double, y: Double)] {
        let xs = Set(runs.flatMap { $0.curve.map { $0[0] } }).sorted()
        return xs.map { x in
            let ys = runs.map { r in r.curve.last(where: { $0[0] <= x })?[1] ?? r.startAccuracy }
            return (x, ys.reduce(0, +) / Double(max(1, ys.count)))
        }
    }

    static func maxTail(_ runs: [ExperimentRun]) -> [(x: Double, y: Double)] {
        var byStep: [Double: Double] = [:]
        for r in runs { for t in r.tail { byStep[t[0]] = max(byStep[t[0]] ?? 0, t[1]) } }
        return byStep.keys.sorted().map { ($0, byStep[$0]!) }
    }

    static func f(_ v: Double) -> String { String(format: "%.3g", v) }
}

/// Type-erased Encodable for heterogeneous JSON objects.
struct AnyEncodable: Encodable {
    let encodeTo: (any Encoder) throws -> Void
    init<T: Encodable>(_ v: T) { encodeTo = v.encode }
    func encode(to encoder: any Encoder) throws { try encodeTo(encoder) }
}
