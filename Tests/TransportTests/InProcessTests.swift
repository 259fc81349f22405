// InProcessTransport: the same handlers and client API without sockets — every shape,
// tokens, limits, message counts, cancellation and back-pressure.

import NIOConcurrencyHelpers
@testable import Transport
import Wire
import XCTest

final class InProcessTests: XCTestCase {
    func transport(window: Int = 4) throws -> (TransportServer, InProcessTransport) {
        let server = try TransportServer(configuration: testConfiguration())
        try registerTestRoutes(server, maxMessageBytes: 1024)
        return (server, InProcessTransport(server: server, window: window))
    }

    func testShapes() async throws {
        let (_, t) = try transport()
        let u = try await t.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("x"))
        XCTAssertEqual(text(u), "x")
        let ss = try await t.call(path: "/t.v1/ServerStream", metadata: auth)
        try await ss.send(bytes("30"))
        try await ss.finish()
        let (items, st) = try await collect(ss)
        XCTAssertEqual(items.map(text), (0..<30).map(String.init))
        XCTAssertEqual(st, .ok)
        let bidi = try await t.call(path: "/t.v1/Bidi", metadata: auth)
        var it = bidi.responses.makeAsyncIterator()
        for i in 0..<10 {
            try await bidi.send(bytes("\(i)"))
            let r = try await it.next()
            XCTAssertEqual(r.map(text), "\(i)")
        }
        try await bidi.finish()
        let end = try await it.next()
        XCTAssertNil(end)
        let cs = try await t.call(path: "/t.v1/ClientStream", metadata: auth)
        for _ in 0..<50 { try await cs.send([1, 2, 3]) }
        try await cs.finish()
        let (sum, _) = try await collect(cs)
        XCTAssertEqual(sum.map(text), ["150"])
    }

    func testRulesMatchTheSocketServer() async throws {
        let (_, t) = try transport()
        let noToken = try await t.call(path: "/t.v1/Unary", metadata: [:])
        let s1 = try await noToken.status
        XCTAssertEqual(s1.code, .unauthenticated)
        let admin = try await t.call(path: "/t.v1/Admin", metadata: auth)
        let s2 = try await admin.status
        XCTAssertEqual(s2.code, .permissionDenied)
        let unknown = try await t.call(path: "/t.v1/Nope", metadata: auth)
        let s3 = try await unknown.status
        XCTAssertEqual(s3.code, .unimplemented)
        let big = try await t.call(path: "/t.v1/Bidi", metadata: auth)
        do { try await big.send([UInt8](repeating: 0, count: 1025)); XCTFail("over the limit") } catch {}
        let s4 = try await big.status
        XCTAssertEqual(s4.code, .resourceExhausted)
        let two = try await t.call(path: "/t.v1/Unary", metadata: auth)
        try await two.send([1])
        try? await two.send([2])
        let s5 = try await two.status
        XCTAssertEqual(s5.code, .invalidArgument)
        let none = try await t.call(path: "/t.v1/Unary", metadata: auth)
        try await none.finish()
        let s6 = try await none.status
        XCTAssertEqual(s6.code, .invalidArgument)
        let fail = try await t.call(path: "/t.v1/Fail", metadata: auth)
        try await fail.send([1])
        try await fail.finish()
        let s7 = try await fail.status
        XCTAssertEqual(s7, RPCStatus(.failedPrecondition, "nope → 50%"))
    }

    func testBackPressureAndCancellation() async throws {
        let observed = Observed()
        let (server, t) = try transport(window: 4)
        try registerHang(server, observed)
        let call = try await t.call(path: "/t.v1/Hang", metadata: auth)
        // The handler echoes; nobody reads the responses: at most window (4) responses and
        // window (4) requests can be outstanding, so the producer stalls.
        let sent = NIOLockedValueBox(0)
        let producer = Task {
            for _ in 0..<100 {
                try await call.send([1])
                sent.withLockedValue { $0 += 1 }
            }
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertLessThanOrEqual(sent.withLockedValue { $0 }, 4 + 4 + 2)
        call.cancel()
        _ = try? await producer.value
        let status = try await call.status
        XCTAssertEqual(status.code, .cancelled)
        try await eventually { observed.error != nil }
        XCTAssertEqual(observed.error?.code, .cancelled)
    }
}
