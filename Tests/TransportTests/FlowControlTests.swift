// Back-pressure both ways: a consumer that does not read stops the producer (its `send`
// suspends) and the bytes queued in the server stay bounded; reading resumes the flow.

import NIOConcurrencyHelpers
import Transport
import Wire
import XCTest

final class FlowControlTests: XCTestCase {
    let chunk = 64 * 1024
    let count = 768 // 48 MiB

    func testSlowClientSlowsServerProducer() async throws {
        let sent = NIOLockedValueBox(0)
        let (chunk, count) = (chunk, count)
        let server = try await startServer(routes: { s in
            try s.register(path: "/t.v1/Firehose", requestMessages: .one) { request, responder in
                _ = try await request.message()
                let payload = [UInt8](repeating: 0xAB, count: chunk)
                for _ in 0..<count {
                    try await responder.send(payload)
                    sent.withLockedValue { $0 += 1 }
                }
                return .ok
            }
        })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Firehose", metadata: auth)
        try await call.send([1])
        try await call.finish()
        try await eventually { sent.withLockedValue { $0 } > 0 }
        // Do not read for a while: the producer must stall far below the total.
        try await Task.sleep(nanoseconds: 500_000_000)
        let stalledAt = sent.withLockedValue { $0 }
        let queued = await server.queuedResponseBytes()
        print("flow: stalled at \(stalledAt) messages, server queue \(queued) bytes")
        XCTAssertLessThan(stalledAt * chunk, 16 << 20, "producer ran ahead of a consumer that reads nothing")
        XCTAssertLessThanOrEqual(queued, (1 << 20) + 2 * chunk + 5, "server queue above its high watermark")
        // Now read everything.
        var received = 0
        for try await m in call.responses { received += m.count }
        XCTAssertEqual(received, chunk * count)
        let status = try await call.status
        XCTAssertEqual(status, .ok)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testSlowServerHandlerSlowsClientProducer() async throws {
        let gate = NIOLockedValueBox(false)
        let server = try await startServer(routes: { s in
            try s.register(path: "/t.v1/Sink", maxMessageBytes: 1 << 20, responseMessages: .one) { request, responder in
                while !gate.withLockedValue({ $0 }) { try await Task.sleep(nanoseconds: 5_000_000) }
                var total = 0
                for try await m in request.messages { total += m.count }
                try await responder.send(bytes(String(total)))
                return .ok
            }
        })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Sink", metadata: auth)
        let sent = NIOLockedValueBox(0)
        let (chunk, count) = (chunk, count)
        let producer = Task {
            let payload = [UInt8](repeating: 1, count: chunk)
            for _ in 0..<count {
                try await call.send(payload)
                sent.withLockedValue { $0 += 1 }
            }
            try await call.finish()
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        let stalledAt = sent.withLockedValue { $0 }
        XCTAssertLessThan(stalledAt * chunk, 16 << 20, "client producer ran ahead of a handler that reads nothing")
        gate.withLockedValue { $0 = true }
        try await producer.value
        let (messages, status) = try await collect(call)
        XCTAssertEqual(status, .ok)
        XCTAssertEqual(messages.map(text), [String(chunk * count)])
        await client.close()
        await server.shutdown(grace: 1)
    }
}
