// RPCs over TLS 1.3 (certificates made at test time with the openssl CLI): all shapes,
// mutual TLS, and a client that does not trust the server's CA failing to connect.

import TLS
import Transport
import Wire
import XCTest

final class TLSTransportTests: XCTestCase {
    func tlsServer(_ pki: TestPKI, mTLS: Bool = false) async throws -> TransportServer {
        let context = try TLSContext.server(certificateChain: .file(pki.serverCert), privateKey: .file(pki.serverKey),
                                            clientCA: mTLS ? .file(pki.ca) : nil, requireClientCertificate: mTLS)
        return try await startServer { c in
            c.cleartext = nil
            c.tls = TLSListener(address: ListenAddress(), context: context)
        }
    }

    func testAllShapesOverTLS() async throws {
        let pki = try TestPKI.make()
        let server = try await tlsServer(pki)
        XCTAssertNil(server.cleartextPort)
        let context = try TLSContext.client(trustRoots: .file(pki.ca))
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: server.tlsPort!, tls: context,
                                                          serverName: "localhost"))
        try await exerciseAllShapes(client)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testMutualTLSRequiresClientCertificate() async throws {
        let pki = try TestPKI.make()
        let server = try await tlsServer(pki, mTLS: true)
        let withCert = try TLSContext.client(trustRoots: .file(pki.ca), certificateChain: .file(pki.clientCert),
                                             privateKey: .file(pki.clientKey))
        let good = TransportClient(configuration: .init(host: "127.0.0.1", port: server.tlsPort!, tls: withCert))
        let reply = try await good.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("m"))
        XCTAssertEqual(text(reply), "m")
        await good.close()

        let noCert = TransportClient(configuration: .init(host: "127.0.0.1", port: server.tlsPort!,
                                                          tls: try TLSContext.client(trustRoots: .file(pki.ca))))
        do {
            _ = try await noCert.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("m"))
            XCTFail("a client without a certificate must not get through")
        } catch {
            // TLS 1.3: the server's verdict may arrive after the client finished its handshake.
            XCTAssertTrue(error is TransportError || (error as? RPCStatus)?.code == .unavailable, "\(error)")
        }
        await noCert.close()
        try await eventually { server.counters.count(.tlsHandshake) >= 1 }
        await server.shutdown(grace: 1)
    }

    func testUntrustedServerCertificateFailsConnect() async throws {
        let pki = try TestPKI.make(), other = try TestPKI.make()
        let server = try await tlsServer(pki)
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: server.tlsPort!,
                                                          tls: try TLSContext.client(trustRoots: .file(other.ca))))
        do {
            _ = try await client.call(path: "/t.v1/Unary", metadata: auth)
            XCTFail("connect must fail")
        } catch let e as TransportError {
            guard case .connectFailed(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("certificate") || m.contains("handshake"), m)
        }
        await client.close()
        await server.shutdown(grace: 1)
    }

    /// Regression (found by TransportBench: TLS unary calls stalled for 60 s): a record whose first
    /// bytes OpenSSL consumed in an earlier read must be returned in full once the rest arrives.
    func testRecordSplitAcrossReadsIsDeliveredWhole() throws {
        let pki = try TestPKI.make()
        let server = try TLSEngine(context: try TLSContext.server(certificateChain: .file(pki.serverCert),
                                                                  privateKey: .file(pki.serverKey)))
        let client = try TLSEngine(context: try TLSContext.client(trustRoots: .file(pki.ca)), serverName: "localhost")
        for _ in 0..<10 where !(client.isHandshakeComplete && server.isHandshakeComplete) {
            _ = try client.readPlaintext()
            server.feedCiphertext(client.drainCiphertext())
            _ = try server.readPlaintext()
            client.feedCiphertext(server.drainCiphertext())
        }
        _ = try client.readPlaintext()
        XCTAssertTrue(client.isHandshakeComplete && server.isHandshakeComplete)
        let message = (0..<16_000).map { UInt8(truncatingIfNeeded: $0) }
        try server.writePlaintext(message)
        let records = server.drainCiphertext()
        client.feedCiphertext(Array(records.prefix(100)))
        var got = try client.readPlaintext()
        client.feedCiphertext(Array(records.dropFirst(100)))
        got += try client.readPlaintext()
        XCTAssertEqual(got.count, message.count)
        XCTAssertTrue(got == message, "plaintext differs")
    }
}
