// TLSContext: one configured OpenSSL SSL_CTX (server or client): certificate chain
// and key, trust roots, TLS 1.3 only, ALPN exactly "h2", optional mTLS. Engines
// (one per connection) are made from it. See TRANSPORT.md "Layers" item 3.

import COpenSSL

/// Shared TLS settings from which ``TLSEngine``s are created.
///
/// **Threading:** `Sendable`. The underlying `SSL_CTX` is fully configured in the initializer and
/// never mutated afterwards; OpenSSL allows creating `SSL` objects from one `SSL_CTX` on many
/// threads concurrently (its reference counts and session cache are locked).
public final class TLSContext: @unchecked Sendable {
    /// Which end of connections engines from this context are.
    public enum Role: Sendable { case server, client }

    public let role: Role
    let ctx: OpaquePointer
    /// ALPN list in wire format (length-prefixed names); clients offer it.
    let alpnWire: [UInt8]

    /// A server context.
    /// - Parameters:
    ///   - certificateChain: leaf certificate first, then intermediates.
    ///   - privateKey: the leaf's key.
    ///   - clientCA: CAs trusted for client certificates; with `requireClientCertificate` (mTLS)
    ///     a client without a certificate signed by one of them fails the handshake.
    public static func server(certificateChain: PEMSource, privateKey: PEMSource,
                              clientCA: PEMSource? = nil, requireClientCertificate: Bool = false) throws(TLSError) -> TLSContext {
        if requireClientCertificate && clientCA == nil {
            throw .configuration("requireClientCertificate needs clientCA (the CAs that sign client certificates)")
        }
        return try TLSContext(role: .server, certificateChain: certificateChain, privateKey: privateKey,
                              trustRoots: clientCA, verifyPeer: requireClientCertificate)
    }

    /// A client context. The server's certificate is always verified: against `trustRoots`, or
    /// the system's default CA paths when nil. `certificateChain`/`privateKey` are for mTLS.
    public static func client(trustRoots: PEMSource?, certificateChain: PEMSource? = nil,
                              privateKey: PEMSource? = nil) throws(TLSError) -> TLSContext {
        if (certificateChain == nil) != (privateKey == nil) {
            throw .configuration("a client certificate needs both certificateChain and privateKey")
        }
        return try TLSContext(role: .client, certificateChain: certificateChain, privateKey: privateKey,
                              trustRoots: trustRoots, verifyPeer: true)
    }

    /// The designated initializer. `alpn` and `versions` exist for tests that play a
    /// misbehaving peer; production code uses the factory methods (h2, TLS 1.3 only).
    init(role: Role, certificateChain: PEMSource?, privateKey: PEMSource?, trustRoots: PEMSource?,
         verifyPeer: Bool, alpn: [String] = ["h2"],
         versions: (min: Int32, max: Int32) = (Int32(TLS1_3_VERSION), Int32(TLS1_3_VERSION))) throws(TLSError) {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw .configuration("SSL_CTX_new: " + OpenSSLErrors.drain())
        }
        self.role = role
        self.ctx = ctx
        self.alpnWire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }

        guard tributary_SSL_CTX_set_min_proto_version(ctx, versions.min) == 1,
              tributary_SSL_CTX_set_max_proto_version(ctx, versions.max) == 1 else {
            throw .configuration("protocol version: " + OpenSSLErrors.drain())
        }
        // (no SSL_MODE_RELEASE_BUFFERS: freeing and reallocating the record buffers per call costs throughput)
        _ = SSL_CTX_set_num_tickets(ctx, 0) // no resumption: spare the bytes

        if let certificateChain, let privateKey {
            try useCertificate(chain: certificateChain, key: privateKey)
        }
        if let trustRoots {
            try addTrustRoots(trustRoots)
        } else if role == .client && SSL_CTX_set_default_verify_paths(ctx) != 1 {
            throw .configuration("SSL_CTX_set_default_verify_paths: " + OpenSSLErrors.drain())
        }
        if verifyPeer {
            let mode = role == .server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER
            SSL_CTX_set_verify(ctx, mode, nil)
        }
        if role == .server {
            SSL_CTX_set_client_hello_cb(ctx, TLSALPN.requireALPNExtension, nil)
            SSL_CTX_set_alpn_select_cb(ctx, TLSALPN.selectH2, nil)
        }
    }

    deinit { SSL_CTX_free(ctx) }

    private func useCertificate(chain: PEMSource, key: PEMSource) throws(TLSError) {
        let certs = try chain.certificates()
        defer { certs.forEach { X509_free($0) } }
        guard SSL_CTX_use_certificate(ctx, certs[0]) == 1 else {
            throw .invalidPEM(source: chain.description, reason: "certificate rejected: " + OpenSSLErrors.drain())
        }
        for extra in certs.dropFirst() {
            // add_extra_chain_cert takes ownership on success, so hand it a new reference.
            X509_up_ref(extra)
            guard tributary_SSL_CTX_add_extra_chain_cert(ctx, extra) == 1 else {
                X509_free(extra)
                throw .invalidPEM(source: chain.description, reason: "chain certificate rejected: " + OpenSSLErrors.drain())
            }
        }
        let pkey = try key.privateKey()
        defer { EVP_PKEY_free(pkey) }
        guard X509_check_private_key(certs[0], pkey) == 1 else {
            throw .keyMismatch("\(key) does not match the leaf of \(chain): " + OpenSSLErrors.drain())
        }
        guard SSL_CTX_use_PrivateKey(ctx, pkey) == 1 else {
            throw .invalidPEM(source: key.description, reason: "key rejected: " + OpenSSLErrors.drain())
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw .keyMismatch("\(key) vs \(chain): " + OpenSSLErrors.drain())
        }
    }

    private func addTrustRoots(_ source: PEMSource) throws(TLSError) {
        let certs = try source.certificates()
        defer { certs.forEach { X509_free($0) } }
        let store = SSL_CTX_get_cert_store(ctx)
        for cert in certs where X509_STORE_add_cert(store, cert) != 1 {
            throw .invalidPEM(source: source.description, reason: "CA certificate rejected: " + OpenSSLErrors.drain())
        }
    }
}

/// The server's ALPN policy: the client must offer ALPN and it must include "h2".
enum TLSALPN {
    /// No ALPN extension at all → fatal no_application_protocol alert (RFC 7301 §3.2).
    static let requireALPNExtension: SSL_client_hello_cb_fn = { ssl, alert, _ in
        var data: UnsafePointer<UInt8>?
        var length = 0
        if SSL_client_hello_get0_ext(ssl, UInt32(TLSEXT_TYPE_application_layer_protocol_negotiation), &data, &length) == 1 {
            return SSL_CLIENT_HELLO_SUCCESS
        }
        alert?.pointee = SSL_AD_NO_APPLICATION_PROTOCOL
        return SSL_CLIENT_HELLO_ERROR
    }

    /// Picks "h2" from the client's list, or fails the handshake with no_application_protocol.
    static let selectH2: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                                         UnsafeMutablePointer<UInt8>?, UnsafePointer<UInt8>?, UInt32,
                                         UnsafeMutableRawPointer?) -> Int32 = { _, out, outLength, input, inputLength, _ in
        guard let input, let out, let outLength else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        var i = 0
        let n = Int(inputLength)
        while i < n {
            let length = Int(input[i])
            if length == 2 && i + 2 < n && input[i + 1] == UInt8(ascii: "h") && input[i + 2] == UInt8(ascii: "2") {
                out.pointee = input + i + 1
                outLength.pointee = 2
                return SSL_TLSEXT_ERR_OK
            }
            i += 1 + length
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
}
