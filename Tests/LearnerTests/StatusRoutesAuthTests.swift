// The status routes with admin tokens configured (PROTOCOL.md §14, issue 14): `/status`,
// `/metrics`, `/config`, `/history` and `/` need an admin token on the h2c port and on the
// HTTP/1.1 port (TLS shares the same routes); `/healthz` and `/readyz` stay open. An unknown
// method under `/tributary.v1/` tells an unauthenticated caller nothing (UNAUTHENTICATED).

import Foundation
import XCTest
import Transport
import Wire
@testable import Learner

final class StatusRoutesAuthTests: XCTestCase {
    private func curl(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func testAdminRoutesNeedAnAdminTokenOnEveryListener() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { throw XCTSkip("no curl") }
        let node = try await openTestNode("status-auth") { $0.adminTokens = ["a-token"]; $0.workerTokens = ["w-token"] }
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"], admin: ["a-token"])
        sc.http1Status = ListenAddress()
        let server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        try StatusService(node: node).register(on: server)
        try await server.start()
        let h2 = "http://127.0.0.1:\(try XCTUnwrap(server.cleartextPort))"
        let h1 = "http://127.0.0.1:\(try XCTUnwrap(server.http1StatusPort))"
        for (base, flags) in [(h2, ["--http2-prior-knowledge"]), (h1, ["--http1.1"])] {
            for route in ["/status", "/metrics", "/config", "/history", "/"] {
                XCTAssertEqual(try curl(flags + ["\(base)\(route)"]), "401", "\(base)\(route) without a token")
                XCTAssertEqual(try curl(flags + ["-H", "authorization: Bearer w-token", "\(base)\(route)"]), "403",
                               "\(base)\(route) with a worker token")
                XCTAssertEqual(try curl(flags + ["-H", "authorization: Bearer a-token", "\(base)\(route)"]), "200",
                               "\(base)\(route) with the admin token")
            }
            XCTAssertEqual(try curl(flags + ["\(base)/healthz"]), "200", "health probes stay open")
            XCTAssertEqual(try curl(flags + ["\(base)/readyz"]), "200", "health probes stay open")
        }
        // Method names cannot be probed without a token.
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: try XCTUnwrap(server.cleartextPort)))
        func status(_ path: String, _ metadata: Metadata) async throws -> WireStatus {
            let call = try await client.call(path: path, metadata: metadata)
            try? await call.finish()
            return try await call.status.code
        }
        let probe1 = try await status("/tributary.v1/NoSuchMethod", [:])
        let probe2 = try await status("/tributary.v1/Lease", [:])
        let probe3 = try await status("/tributary.v1/NoSuchMethod", ["authorization": "Bearer w-token"])
        XCTAssertEqual(probe1, .unauthenticated, "an unknown method without a token")
        XCTAssertEqual(probe2, .unauthenticated, "a known method without a token")
        XCTAssertEqual(probe3, .unimplemented, "a worker may learn that a method does not exist")
        await client.close()
        await server.shutdown(grace: 1)
        await node.ingest.shutdown()
    }

    func testStatusRoutesAreOpenWithoutAdminTokens() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { throw XCTSkip("no curl") }
        let node = try await openTestNode("status-open") { _ in }
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"])
        let server = try TransportServer(configuration: sc)
        try StatusService(node: node).register(on: server)
        try await server.start()
        let h2 = "http://127.0.0.1:\(try XCTUnwrap(server.cleartextPort))"
        XCTAssertEqual(try curl(["--http2-prior-knowledge", "\(h2)/status"]), "200")
        await server.shutdown(grace: 1)
        await node.ingest.shutdown()
    }
}
