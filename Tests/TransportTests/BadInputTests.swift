// Bad input on RPC streams: each case gets its specific status (or HTTP status), is
// counted by reason, and the server keeps serving well-formed calls on the same connection.

@testable import Transport
import Wire
import XCTest

final class BadInputTests: XCTestCase {
    var server: TransportServer!
    var client: TransportClient!

    override func setUp() async throws {
        server = try await startServer(routes: { try registerTestRoutes($0, maxMessageBytes: 1024) })
        client = h2cClient(server)
    }

    override func tearDown() async throws {
        // The same connection still serves a good call after every bad one.
        let reply = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("still here"))
        XCTAssertEqual(text(reply), "still here")
        XCTAssertEqual(client.connectionsOpened, 1)
        await client.close()
        await server.shutdown(grace: 1)
    }

    /// Sends raw bytes on a new call and returns its status.
    func rawCall(_ raw: [UInt8], path: String = "/t.v1/Bidi", end: Bool = true, metadata: Metadata = auth) async throws -> RPCStatus {
        let call = try await client.call(path: path, metadata: metadata)
        try? await call.sendRaw(raw, endStream: end)
        return try await collect(call).1
    }

    func testReservedFlagBitsAndCompressedFlag() async throws {
        let s1 = try await rawCall([0x04, 0, 0, 0, 1, 0x41])
        XCTAssertEqual(s1.code, .invalidArgument)
        XCTAssertTrue(s1.message.contains("reserved"), s1.message)
        let s2 = try await rawCall([0x01, 0, 0, 0, 1, 0x41])
        XCTAssertEqual(s2.code, .invalidArgument)
        XCTAssertTrue(s2.message.contains("compress"), s2.message)
        // Garbage (an HTTP/1 request line) as the message stream: 'G' = 0x47 sets reserved bits.
        let s3 = try await rawCall(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(s3.code, .invalidArgument)
        XCTAssertEqual(server.counters.count(.badFraming), 3)
    }

    func testOversizeIsRejectedOnThePrefixBeforeTheBody() async throws {
        // Declare 2048 bytes (limit 1024) and never send the body nor end the stream:
        // the status can only come from the prefix check.
        let status = try await rawCall([0, 0, 0, 0x08, 0], end: false)
        XCTAssertEqual(status.code, .resourceExhausted)
        XCTAssertTrue(status.message.contains("1024"), status.message)
        XCTAssertEqual(server.counters.count(.messageTooLarge), 1)
        // Exactly the limit is fine.
        let ok = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: [UInt8](repeating: 1, count: 1024))
        XCTAssertEqual(ok.count, 1024)
    }

    func testTruncatedMessage() async throws {
        let status = try await rawCall([0, 0, 0, 0, 10, 1, 2, 3])
        XCTAssertEqual(status.code, .invalidArgument)
        XCTAssertTrue(status.message.contains("3 of") || status.message.contains("of 15"), status.message)
        let prefixOnly = try await rawCall([0, 0, 0])
        XCTAssertEqual(prefixOnly.code, .invalidArgument)
    }

    func testWrongMessageCountOnOneMessageRoute() async throws {
        let none = try await rawCall([], path: "/t.v1/Unary")
        XCTAssertEqual(none.code, .invalidArgument)
        let two = try await rawCall(Framer.prefix(length: 1) + [1] + Framer.prefix(length: 1) + [2], path: "/t.v1/Unary")
        XCTAssertEqual(two.code, .invalidArgument)
        XCTAssertEqual(server.counters.count(.wrongMessageCount), 2)
    }

    func testUnknownPathsAndContentType() async throws {
        let unimplemented = try await rawCall([], path: "/t.v1/Nope")
        XCTAssertEqual(unimplemented.code, .unimplemented)
        XCTAssertEqual(server.counters.count(.unimplemented), 1)
        let notFound = try await rawCall([], path: "/elsewhere")
        XCTAssertTrue(notFound.message.contains("404"), notFound.message)
        XCTAssertEqual(server.counters.count(.notFound), 1)

        var config = TransportClient.Configuration(host: "127.0.0.1", port: server.cleartextPort!)
        config.contentType = "application/json"
        let json = TransportClient(configuration: config)
        let call = try await json.call(path: "/t.v1/Unary", metadata: auth)
        try? await call.send(bytes("x"))
        try? await call.finish()
        let status = try await collect(call).1
        XCTAssertTrue(status.message.contains("415"), status.message)
        XCTAssertEqual(server.counters.count(.unsupportedMediaType), 1)
        await json.close()
    }

    func testTokens() async throws {
        let missing = try await rawCall([], path: "/t.v1/Unary", metadata: [:])
        XCTAssertEqual(missing.code, .unauthenticated)
        let wrong = try await rawCall([], path: "/t.v1/Unary", metadata: ["authorization": "Bearer worker-secreT"])
        XCTAssertEqual(wrong.code, .unauthenticated)
        let malformed = try await rawCall([], path: "/t.v1/Unary", metadata: ["authorization": workerToken])
        XCTAssertEqual(malformed.code, .unauthenticated)
        XCTAssertEqual(server.counters.count(.unauthenticated), 3)
        let denied = try await rawCall(Framer.prefix(length: 1) + [1], path: "/t.v1/Admin")
        XCTAssertEqual(denied.code, .permissionDenied)
        XCTAssertEqual(server.counters.count(.permissionDenied), 1)
        let admin = try await client.unary(path: "/t.v1/Admin", metadata: ["authorization": "Bearer \(adminToken)"], request: [9])
        XCTAssertEqual(admin, [9])
        let adminOnWorkerRoute = try await client.unary(path: "/t.v1/Unary", metadata: ["authorization": "Bearer \(adminToken)"], request: [8])
        XCTAssertEqual(adminOnWorkerRoute, [8])
    }

    func testPerRouteTokenSets() async throws {
        try server.register(path: "/t.v1/Special", options: RouteOptions(requestMessages: .one, responseMessages: .one,
                                                                         tokens: TokenSets(worker: ["special"]))) { r, w in
            try await w.send(try await r.message())
            return .ok
        }
        let serverWide = try await rawCall(Framer.prefix(length: 1) + [1], path: "/t.v1/Special")
        XCTAssertEqual(serverWide.code, .unauthenticated, "the server's worker token is not valid here")
        let reply = try await client.unary(path: "/t.v1/Special", metadata: ["authorization": "Bearer special"], request: [5])
        XCTAssertEqual(reply, [5])
    }

    func testConstantTimeCompare() {
        XCTAssertTrue(Auth.constantTimeEqual("abc", "abc"))
        XCTAssertFalse(Auth.constantTimeEqual("abc", "abd"))
        XCTAssertFalse(Auth.constantTimeEqual("abc", "abcd"))
        XCTAssertFalse(Auth.constantTimeEqual("", "a"))
        XCTAssertTrue(Auth.constantTimeEqual("", ""))
    }
}
