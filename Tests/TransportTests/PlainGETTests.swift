// TransportClient.get: plain HTTP/2 GETs (what `tributary status` sends) over h2c and TLS, with
// and without a bearer token, a body larger than the initial flow-control window, the body
// limit, the timeout, and RPC calls sharing the connection with GETs.

import Foundation
import TLS
import Transport
import Wire
import XCTest

final class PlainGETTests: XCTestCase {
    /// The standard routes plus /big (300 kB) and /slow (answers after 5 s).
    private func routes(_ server: TransportServer) throws {
        try registerTestRoutes(server)
        try registerGETRoutes(server)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try server.registerGET(path: "/big") { _ in HTTPResponse(contentType: "application/octet-stream", body: big) }
        try server.registerGET(path: "/slow") { _ in
            try? await Task.sleep(nanoseconds: 5_000_000_000)
            return HTTPResponse(text: "late\n")
        }
    }

    func testGETOverH2CWithAndWithoutToken() async throws {
        let server = try await startServer(routes: routes)
        let client = h2cClient(server)
        let health = try await client.get(path: "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(text(health.body), "ok\n")
        let noToken = try await client.get(path: "/status")
        XCTAssertEqual(noToken.status, 401)
        XCTAssertEqual(noToken.header("www-authenticate")?.lowercased().hasPrefix("bearer"), true, "\(noToken.headers)")
        let worker = try await client.get(path: "/status", metadata: ["authorization": "Bearer \(workerToken)"])
        XCTAssertEqual(worker.status, 403)
        let admin = try await client.get(path: "/status", metadata: ["authorization": "Bearer \(adminToken)"])
        XCTAssertEqual(admin.status, 200)
        XCTAssertEqual(text(admin.body), "{\"version\":3}\n")
        XCTAssertEqual(admin.header("content-type"), "application/json")
        let missing = try await client.get(path: "/nope")
        XCTAssertEqual(missing.status, 404)
        // RPCs and GETs share the connection.
        let echoed = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("rpc"))
        XCTAssertEqual(text(echoed), "rpc")
        let again = try await client.get(path: "/healthz")
        XCTAssertEqual(again.status, 200)
        XCTAssertEqual(client.connectionsOpened, 1)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testGETOverTLSWithTokenAsTheStatusCommandSendsIt() async throws {
        let pki = try TestPKI.make()
        let context = try TLSContext.server(certificateChain: .file(pki.serverCert), privateKey: .file(pki.serverKey))
        let server = try await startServer({ c in
            c.cleartext = nil
            c.tls = TLSListener(address: ListenAddress(), context: context)
        }, routes: routes)
        // As `tributary status --learner https://127.0.0.1:PORT --ca … --token …`: SNI = the host.
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: try XCTUnwrap(server.tlsPort),
                                                          tls: try TLSContext.client(trustRoots: .file(pki.ca))))
        let admin = try await client.get(path: "/status", metadata: ["authorization": "Bearer \(adminToken)"])
        XCTAssertEqual(admin.status, 200)
        XCTAssertEqual(text(admin.body), "{\"version\":3}\n")
        let noToken = try await client.get(path: "/status")
        XCTAssertEqual(noToken.status, 401)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testLargeBodyLimitAndTimeout() async throws {
        let server = try await startServer(routes: routes)
        let client = h2cClient(server)
        // Larger than the 64 KiB initial window: only arrives whole if the client credits it.
        let big = try await client.get(path: "/big")
        XCTAssertEqual(big.status, 200)
        XCTAssertEqual(big.body, (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        do {
            _ = try await client.get(path: "/big", maxBodyBytes: 1000)
            XCTFail("a body above the limit must fail")
        } catch let s as RPCStatus {
            XCTAssertEqual(s.code, .resourceExhausted, "\(s)")
        }
        do {
            _ = try await client.get(path: "/slow", timeout: 0.3)
            XCTFail("an answer slower than the timeout must fail")
        } catch let s as RPCStatus {
            XCTAssertEqual(s.code, .deadlineExceeded, "\(s)")
        }
        // The connection stays usable after both.
        let after = try await client.get(path: "/healthz")
        XCTAssertEqual(after.status, 200)
        XCTAssertEqual(client.connectionsOpened, 1)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testNoServerIsAConnectError() async throws {
        let server = try await startServer()
        let port = try XCTUnwrap(server.cleartextPort)
        await server.shutdown(grace: 1)
        var c = TransportClient.Configuration(host: "127.0.0.1", port: port)
        c.connectTimeout = 2
        let client = TransportClient(configuration: c)
        do {
            _ = try await client.get(path: "/healthz")
            XCTFail("nothing listens there")
        } catch let e as TransportError {
            guard case .connectFailed = e else { return XCTFail("\(e)") }
        }
        await client.close()
    }
}
