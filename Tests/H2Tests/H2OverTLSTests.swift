// H2OverTLSTests: the two engines stacked as Transport will stack them — H2Session
// frames go through TLSEngine records, all in memory — with a self-signed certificate
// made by `openssl req` at test time.

import Foundation
import XCTest
import H2
import TLS

/// One side: an HTTP/2 session on top of a TLS engine.
final class SecureEnd {
    let h2: H2Session
    let tls: TLSEngine
    var events: [H2Event] = []

    init(h2: H2Session, tls: TLSEngine) { self.h2 = h2; self.tls = tls }

    /// HTTP/2 output → TLS records; returns ciphertext for the peer.
    func send() throws -> [UInt8] {
        let frames = try h2.drainOutput()
        events += h2.takeEvents()
        if !frames.isEmpty { try tls.writePlaintext(frames) }
        return tls.drainCiphertext()
    }

    /// Ciphertext from the peer → plaintext → HTTP/2 events.
    func receive(_ ciphertext: [UInt8]) throws {
        tls.feedCiphertext(ciphertext)
        let plaintext = try tls.readPlaintext()
        if !plaintext.isEmpty { events += try h2.feed(plaintext) }
    }
}

final class H2OverTLSTests: XCTestCase {
    func makeCertificate() throws -> (cert: String, key: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-h2tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                             "-keyout", key, "-out", cert]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl req failed")
        return (cert, key)
    }

    func testRequestResponseOverTLS() throws {
        let (cert, key) = try makeCertificate()
        let serverContext = try TLSContext.server(certificateChain: .file(cert), privateKey: .file(key))
        let clientContext = try TLSContext.client(trustRoots: .file(cert)) // self-signed: trust it directly
        let client = SecureEnd(h2: try H2Session(role: .client), tls: try TLSEngine(context: clientContext, serverName: "localhost"))
        let server = SecureEnd(h2: try H2Session(role: .server), tls: try TLSEngine(context: serverContext))

        func pump() throws {
            for _ in 0..<10_000 {
                let a = try client.send()
                if !a.isEmpty { try server.receive(a) }
                let b = try server.send()
                if !b.isEmpty { try client.receive(b) }
                if a.isEmpty && b.isEmpty { return }
            }
            XCTFail("did not settle")
        }

        let upload = pattern(2 << 20, seed: 3)
        let id = try client.h2.submitRequest(headers: request("/tributary.v1/Submit"), endStream: false)
        try client.h2.submitData(stream: id, bytes: upload, endStream: true)
        var consumed = 0
        for _ in 0..<50 {
            try pump()
            let seen = server.events.body(stream: id).bytes.count
            server.h2.consume(stream: id, bytes: seen - consumed)
            consumed = seen
            if server.events.body(stream: id).ended { break }
        }
        XCTAssertTrue(client.tls.isHandshakeComplete)
        XCTAssertEqual(client.tls.negotiatedALPN, "h2")
        XCTAssertEqual(server.events.headerBlocks(stream: id).first?.1.first { $0.name == ":path" }?.value, "/tributary.v1/Submit")
        XCTAssertEqual(server.events.body(stream: id).bytes, upload)

        try server.h2.submitResponse(stream: id, headers: [H2Header(":status", "200")])
        try server.h2.submitData(stream: id, bytes: Array("ok".utf8))
        try server.h2.submitTrailers(stream: id, headers: [H2Header("tributary-status", "0")])
        try pump()
        XCTAssertEqual(client.events.body(stream: id).bytes, Array("ok".utf8))
        XCTAssertTrue(client.events.contains(.trailers(stream: id, headers: [H2Header("tributary-status", "0")])))
        XCTAssertEqual(client.events.closed(stream: id), .noError)

        // Graceful end: GOAWAY, then close_notify.
        try server.h2.goAway(errorCode: .noError)
        try pump()
        XCTAssertTrue(client.events.contains { if case .goAway(_, .noError, _) = $0 { true } else { false } })
        server.tls.shutdown()
        try pump()
        XCTAssertTrue(client.tls.peerClosed)
    }
}
