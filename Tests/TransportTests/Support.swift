// Shared helpers for the Transport tests: servers on ephemeral loopback ports with a
// standard set of routes (echo in every shape), clients, certificates made with the
// openssl CLI, and running outside tools through Foundation.Process.

@testable import Benchmarks
import Foundation
import NIOConcurrencyHelpers
import TLS
@testable import Transport
import Wire
import XCTest

let workerToken = "worker-secret"
let adminToken = "admin-secret"
let auth: Metadata = ["authorization": "Bearer \(workerToken)"]

/// Registers the standard test routes:
/// - /t.v1/Unary: one message in, same bytes out.
/// - /t.v1/ServerStream: one message "n" (decimal), n messages back each "i".
/// - /t.v1/ClientStream: many in, one message with the total byte count.
/// - /t.v1/Bidi: echoes each message.
/// - /t.v1/Admin: admin only, unary echo.
/// - /t.v1/Fail: returns failedPrecondition.
func registerTestRoutes(_ server: TransportServer, maxMessageBytes: Int = 1 << 20) throws {
    try server.register(path: "/t.v1/Unary", auth: .worker, maxMessageBytes: maxMessageBytes,
                        requestMessages: .one, responseMessages: .one) { request, responder in
        try await responder.send(try await request.message())
        return .ok
    }
    try server.register(path: "/t.v1/ServerStream", requestMessages: .one) { request, responder in
        let n = Int(String(decoding: try await request.message(), as: UTF8.self)) ?? 0
        for i in 0..<n { try await responder.send(Array(String(i).utf8)) }
        return .ok
    }
    try server.register(path: "/t.v1/ClientStream", maxMessageBytes: maxMessageBytes, responseMessages: .one) { request, responder in
        var total = 0
        for try await m in request.messages { total += m.count }
        try await responder.send(Array(String(total).utf8))
        return .ok
    }
    try server.register(path: "/t.v1/Bidi", maxMessageBytes: maxMessageBytes) { request, responder in
        for try await m in request.messages { try await responder.send(m) }
        return .ok
    }
    try server.register(path: "/t.v1/Admin", auth: .admin, requestMessages: .one, responseMessages: .one) { request, responder in
        try await responder.send(try await request.message())
        return .ok
    }
    try server.register(path: "/t.v1/Fail", requestMessages: .one) { _, _ in
        RPCStatus(.failedPrecondition, "nope → 50%")
    }
}

func testConfiguration() -> ServerConfiguration {
    var c = ServerConfiguration()
    c.rpcPathPrefix = "/t.v1/"
    c.tokens = TokenSets(worker: [workerToken], admin: [adminToken])
    return c
}

/// A started server with the standard routes.
func startServer(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                 routes: (TransportServer) throws -> Void = { try registerTestRoutes($0) }) async throws -> TransportServer {
    var c = testConfiguration()
    configure(&c)
    let server = try TransportServer(configuration: c)
    try routes(server)
    try await server.start()
    return server
}

func h2cClient(_ server: TransportServer) -> TransportClient {
    TransportClient(configuration: .init(host: "127.0.0.1", port: server.cleartextPort!))
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// Collects all response messages and the status of a call.
func collect(_ call: ClientCall) async throws -> ([[UInt8]], RPCStatus) {
    var out: [[UInt8]] = []
    do { for try await m in call.responses { out.append(m) } } catch is RPCStatus {}
    return (out, try await call.status)
}

/// Waits until `condition` holds (polling), failing after `seconds` — generous, never a timing assertion.
func eventually(_ seconds: Double = 20, _ message: String = "condition", _ condition: () async throws -> Bool) async throws {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    XCTFail("timed out waiting for \(message)")
}

/// Runs a program, returning (exit status, stdout, stderr).
func runTool(_ path: String, _ args: [String]) throws -> (Int32, String, String) { try Tool.run(path, args) }

/// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, made with openssl.
struct TestPKI {
    let dir: URL
    var ca: String { dir.appendingPathComponent("ca.pem").path }
    var serverCert: String { dir.appendingPathComponent("server.pem").path }
    var serverKey: String { dir.appendingPathComponent("server.key").path }
    var clientCert: String { dir.appendingPathComponent("client.pem").path }
    var clientKey: String { dir.appendingPathComponent("client.key").path }

    static func make() throws -> TestPKI {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("transport-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let d = dir.path
        let ossl = "/usr/bin/openssl"
        func must(_ args: [String]) throws {
            let (rc, _, err) = try runTool(ossl, args)
            if rc != 0 { throw RPCStatus(.internal, "openssl \(args.first ?? ""): \(err)") }
        }
        try must(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                  "-subj", "/CN=Test CA", "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem"])
        for (name, cn, ext) in [("server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                                ("client", "worker-1", "extendedKeyUsage=clientAuth")] {
            try must(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(cn)",
                      "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr"])
            try String(ext).write(toFile: "\(d)/\(name).ext", atomically: true, encoding: .utf8)
            try must(["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                      "-CAcreateserial", "-days", "2", "-extfile", "\(d)/\(name).ext", "-out", "\(d)/\(name).pem"])
        }
        return TestPKI(dir: dir)
    }
}
