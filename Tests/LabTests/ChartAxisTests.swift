// Chart axes: round steps (1, 2, 2.5, 5 × 10^k), bounds on ticks, no negative axis for a
// quantity that is never negative, exact tick labels; and the SVG charts use them.

import XCTest
@testable import Lab

final class ChartAxisTests: XCTestCase {
    func testNiceStepIsOneTwoTwoAndAHalfOrFiveTimesAPowerOfTen() {
        let cases: [(Double, Double)] = [(0.7, 1), (1, 1), (1.2, 2), (2, 2), (2.1, 2.5), (2.5, 2.5), (3, 5), (5, 5), (6, 10),
                                         (0.03, 0.05), (0.186, 0.2), (230, 250), (5400, 10_000), (0.00012, 0.0002), (41, 50)]
        for (raw, want) in cases {
            XCTAssertEqual(ChartAxis.niceStep(raw), want, accuracy: want * 1e-12, "step for \(raw)")
        }
        XCTAssertEqual(ChartAxis.niceStep(0), 1)
        XCTAssertEqual(ChartAxis.niceStep(-3), 1)
        XCTAssertEqual(ChartAxis.niceStep(.nan), 1)
    }

    /// Every tick is a whole multiple of a round step, and the bounds are the outer ticks.
    private func assertRound(_ a: ChartAxis, file: StaticString = #filePath, line: UInt = #line) {
        let e = floor(log10(a.step)), m = a.step / pow(10, e)
        XCTAssertTrue([1, 2, 2.5, 5].contains { abs($0 - m) < 1e-9 }, "step \(a.step)", file: file, line: line)
        for t in a.ticks {
            XCTAssertEqual((t / a.step).rounded(), t / a.step, accuracy: 1e-9, "tick \(t) is not a multiple of \(a.step)", file: file, line: line)
        }
        XCTAssertEqual(a.ticks.first, a.lower, file: file, line: line)
        XCTAssertEqual(a.ticks.last, a.upper, file: file, line: line)
    }

    func testANonNegativeQuantityStartsAtZeroWithRoundTicks() {
        let acc = ChartAxis.fitting(0.02, 0.93, nonNegative: true)
        XCTAssertEqual(acc.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(acc.ticks.map(acc.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        assertRound(acc)

        let tput = ChartAxis.fitting(12_000, 27_000, nonNegative: true)
        XCTAssertEqual(tput.lower, 0, "12k is below half of 27k: the axis starts at 0")
        XCTAssertEqual(tput.ticks, [0, 10_000, 20_000, 30_000])
        XCTAssertEqual(tput.ticks.map(tput.label), ["0", "10k", "20k", "30k"])
        assertRound(tput)

        // Data far above 0 zoom in, but still on round ticks and never below 0.
        let high = ChartAxis.fitting(20_100, 21_900, nonNegative: true)
        XCTAssertEqual(high.step, 500)
        XCTAssertEqual(high.lower, 20_000)
        XCTAssertEqual(high.upper, 22_000)
        assertRound(high)

        // All zero (a reward that never moved): 0…1, not −0.05…0.05.
        let zero = ChartAxis.fitting(0, 0, nonNegative: true)
        XCTAssertEqual(zero.lower, 0)
        XCTAssertEqual(zero.upper, 1)
        XCTAssertFalse(zero.ticks.map(zero.label).contains { $0.hasPrefix("-") })
    }

    func testSignedDataAndFixedRanges() {
        let signed = ChartAxis.fitting(-0.37, 0.81, nonNegative: false)
        XCTAssertEqual(signed.step, 0.25)
        XCTAssertEqual(signed.lower, -0.5)
        XCTAssertEqual(signed.upper, 1)
        XCTAssertEqual(signed.ticks.map(signed.label), ["-0.50", "-0.25", "0.00", "0.25", "0.50", "0.75", "1.00"])
        assertRound(signed)

        let fixed = ChartAxis.fixed(0, 1)
        XCTAssertEqual(fixed.lower, 0)
        XCTAssertEqual(fixed.upper, 1)
        XCTAssertEqual(fixed.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])

        let steps = ChartAxis.fitting(1, 1500, nonNegative: true)
        XCTAssertEqual(steps.ticks, [0, 500, 1000, 1500])
        XCTAssertEqual(ChartAxis.fitting(30, 40, nonNegative: true).lower, 30, "far above 0: zoomed in")
        XCTAssertEqual(ChartAxis.fitting(30, 40, nonNegative: true, fromZero: true).ticks, [0, 10, 20, 30, 40])
        XCTAssertEqual(ChartAxis.fitting(7, 7, nonNegative: true).ticks.allSatisfy { $0 >= 0 }, true)
    }

    /// The SVG chart of a non-negative series draws no negative tick and labels round values.
    func testSVGChartUsesTheRoundAxis() throws {
        let chart = SVGChart(title: "throughput", xLabel: "step", yLabel: "tokens/s",
                             series: [.init(name: "tokens/s", points: [(1, 0), (2, 13_000), (3, 27_000)])])
        let svg = chart.render()
        let labels = svg.components(separatedBy: "class=\"ytick\"").dropFirst().map { part -> String in
            let start = part.range(of: ">")!.upperBound
            return String(part[start...].prefix { $0 != "<" })
        }
        XCTAssertEqual(labels, ["0", "10k", "20k", "30k"])
        XCTAssertFalse(svg.contains(">-"), "no negative tick for a non-negative quantity")
        let xs = svg.components(separatedBy: "class=\"xtick\"").count - 1
        XCTAssertGreaterThanOrEqual(xs, 3)
    }
}
