// Interop with outside HTTP/2 tools on the plain GET routes and RPC paths: curl (h2c
// prior knowledge and TLS), nghttp -nv frame traces, and h2load with every request
// succeeding. Tools run through Foundation.Process.

import Benchmarks
import Foundation
import TLS
@testable import Transport
import Wire
import XCTest

func registerGETRoutes(_ server: TransportServer) throws {
    try server.registerImmediateGET(path: "/healthz", handler: { _ in HTTPResponse(text: "ok\n") })
    try server.registerGET(path: "/status", auth: .admin) { _ in
        HTTPResponse(contentType: "application/json", text: "{\"version\":3}\n")
    }
    try server.registerGET(path: "/metrics", auth: .none) { [weak server] _ in
        HTTPResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", text: server?.counters.prometheus() ?? "")
    }
}

final class InteropTests: XCTestCase {
    let curl = "/usr/bin/curl"

    func start(tls: TLSContext? = nil) async throws -> TransportServer {
        try await startServer({ c in
            if let tls { c.tls = TLSListener(address: ListenAddress(), context: tls) }
        }, routes: { try registerTestRoutes($0); try registerGETRoutes($0) })
    }

    func testCurlOverH2C() async throws {
        let server = try await start()
        let base = "http://127.0.0.1:\(server.cleartextPort!)"
        let (rc, out, err) = try runTool(curl, ["-s", "--http2-prior-knowledge", "-w", "|%{http_code}|%{http_version}", "\(base)/healthz"])
        XCTAssertEqual(rc, 0, err)
        XCTAssertEqual(out, "ok\n|200|2")
        // Admin route: 401 + www-authenticate without a token, 403 with a worker token, 200 with admin.
        let (_, noToken, _) = try runTool(curl, ["-s", "-i", "--http2-prior-knowledge", "\(base)/status"])
        XCTAssertTrue(noToken.hasPrefix("HTTP/2 401"), noToken)
        XCTAssertTrue(noToken.lowercased().contains("www-authenticate: bearer"), noToken)
        let (_, worker, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                                            "-H", "authorization: Bearer \(workerToken)", "\(base)/status"])
        XCTAssertEqual(worker, "403")
        let (_, admin, _) = try runTool(curl, ["-s", "--http2-prior-knowledge", "-H", "authorization: Bearer \(adminToken)", "\(base)/status"])
        XCTAssertEqual(admin, "{\"version\":3}\n")
        // RPC paths: GET → 405, POST with the wrong content type → 415, unknown non-RPC path → 404.
        let (_, get, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "\(base)/t.v1/Unary"])
        XCTAssertEqual(get, "405")
        let (_, post, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                                          "-H", "content-type: text/plain", "--data-binary", "x", "\(base)/t.v1/Unary"])
        XCTAssertEqual(post, "415")
        let (_, missing, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "\(base)/nope"])
        XCTAssertEqual(missing, "404")
        // HEAD: headers only. POST to a GET route: 405.
        let (_, head, _) = try runTool(curl, ["-s", "-I", "--http2-prior-knowledge", "\(base)/healthz"])
        XCTAssertTrue(head.hasPrefix("HTTP/2 200"), head)
        let (_, postGet, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                                             "--data-binary", "x", "\(base)/healthz"])
        XCTAssertEqual(postGet, "405")
        // A real RPC through curl: framed request, status in trailers (curl shows them with -i? no: check the body).
        let framed = Framer.prefix(length: 2) + bytes("hi")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-\(UUID().uuidString)")
        try Data(framed).write(to: file)
        let (_, rpc, _) = try runTool(curl, ["-s", "--http2-prior-knowledge", "-H", "content-type: \(WireProtocol.contentType)",
                                         "-H", "authorization: Bearer \(workerToken)", "--data-binary", "@\(file.path)",
                                         "\(base)/t.v1/Unary"])
        XCTAssertEqual(Array(rpc.utf8), framed)
        let (_, metrics, _) = try runTool(curl, ["-s", "--http2-prior-knowledge", "\(base)/metrics"])
        XCTAssertTrue(metrics.contains("tributary_transport_rejected_total{reason=\"unsupported_media_type\"} 1"), metrics)
        XCTAssertEqual(server.counters.count(.methodNotAllowed), 2)
        await server.shutdown(grace: 1)
    }

    func testCurlAndNghttpOverTLS() async throws {
        let pki = try TestPKI.make()
        let server = try await start(tls: try TLSContext.server(certificateChain: .file(pki.serverCert), privateKey: .file(pki.serverKey)))
        let url = "https://127.0.0.1:\(server.tlsPort!)/healthz"
        let (rc, out, err) = try runTool(curl, ["-s", "--http2", "-k", "-w", "|%{http_code}|%{http_version}", url])
        XCTAssertEqual(rc, 0, err)
        XCTAssertEqual(out, "ok\n|200|2")
        let (rc2, out2, _) = try runTool(curl, ["-s", "--http2", "--cacert", pki.ca, "https://localhost:\(server.tlsPort!)/healthz"])
        XCTAssertEqual(rc2, 0)
        XCTAssertEqual(out2, "ok\n")
        let (rc3, trace, err3) = try runTool("/usr/bin/nghttp", ["-nv", url])
        XCTAssertEqual(rc3, 0, err3)
        XCTAssertTrue(trace.contains(":status: 200"), trace)
        XCTAssertTrue(trace.contains("recv SETTINGS frame"), trace)
        await server.shutdown(grace: 1)
    }

    func testNghttpOverH2C() async throws {
        let server = try await start()
        let (rc, trace, err) = try runTool("/usr/bin/nghttp", ["-nv", "http://127.0.0.1:\(server.cleartextPort!)/healthz"])
        XCTAssertEqual(rc, 0, err)
        XCTAssertTrue(trace.contains(":status: 200"), trace)
        XCTAssertTrue(trace.contains("recv GOAWAY") || trace.contains("send GOAWAY"), trace)
        await server.shutdown(grace: 1)
    }

    func testH2loadEveryRequestSucceeds() async throws {
        let server = try await start()
        let (rc, out, err) = try runTool("/usr/bin/h2load", ["-n", "2000", "-c", "4", "-m", "10",
                                                         "http://127.0.0.1:\(server.cleartextPort!)/healthz"])
        XCTAssertEqual(rc, 0, err)
        let summary = H2LoadSummary(out)
        XCTAssertEqual(summary?.succeeded, 2000, out)
        XCTAssertEqual(summary?.total, 2000, out)
        await server.shutdown(grace: 1)
    }

    func testH2loadSummaryParser() {
        let sample = "finished in 10.62ms, 188306.40 req/s, 6.37MB/s\nrequests: 2000 total, 2000 started, 2000 done, 1999 succeeded, 1 failed, 0 errored, 0 timeout\n"
        let s = H2LoadSummary(sample)
        XCTAssertEqual(s?.total, 2000)
        XCTAssertEqual(s?.succeeded, 1999)
        XCTAssertEqual(s?.requestsPerSecond ?? 0, 188306.40, accuracy: 0.01)
    }
}
