// TransportBench in miniature: every section produces sane, self-consistent numbers
// (no speed assertions), and the percentile helper is right.

@testable import Benchmarks
import XCTest

final class TransportBenchTests: XCTestCase {
    func testSmallBenchRunProducesEverySection() async throws {
        var o = TransportBench.Options()
        o.unarySeconds = 0.2
        o.concurrencies = [1, 4]
        o.streamBytes = 2 << 20
        o.h2loadRequests = 2000
        let r = try await TransportBench.run(o)
        XCTAssertEqual(r.unary.count, 4, "2 levels × h2c/tls; skipped: \(r.skipped)")
        for u in r.unary {
            XCTAssertGreaterThan(u.calls, 0)
            XCTAssertLessThanOrEqual(u.p50Microseconds, u.p99Microseconds)
        }
        XCTAssertEqual(r.streaming.count, 8)
        for s in r.streaming { XCTAssertEqual(s.totalBytes, 2 << 20); XCTAssertGreaterThan(s.megabytesPerSecond, 0) }
        // 4 workloads × 2 thread counts for us, 2 workloads × 2 worker counts for nghttpd.
        XCTAssertEqual(r.getLoad.filter { $0.server == "tributary" }.count, 8, "\(r.skipped)")
        XCTAssertEqual(r.getLoad.filter { $0.server == "nghttpd" }.count, 4, "\(r.skipped)")
        for g in r.getLoad { XCTAssertEqual(g.succeeded, 2000, "\(g)") }
        for key in ["get_1k_rps_vs_nghttpd", "unary_rpc_rps_vs_nghttpd", "unary_rpc_on_loop_rps_vs_nghttpd",
                    "unary_rpc_immediate_rps_vs_nghttpd"] {
            XCTAssertGreaterThan(r.ratios[key] ?? 0, 0, key)
        }
        let json = try JSONEncoder().encode(r)
        XCTAssertGreaterThan(json.count, 100)
    }

    func testPercentile() {
        let v = (1...100).map(Double.init)
        XCTAssertEqual(TransportBench.percentile(v, 0.5), 50)
        XCTAssertEqual(TransportBench.percentile(v, 0.99), 99)
        XCTAssertEqual(TransportBench.percentile([7], 0.99), 7)
        XCTAssertEqual(TransportBench.percentile([], 0.5), 0)
    }
}
