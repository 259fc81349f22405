// The HTTP/1.1 status listener: the GET routes over plain HTTP/1.1 (curl without HTTP/2,
// as a Kubernetes probe, Prometheus or a browser would), the same token rules and counters,
// keep-alive, HEAD, 404/405, no RPCs, and a malformed request answered 400 while the listener
// keeps serving.

import Foundation
@testable import Transport
import XCTest

final class HTTP1StatusTests: XCTestCase {
    let curl = "/usr/bin/curl"

    func start() async throws -> (TransportServer, String) {
        let server = try await startServer({ $0.http1Status = ListenAddress() },
                                           routes: { try registerTestRoutes($0); try registerGETRoutes($0) })
        return (server, "http://127.0.0.1:\(server.http1StatusPort!)")
    }

    func testGETRoutesOverHTTP1WithTokensAndKeepAlive() async throws {
        let (server, base) = try await start()
        // Two requests on one connection (curl reuses it): both answered over HTTP/1.1.
        let (rc, out, err) = try runTool(curl, ["-s", "-v", "-w", "|%{http_code}|%{http_version}\n", "\(base)/healthz", "\(base)/healthz"])
        XCTAssertEqual(rc, 0, err)
        XCTAssertEqual(out, "ok\n|200|1.1\nok\n|200|1.1\n")
        XCTAssertTrue(err.contains("Re-using existing connection") || err.contains("Reusing existing connection"), err)
        // Admin route: 401 + www-authenticate without a token, 403 with a worker token, 200 with admin.
        let (_, noToken, _) = try runTool(curl, ["-s", "-i", "\(base)/status"])
        XCTAssertTrue(noToken.hasPrefix("HTTP/1.1 401"), noToken)
        XCTAssertTrue(noToken.lowercased().contains("www-authenticate: bearer"), noToken)
        let (_, worker, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "authorization: Bearer \(workerToken)", "\(base)/status"])
        XCTAssertEqual(worker, "403")
        let (_, admin, _) = try runTool(curl, ["-s", "-H", "authorization: Bearer \(adminToken)", "\(base)/status"])
        XCTAssertEqual(admin, "{\"version\":3}\n")
        // An async route (metrics), HEAD without a body, unknown path, wrong method, and no RPCs here.
        let (_, metrics, _) = try runTool(curl, ["-s", "\(base)/metrics"])
        XCTAssertTrue(metrics.contains("tributary_transport_http_requests_total"), metrics)
        let (_, head, _) = try runTool(curl, ["-s", "-I", "\(base)/healthz"])
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200") && head.lowercased().contains("content-length: 3"), head)
        let (_, missing, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(base)/nope"])
        XCTAssertEqual(missing, "404")
        let (_, post, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "x", "\(base)/healthz"])
        XCTAssertEqual(post, "405")
        let (_, rpc, _) = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "content-type: application/x-tributary-v1",
                                         "--data-binary", "x", "\(base)/t.v1/Unary"])
        XCTAssertEqual(rpc, "404", "RPCs are not served on the HTTP/1.1 listener")
        let c = server.counters
        XCTAssertEqual(c.count(.unauthenticated), 1)
        XCTAssertEqual(c.count(.permissionDenied), 1)
        XCTAssertEqual(c.count(.notFound), 2)
        XCTAssertEqual(c.count(.methodNotAllowed), 1)
        await server.shutdown(grace: 1)
    }

    func testMalformedRequestGets400AndTheListenerKeepsServing() async throws {
        let (server, base) = try await start()
        let port = server.http1StatusPort!
        // Raw garbage on a socket: NIO's parser rejects it with 400 and closes that connection.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(connected, 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0) // never hang the suite if the server fails to close
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let garbage = Array("\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n".utf8)
        XCTAssertEqual(write(fd, garbage, garbage.count), garbage.count)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var reply: [UInt8] = []
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            reply += buffer[0..<n]
        }
        close(fd)
        XCTAssertTrue(String(decoding: reply, as: UTF8.self).hasPrefix("HTTP/1.1 400"), String(decoding: reply, as: UTF8.self))
        let (_, ok, _) = try runTool(curl, ["-s", "\(base)/healthz"])
        XCTAssertEqual(ok, "ok\n")
        XCTAssertEqual(server.counters.count(.protocolError), 1)
        await server.shutdown(grace: 1)
    }
}
