// Small, dependency-free SVG line charts for experiment reports, run reports and the
// dashboard: several named series, axes with round ticks (ChartAxis.swift), optional log-scale
// y, a legend.
//
// Module Lab: the offline experiment harness (Experiment.swift, ExperimentReport.swift) and these
// charts. The charts need no module of their own: their users are the experiment reports and
// `tributary run`'s report (RunReport.swift); the learner's dashboard (Learner/Dashboard.swift)
// draws its charts in the browser and only shares ChartAxis's rule, so the daemon never imports
// Lab.

import Foundation

/// A line chart rendered to a standalone SVG string.
package struct SVGChart: Sendable {
    package struct Series: Sendable {
        package var name: String
        package var points: [(x: Double, y: Double)]
        package init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    }

    package var title: String
    package var xLabel: String
    package var yLabel: String
    package var series: [Series]
    package var logY = false
    package var width = 640.0
    package var height = 360.0
    /// Fixed y range; nil = from the data.
    package var yRange: ClosedRange<Double>?

    package init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false,
                yRange: ClosedRange<Double>? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.logY = logY; self.yRange = yRange
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf"]

    private func ty(_ y: Double) -> Double { logY ? log10(max(y, 1e-12)) : y }

    /// The SVG document.
    package func render() -> String {
        let left = 64.0, right = 150.0, top = 36.0, bottom = 48.0
        let pw = width - left - right, ph = height - top - bottom
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        // x (steps, rollouts) from 0 when never negative, so charts of one run line up.
        let xNonNegative = pts.allSatisfy { $0.x >= 0 }
        let xAxis = ChartAxis.fitting(pts.map(\.x).min() ?? 0, pts.map(\.x).max() ?? 1, nonNegative: xNonNegative, fromZero: xNonNegative)
        let yAxis = self.yAxis(pts.map(\.y))
        let (x0, x1, y0, y1) = (xAxis.lower, xAxis.upper, yAxis.lower, yAxis.upper)
        func sx(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func sy(_ y: Double) -> Double { top + ph - (ty(y) - y0) / (y1 - y0) * ph }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="20" font-size="14" font-weight="bold">\(escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(pw)" height="\(ph)" fill="none" stroke="#999"/>

        """
        for fx in xAxis.ticks {
            let px = sx(fx)
            s += "<line x1=\"\(f(px))\" y1=\"\(f(top + ph))\" x2=\"\(f(px))\" y2=\"\(f(top + ph + 4))\" stroke=\"#999\"/>"
            s += "<text class=\"xtick\" x=\"\(f(px))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(xAxis.label(fx))</text>\n"
        }
        for fy in yAxis.ticks {
            let py = top + ph - (fy - y0) / (y1 - y0) * ph
            let label = logY ? logLabel(fy) : yAxis.label(fy)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(left + pw))\" y2=\"\(f(py))\" stroke=\"#eee\"/>"
            s += "<text class=\"ytick\" x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text x=\"14\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + ph / 2)))\">\(escape(yLabel))\(logY ? " (log)" : "")</text>\n"
        for (i, ser) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let p = ser.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
            if !p.isEmpty {
                let d = p.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(f(sx($0.element.x))),\(f(sy(min(max($0.element.y, logY ? pow(10, y0) : y0), logY ? pow(10, y1) : y1))))" }.joined(separator: " ")
                s += "<path class=\"series\" data-name=\"\(escape(ser.name))\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"/>\n"
            }
            let ly = top + 8 + Double(i) * 16
            s += "<line x1=\"\(f(left + pw + 10))\" y1=\"\(f(ly))\" x2=\"\(f(left + pw + 28))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            s += "<text x=\"\(f(left + pw + 32))\" y=\"\(f(ly + 4))\">\(escape(ser.name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private func logLabel(_ e: Double) -> String {
        let v = pow(10, e)
        return v >= 1 ? String(format: "%.0f", v) : String(format: "%g", v)
    }

    /// The y axis (in log10 units with `logY`): `yRange` if given, else round bounds around
    /// the data, never below 0 for data that are never negative.
    func yAxis(_ ys: [Double]) -> ChartAxis {
        if logY {
            let lo = (yRange.map { ty($0.lowerBound) } ?? ys.map(ty).min() ?? 0).rounded(.down)
            let hi = max(lo + 1, (yRange.map { ty($0.upperBound) } ?? ys.map(ty).max() ?? 1).rounded(.up))
            let every = max(1, ((hi - lo) / 6).rounded(.up))
            return ChartAxis(lower: lo, upper: hi, step: every, ticks: Array(stride(from: lo, through: hi, by: every)))
        }
        if let r = yRange { return .fixed(r.lowerBound, r.upperBound) }
        return .fitting(ys.min() ?? 0, ys.max() ?? 1, nonNegative: ys.allSatisfy { $0 >= 0 })
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
