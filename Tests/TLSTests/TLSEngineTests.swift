// TLSEngineTests: in-memory handshakes between client and server engines with
// certificates made by `openssl` at test time — ALPN h2, TLS 1.3 only, mTLS, CA and
// host-name verification, data round trips, close_notify, and PEM error reporting.

import XCTest
import COpenSSL
@testable import TLS

final class TLSEngineTests: XCTestCase {
    var pki: TestPKI!

    override func setUpWithError() throws { pki = try TestPKI.make() }

    func serverContext(mTLS: Bool = false) throws -> TLSContext {
        try TLSContext.server(certificateChain: .file(pki.path("server.pem")), privateKey: .file(pki.path("server.key")),
                              clientCA: mTLS ? .file(pki.path("ca.pem")) : nil, requireClientCertificate: mTLS)
    }

    func clientContext(ca: String = "ca.pem", certificate: String? = nil) throws -> TLSContext {
        try TLSContext.client(trustRoots: .file(pki.path(ca)),
                              certificateChain: certificate.map { .file(pki.path("\($0).pem")) },
                              privateKey: certificate.map { .file(pki.path("\($0).key")) })
    }

    func testHandshakeNegotiatesH2OverTLS13() throws {
        let pair = try TLSPair(client: clientContext(), server: serverContext())
        XCTAssertFalse(pair.client.isHandshakeComplete)
        pair.pump()
        XCTAssertNil(pair.clientError); XCTAssertNil(pair.serverError)
        XCTAssertTrue(pair.client.isHandshakeComplete); XCTAssertTrue(pair.server.isHandshakeComplete)
        XCTAssertEqual(pair.client.negotiatedALPN, "h2"); XCTAssertEqual(pair.server.negotiatedALPN, "h2")
        XCTAssertEqual(pair.client.protocolVersion, "TLSv1.3")
        XCTAssertEqual(pair.client.peerCertificateSubject, "/CN=localhost")
        XCTAssertNil(pair.server.peerCertificateSubject, "no client certificate without mTLS")
    }

    func testDataRoundTripOfSeveralMiB() throws {
        let pair = try TLSPair(client: clientContext(), server: serverContext())
        let upload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 12) }
        // Written before the handshake: held until it completes.
        try pair.client.writePlaintext(Array(upload[0..<1000]))
        for start in stride(from: 1000, to: upload.count, by: 100_000) {
            try pair.client.writePlaintext(Array(upload[start..<min(upload.count, start + 100_000)]))
            pair.pump()
        }
        XCTAssertEqual(pair.serverPlaintext, upload)
        let download = Array(upload.reversed().prefix(1 << 20))
        try pair.server.writePlaintext(download)
        pair.pump()
        XCTAssertEqual(pair.clientPlaintext, download)
    }

    /// The copy-free paths (CipherBIO): records written to a sink after the ciphertext queued
    /// before it, in order; received ciphertext lent in uneven slices that cut records anywhere,
    /// the unread tail of each loan kept for the next; the plaintext arrives whole.
    func testLentCiphertextAndSinkWritesRoundTrip() throws {
        let pair = try TLSPair(client: clientContext(), server: serverContext())
        pair.pump()
        XCTAssertTrue(pair.client.isHandshakeComplete && pair.server.isHandshakeComplete)
        let first = Array("queued first".utf8)
        let message = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try pair.server.writePlaintext(first)                    // no sink: queued
        XCTAssertGreaterThan(pair.server.pendingCiphertext, 0)
        var records: [UInt8] = []
        try message.withUnsafeBytes { raw in try pair.server.writePlaintext(raw, to: { records += $0 }) }
        XCTAssertEqual(pair.server.pendingCiphertext, 0, "the queued records went to the sink first")
        XCTAssertGreaterThan(records.count, first.count + message.count)

        var plaintext: [UInt8] = []
        var at = 0
        for size in [3, 100, 16_401, 7, 50_000, records.count] where at < records.count {
            let slice = Array(records[at..<min(records.count, at + size)])
            at += slice.count
            try slice.withUnsafeBytes { raw in
                try pair.client.withCiphertext(raw) { plaintext += try pair.client.readPlaintext() }
            }
        }
        XCTAssertEqual(plaintext, first + message)
    }

    func testClientWithoutH2IsRejected() throws {
        let http1 = try TLSContext(role: .client, certificateChain: nil, privateKey: nil,
                                   trustRoots: .file(pki.path("ca.pem")), verifyPeer: true, alpn: ["http/1.1"])
        let pair = try TLSPair(client: http1, server: serverContext())
        pair.pump()
        guard case .handshakeFailed = pair.serverError else { return XCTFail("server: \(String(describing: pair.serverError))") }
        guard case .handshakeFailed(let message) = pair.clientError else { return XCTFail("client: \(String(describing: pair.clientError))") }
        XCTAssertTrue(message.contains("no application protocol"), message)
        XCTAssertFalse(pair.server.isHandshakeComplete)
    }

    func testClientWithoutALPNIsRejected() throws {
        let none = try TLSContext(role: .client, certificateChain: nil, privateKey: nil,
                                  trustRoots: .file(pki.path("ca.pem")), verifyPeer: true, alpn: [])
        let pair = try TLSPair(client: none, server: serverContext())
        pair.pump()
        guard case .handshakeFailed = pair.serverError else { return XCTFail("server: \(String(describing: pair.serverError))") }
        guard case .handshakeFailed(let message) = pair.clientError else { return XCTFail("client: \(String(describing: pair.clientError))") }
        XCTAssertTrue(message.contains("no application protocol"), message)
    }

    func testTLS12OnlyClientIsRejected() throws {
        let old = try TLSContext(role: .client, certificateChain: nil, privateKey: nil, trustRoots: .file(pki.path("ca.pem")),
                                 verifyPeer: true, versions: (Int32(TLS1_2_VERSION), Int32(TLS1_2_VERSION)))
        let pair = try TLSPair(client: old, server: serverContext())
        pair.pump()
        guard case .handshakeFailed(let server) = pair.serverError else { return XCTFail("server: \(String(describing: pair.serverError))") }
        XCTAssertTrue(server.contains("unsupported protocol"), server)
        guard case .handshakeFailed = pair.clientError else { return XCTFail("client: \(String(describing: pair.clientError))") }
    }

    func testMutualTLSAcceptsClientSignedByTrustedCA() throws {
        let pair = try TLSPair(client: clientContext(certificate: "client"), server: serverContext(mTLS: true))
        pair.pump()
        XCTAssertNil(pair.serverError); XCTAssertNil(pair.clientError)
        XCTAssertEqual(pair.server.peerCertificateSubject, "/CN=worker-client")
    }

    func testMutualTLSRejectsMissingClientCertificate() throws {
        let pair = try TLSPair(client: clientContext(), server: serverContext(mTLS: true))
        pair.pump()
        guard case .handshakeFailed(let message) = pair.serverError else { return XCTFail("server: \(String(describing: pair.serverError))") }
        XCTAssertTrue(message.contains("peer did not return a certificate"), message)
        XCTAssertNotNil(pair.clientError, "the client learns from the alert")
        XCTAssertTrue(pair.serverPlaintext.isEmpty)
    }

    func testMutualTLSRejectsClientFromAnotherCA() throws {
        let pair = try TLSPair(client: clientContext(certificate: "otherclient"), server: serverContext(mTLS: true))
        pair.pump()
        guard case .handshakeFailed(let message) = pair.serverError else { return XCTFail("server: \(String(describing: pair.serverError))") }
        XCTAssertTrue(message.contains("certificate verify failed"), message)
    }

    func testServerFromUntrustedCAIsRejected() throws {
        let pair = try TLSPair(client: clientContext(ca: "otherca.pem"), server: serverContext())
        pair.pump()
        guard case .handshakeFailed(let message) = pair.clientError else { return XCTFail("client: \(String(describing: pair.clientError))") }
        XCTAssertTrue(message.contains("certificate verify failed"), message)
        XCTAssertTrue(message.contains("local issuer"), message)
        XCTAssertFalse(pair.client.isHandshakeComplete)
    }

    func testHostNameIsVerified() throws {
        let wrong = try TLSPair(client: clientContext(), server: serverContext(), serverName: "tributary.example")
        wrong.pump()
        guard case .handshakeFailed(let message) = wrong.clientError else { return XCTFail("client: \(String(describing: wrong.clientError))") }
        XCTAssertTrue(message.contains("hostname mismatch"), message)

        let ip = try TLSPair(client: clientContext(), server: serverContext(), serverName: "127.0.0.1")
        ip.pump()
        XCTAssertNil(ip.clientError)
        XCTAssertTrue(ip.client.isHandshakeComplete)
        let wrongIP = try TLSPair(client: clientContext(), server: serverContext(), serverName: "10.1.2.3")
        wrongIP.pump()
        XCTAssertNotNil(wrongIP.clientError)
    }

    func testCloseNotifyReachesPeer() throws {
        let pair = try TLSPair(client: clientContext(), server: serverContext())
        pair.pump()
        try pair.client.writePlaintext(Array("bye".utf8))
        pair.client.shutdown()
        pair.pump()
        XCTAssertEqual(pair.serverPlaintext, Array("bye".utf8))
        XCTAssertTrue(pair.server.peerClosed)
        XCTAssertFalse(pair.client.peerClosed)
    }

    func testPEMBytesWorkLikeFiles() throws {
        func bytes(_ name: String) throws -> PEMSource { .bytes(Array(try Data(contentsOf: URL(fileURLWithPath: pki.path(name))))) }
        let server = try TLSContext.server(certificateChain: bytes("server.pem"), privateKey: bytes("server.key"))
        let client = try TLSContext.client(trustRoots: bytes("ca.pem"))
        let pair = try TLSPair(client: client, server: server)
        pair.pump()
        XCTAssertTrue(pair.client.isHandshakeComplete)
    }

    func testBadPEMIsReportedWithItsSource() throws {
        XCTAssertThrowsError(try TLSContext.server(certificateChain: .file("/nonexistent/cert.pem"),
                                                   privateKey: .file(pki.path("server.key")))) {
            XCTAssertTrue("\($0)".contains("/nonexistent/cert.pem"), "\($0)")
        }
        XCTAssertThrowsError(try TLSContext.client(trustRoots: .bytes(Array("not a certificate".utf8)))) {
            guard case TLSError.invalidPEM(let source, let reason) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(source.contains("PEM bytes")); XCTAssertTrue(reason.contains("no CERTIFICATE"))
        }
        XCTAssertThrowsError(try TLSContext.server(certificateChain: .file(pki.path("server.pem")),
                                                   privateKey: .file(pki.path("client.key")))) {
            guard case TLSError.keyMismatch(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("client.key"), message)
        }
        XCTAssertThrowsError(try TLSContext.server(certificateChain: .file(pki.path("server.pem")),
                                                   privateKey: .file(pki.path("server.key")), requireClientCertificate: true))
    }
}
