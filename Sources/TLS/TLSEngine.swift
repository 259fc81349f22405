// TLSEngine: one OpenSSL SSL object over a CipherBIO — ciphertext in, plaintext out and
// back — with no sockets. Drives the handshake, checks that
// ALPN settled on "h2", and sends close_notify on shutdown.

import COpenSSL

/// One TLS connection's state, driven entirely through memory.
///
/// **Threading:** not `Sendable`; use one engine on one thread (its connection's event loop).
///
/// **Driving it:** give received bytes to ``feedCiphertext(_:)``, then call ``readPlaintext()``
/// (which also advances the handshake). Queue outgoing data with ``writePlaintext(_:)`` (it is
/// held until the handshake completes). After either, send ``drainCiphertext()`` to the peer —
/// also after a thrown handshake error, which leaves the alert for the peer there.
/// Without copies: read while the received bytes are lent with ``withCiphertext(_:_:)``, and
/// write with ``writePlaintext(_:to:)``, whose records go straight to a sink.
public final class TLSEngine {
    public let context: TLSContext
    let ssl: OpaquePointer
    /// The BIO's state: ciphertext from the peer (lent or spilled), ciphertext for the peer (a
    /// sink or a queue).
    let cipher: CipherBIO
    private var pendingPlaintext: [UInt8] = []
    private var failure: TLSError?

    /// True once the handshake finished and ALPN negotiated "h2".
    public private(set) var isHandshakeComplete = false
    /// True once the peer's close_notify arrived.
    public private(set) var peerClosed = false

    /// - Parameters:
    ///   - context: shared settings (role, certificates, ALPN).
    ///   - serverName: clients only: sent as SNI (unless an IP literal) and checked against the
    ///     server certificate's names. Without it only the chain is verified.
    public init(context: TLSContext, serverName: String? = nil) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw .configuration("SSL_new: " + OpenSSLErrors.drain()) }
        let cipher = CipherBIO()
        guard let bio = CipherBIO.make(cipher) else {
            SSL_free(ssl)
            throw .configuration("BIO_new: " + OpenSSLErrors.drain())
        }
        SSL_set_bio(ssl, bio, bio) // the SSL owns the BIO now (one reference for both directions)
        self.context = context
        self.ssl = ssl
        self.cipher = cipher
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            // SSL_set_alpn_protos returns 0 on success (unlike most of OpenSSL).
            guard SSL_set_alpn_protos(ssl, context.alpnWire, UInt32(context.alpnWire.count)) == 0 else {
                throw .configuration("SSL_set_alpn_protos: " + OpenSSLErrors.drain())
            }
            if let serverName { try setServerName(serverName) }
        }
    }

    deinit { SSL_free(ssl) }

    private func setServerName(_ name: String) throws(TLSError) {
        let param = SSL_get0_param(ssl)
        if X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 { return } // IP literal: no SNI (RFC 6066 §3)
        ERR_clear_error()
        guard tributary_SSL_set_tlsext_host_name(ssl, name) == 1, SSL_set1_host(ssl, name) == 1 else {
            throw .configuration("server name \(name): " + OpenSSLErrors.drain())
        }
    }

    // MARK: - Ciphertext side

    /// Hands bytes received from the peer to OpenSSL (buffered until read).
    public func feedCiphertext(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        cipher.spill.append(contentsOf: bytes)
    }

    /// Array convenience for ``feedCiphertext(_:)-(UnsafeRawBufferPointer)``.
    public func feedCiphertext(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feedCiphertext($0) }
    }

    /// Lends `bytes` as received ciphertext while `body` runs (its reads decrypt straight from
    /// them, no copy); whatever `body` leaves unread (a partial record) is kept for later.
    public func withCiphertext<R>(_ bytes: UnsafeRawBufferPointer, _ body: () throws -> R) rethrows -> R {
        cipher.endLoan()
        cipher.lent = bytes
        defer { cipher.endLoan() }
        return try body()
    }

    /// Everything OpenSSL has produced for the peer outside ``writePlaintext(_:to:)``
    /// (handshake messages, records, alerts).
    public func drainCiphertext() -> [UInt8] {
        let pending = cipher.queuedCount
        guard pending > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: pending) { buffer, count in
            count = cipher.takeQueued(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Moves up to `destination.count` bytes of pending ciphertext into `destination`.
    /// - Returns: the number of bytes written.
    public func readCiphertext(into destination: UnsafeMutableRawBufferPointer) -> Int {
        cipher.takeQueued(into: destination)
    }

    /// Bytes waiting in ``drainCiphertext()``.
    public var pendingCiphertext: Int { cipher.queuedCount }

    // MARK: - Plaintext side

    /// Advances the handshake and returns all application data decrypted so far.
    /// - Throws: ``TLSError/handshakeFailed(_:)``, ``TLSError/alpnMismatch(negotiated:)`` or
    ///   ``TLSError/protocolError(_:)``; the engine is then unusable (drain the alert first).
    public func readPlaintext() throws(TLSError) -> [UInt8] {
        let bound = try plaintextBound()
        guard bound > 0 else { return [] }
        var result: Result<Int, TLSError> = .success(0)
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            result = readPlaintext(into: UnsafeMutableRawBufferPointer(buffer))
            count = (try? result.get()) ?? 0
        }
        _ = try result.get()
        return out
    }

    /// Advances the handshake and returns how many plaintext bytes ``readPlaintext(into:)`` can
    /// produce at most right now (0: nothing to read yet).
    public func plaintextBound() throws(TLSError) -> Int {
        try advanceHandshake()
        guard isHandshakeComplete else { return 0 }
        // Plaintext is never longer than the ciphertext it came from, so buffered ciphertext
        // plus bytes OpenSSL already decrypted bound the result. One record may already sit
        // partly inside OpenSSL's read buffer (consumed from the BIO by an earlier call that hit
        // WANT_READ): its plaintext, up to 16 KiB, is not covered by either count, so add a
        // record's worth or it would stay stranded until more input came.
        let pending = cipher.inputCount + Int(SSL_pending(ssl))
        return pending > 0 ? pending + 16 * 1024 : 0
    }

    /// Decrypts into `destination` (sized by ``plaintextBound()``): the NIO handler reads
    /// straight into its inbound buffer. Returns the bytes written, or the failure.
    public func readPlaintext(into destination: UnsafeMutableRawBufferPointer) -> Result<Int, TLSError> {
        guard let base = destination.baseAddress else { return .success(0) }
        var count = 0
        var readError: Int32 = SSL_ERROR_NONE
        ERR_clear_error()
        while count < destination.count {
            let n = SSL_read(ssl, base + count, Int32(min(destination.count - count, Int(Int32.max))))
            if n > 0 { count += Int(n); continue }
            readError = SSL_get_error(ssl, n)
            break
        }
        switch readError {
        case SSL_ERROR_NONE, SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .success(count)
        case SSL_ERROR_ZERO_RETURN:
            peerClosed = true
            return .success(count)
        default:
            return .failure(fail(.protocolError(OpenSSLErrors.drain("SSL_read failed"))))
        }
    }

    /// Encrypts application data (queued until the handshake completes).
    public func writePlaintext(_ bytes: [UInt8]) throws(TLSError) {
        var result: Result<Void, TLSError> = .success(())
        bytes.withUnsafeBytes { raw in
            do throws(TLSError) { try writePlaintext(raw) } catch { result = .failure(error) }
        }
        try result.get()
    }

    /// Encrypts `bytes` and hands the records — after any ciphertext queued earlier — straight
    /// to `sink` (no intermediate buffer); returns when all of it went there.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        if cipher.queuedCount > 0 {
            cipher.queued.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[cipher.queuedOffset...])) }
            cipher.queued.removeAll(keepingCapacity: true)
            cipher.queuedOffset = 0
        }
        let result: Result<Void, TLSError> = withoutActuallyEscaping(sink) { sink in
            cipher.sink = sink
            defer { cipher.sink = nil }
            do throws(TLSError) { try writePlaintext(bytes) } catch { return .failure(error) }
            return .success(())
        }
        try result.get()
    }

    /// Encrypts application data straight from `bytes` once the handshake is complete and
    /// nothing is queued (the common case: no copy before OpenSSL's own); otherwise queues it.
    /// The records wait in ``drainCiphertext()``.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        if let failure { throw failure }
        if isHandshakeComplete && pendingPlaintext.isEmpty, let base = bytes.baseAddress, bytes.count > 0 {
            ERR_clear_error()
            var offset = 0
            while offset < bytes.count {
                // Memory BIOs never block: SSL_write takes everything unless renegotiation-like
                // post-handshake messages need input first (then the rest is queued below).
                let n = SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
                if n > 0 { offset += Int(n); continue }
                if SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ { break }
                throw fail(.protocolError(OpenSSLErrors.drain("SSL_write failed")))
            }
            if offset < bytes.count { pendingPlaintext.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
            return
        }
        pendingPlaintext.append(contentsOf: bytes)
        try advanceHandshake()
        if isHandshakeComplete { try flushPlaintext() }
    }

    /// Runs the handshake as far as the buffered input allows.
    /// - Returns: ``isHandshakeComplete``.
    @discardableResult
    public func advanceHandshake() throws(TLSError) -> Bool {
        if let failure { throw failure }
        guard !isHandshakeComplete else { return true }
        ERR_clear_error()
        let rv = SSL_do_handshake(ssl)
        if rv != 1 {
            let error = SSL_get_error(ssl, rv)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return false }
            var message = OpenSSLErrors.drain("handshake failed")
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK { message += " (certificate: \(String(cString: X509_verify_cert_error_string(verify))))" }
            throw fail(.handshakeFailed(message))
        }
        guard negotiatedALPN == "h2" else { throw fail(.alpnMismatch(negotiated: negotiatedALPN)) }
        isHandshakeComplete = true
        try flushPlaintext()
        return true
    }

    /// Sends close_notify (drain it and send it before closing the socket).
    public func shutdown() {
        guard failure == nil, isHandshakeComplete else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func flushPlaintext() throws(TLSError) {
        guard !pendingPlaintext.isEmpty else { return }
        ERR_clear_error()
        // Memory BIOs never block, so SSL_write takes everything (no partial writes).
        let n = pendingPlaintext.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        guard n == Int32(pendingPlaintext.count) else {
            if n <= 0 && SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ { return } // retried on the next call
            throw fail(.protocolError(OpenSSLErrors.drain("SSL_write failed")))
        }
        pendingPlaintext.removeAll(keepingCapacity: true)
    }

    private func fail(_ error: TLSError) -> TLSError {
        failure = error
        return error
    }

    // MARK: - Connection facts

    /// The application protocol the handshake settled on (nil if none).
    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The peer certificate's subject (e.g. "/CN=localhost"), or nil without one.
    public var peerCertificateSubject: String? {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(cert) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard X509_NAME_oneline(X509_get_subject_name(cert), &buffer, Int32(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The negotiated protocol version, e.g. "TLSv1.3".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }
}

/// TLSEngine is confined to one thread (see its documentation).
@available(*, unavailable)
extension TLSEngine: Sendable {}
