// Every RPC shape over h2c and TLS: server streaming, client streaming, bidirectional,
// multi-MiB payloads in chunk messages, and many concurrent streams on one connection.

import Transport
import Wire
import XCTest

/// Runs the shape checks against `client`.
func exerciseAllShapes(_ client: TransportClient, file: StaticString = #filePath, line: UInt = #line) async throws {
    // unary
    let u = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("u"))
    XCTAssertEqual(text(u), "u", file: file, line: line)
    // server streaming
    let ss = try await client.call(path: "/t.v1/ServerStream", metadata: auth)
    try await ss.send(bytes("25"))
    try await ss.finish()
    let (items, st1) = try await collect(ss)
    XCTAssertEqual(items.map(text), (0..<25).map(String.init), file: file, line: line)
    XCTAssertEqual(st1, .ok, file: file, line: line)
    // client streaming
    let cs = try await client.call(path: "/t.v1/ClientStream", metadata: auth)
    for i in 0..<40 { try await cs.send([UInt8](repeating: UInt8(i), count: 1000 + i)) }
    try await cs.finish()
    let (sum, st2) = try await collect(cs)
    XCTAssertEqual(sum.map(text), [String((0..<40).reduce(0) { $0 + 1000 + $1 })], file: file, line: line)
    XCTAssertEqual(st2, .ok, file: file, line: line)
    // bidirectional, interleaved: each reply read before the next send
    let bidi = try await client.call(path: "/t.v1/Bidi", metadata: auth)
    var it = bidi.responses.makeAsyncIterator()
    for i in 0..<20 {
        try await bidi.send(bytes("ping \(i)"))
        let reply = try await it.next()
        XCTAssertEqual(reply.map(text), "ping \(i)", file: file, line: line)
    }
    try await bidi.finish()
    let end = try await it.next()
    XCTAssertNil(end, file: file, line: line)
    let st3 = try await bidi.status
    XCTAssertEqual(st3, .ok, file: file, line: line)
}

final class StreamingTests: XCTestCase {
    func testAllShapesOverH2C() async throws {
        let server = try await startServer()
        let client = h2cClient(server)
        try await exerciseAllShapes(client)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testMultiMebibytePayloadsBothWays() async throws {
        let server = try await startServer()
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Bidi", metadata: auth)
        let chunk = 64 * 1024, count = 128 // 8 MiB each way
        let reader = Task { () -> (Int, Bool) in
            var total = 0, ordered = true, i = 0
            for try await m in call.responses {
                total += m.count
                if m.first != UInt8(i % 251) { ordered = false }
                i += 1
            }
            return (total, ordered)
        }
        for i in 0..<count { try await call.send([UInt8](repeating: UInt8(i % 251), count: chunk)) }
        try await call.finish()
        let (total, ordered) = try await reader.value
        XCTAssertEqual(total, chunk * count)
        XCTAssertTrue(ordered)
        let status = try await call.status
        XCTAssertEqual(status, .ok)
        // One 1 MiB message (the bulk limit, larger than what one window update covers).
        let big = [UInt8](repeating: 7, count: 1 << 20)
        let echoed = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: big)
        XCTAssertEqual(echoed, big)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testManyConcurrentStreamsOnOneConnection() async throws {
        let server = try await startServer()
        let client = h2cClient(server)
        // More than MAX_CONCURRENT_STREAMS (100): nghttp2 queues the rest client-side.
        let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<150 {
                group.addTask {
                    let call = try await client.call(path: "/t.v1/ServerStream", metadata: auth)
                    try await call.send(bytes(String(i % 7)))
                    try await call.finish()
                    let (items, status) = try await collect(call)
                    return status == .ok && items.count == i % 7
                }
            }
            var n = 0
            for try await r in group where r { n += 1 }
            return n
        }
        XCTAssertEqual(ok, 150)
        XCTAssertEqual(client.connectionsOpened, 1)
        await client.close()
        await server.shutdown(grace: 1)
    }
}
