// Small, dependency-free SVG line charts for experiment reports, run reports and the
// dashboard: several named series, axes with ticks, optional log-scale y, a legend.

import Foundation

/// A line chart rendered to a standalone SVG string.
public struct SVGChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var logY = false
    public var width = 640.0
    public var height = 360.0
    /// Fixed y range; nil = from the data.
    public var yRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false,
                yRange: ClosedRange<Double>? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.logY = logY; self.yRange = yRange
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf"]

    private func ty(_ y: Double) -> Double { logY ? log10(max(y, 1e-12)) : y }

    /// The SVG document.
    public func render() -> String {
        let left = 64.0, right = 150.0, top = 36.0, bottom = 48.0
        let pw = width - left - right, ph = height - top - bottom
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        var x0 = pts.map(\.x).min() ?? 0, x1 = pts.map(\.x).max() ?? 1
        var y0 = yRange.map { ty($0.lowerBound) } ?? (pts.map { ty($0.y) }.min() ?? 0)
        var y1 = yRange.map { ty($0.upperBound) } ?? (pts.map { ty($0.y) }.max() ?? 1)
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y1 = y0 + 1; y0 -= 0 }
        if yRange == nil && !logY { let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad }
        if x0 > 0 && x0 < x1 * 0.2 { x0 = 0 }
        func sx(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func sy(_ y: Double) -> Double { top + ph - (ty(y) - y0) / (y1 - y0) * ph }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="20" font-size="14" font-weight="bold">\(escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(pw)" height="\(ph)" fill="none" stroke="#999"/>

        """
        for k in 0...4 {
            let fx = x0 + (x1 - x0) * Double(k) / 4, px = sx(fx)
            s += "<line x1=\"\(f(px))\" y1=\"\(f(top + ph))\" x2=\"\(f(px))\" y2=\"\(f(top + ph + 4))\" stroke=\"#999\"/>"
            s += "<text x=\"\(f(px))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(tick(fx))</text>\n"
            let fy = y0 + (y1 - y0) * Double(k) / 4, py = top + ph - Double(k) / 4 * ph
            let label = logY ? tick(pow(10, fy)) : tick(fy)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(left + pw))\" y2=\"\(f(py))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(label)</text>\n"
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
    private func tick(_ v: Double) -> String {
        let a = abs(v)
        if a >= 10_000 { return String(format: "%.0fk", v / 1000) }
        if a >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.1f", v) }
        return String(format: "%.2g", v)
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
