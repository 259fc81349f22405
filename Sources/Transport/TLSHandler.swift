// TLSHandler: a NIO duplex handler around TLSEngine (OpenSSL over memory BIOs). Inbound
// ciphertext ByteBuffers become plaintext ByteBuffers for the H2 handler above it;
// outbound plaintext becomes ciphertext. Flushes follow the pipeline's flushes plus
// one per read batch (handshake replies), never per record.

import NIOCore
import TLS

/// Fired inbound once the handshake completed (ALPN `h2` negotiated).
struct TLSHandshakeCompleted: Sendable {
    let peerSubject: String?
}

final class TLSHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: TLSEngine
    private let onFailure: (TLSError) -> Void
    private var wroteCiphertext = false
    private var failed = false
    private var announced = false

    /// - Parameter onFailure: called once when the handshake or a record fails (for counters).
    init(engine: TLSEngine, onFailure: @escaping (TLSError) -> Void = { _ in }) {
        self.engine = engine
        self.onFailure = onFailure
    }

    func channelActive(context: ChannelHandlerContext) {
        if engine.context.role == .client {
            _ = try? engine.advanceHandshake()
            writeCiphertext(context: context, promise: nil)
            context.flush()
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        var plaintext = context.channel.allocator.buffer(capacity: 0)
        // OpenSSL decrypts straight from the socket's buffer (lent for the call) into the buffer
        // handed to the H2 handler: no copy through a memory BIO, no intermediate array.
        let failure: TLSError? = buffer.withUnsafeReadableBytes { raw in
            engine.withCiphertext(raw) { () -> TLSError? in
                do throws(TLSError) {
                    let bound = try engine.plaintextBound()
                    guard bound > 0 else { return nil }
                    plaintext.reserveCapacity(bound)
                    var result: Result<Int, TLSError> = .success(0)
                    plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                        result = engine.readPlaintext(into: out)
                        return (try? result.get()) ?? 0
                    }
                    _ = try result.get()
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let error = failure {
            failed = true
            onFailure(error)
            writeCiphertext(context: context, promise: nil) // the alert
            context.flush()
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        writeCiphertext(context: context, promise: nil)
        if engine.isHandshakeComplete && !announced {
            announced = true
            context.fireUserInboundEventTriggered(TLSHandshakeCompleted(peerSubject: engine.peerCertificateSubject))
        }
        if plaintext.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(plaintext))
        }
        if engine.peerClosed { context.close(promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if wroteCiphertext { wroteCiphertext = false; context.flush() }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        // Records go straight from OpenSSL into the outbound buffer (TLS 1.3 adds 22 bytes per
        // record of up to 16 KiB; the buffer grows if the handshake adds more).
        var out = context.channel.allocator.buffer(capacity: buffer.readableBytes + (buffer.readableBytes / 16_384 + 1) * 22
                                                   + engine.pendingCiphertext)
        let failure: TLSError? = buffer.withUnsafeReadableBytes { raw in
            do throws(TLSError) { try engine.writePlaintext(raw, to: { out.writeBytes($0) }) } catch { return error }
            return nil
        }
        if let failure {
            promise?.fail(failure)
            return
        }
        if out.readableBytes == 0 {
            promise?.succeed()
            return
        }
        wroteCiphertext = true
        context.write(wrapOutboundOut(out), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all && !failed {
            engine.shutdown()
            writeCiphertext(context: context, promise: nil)
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }

    /// Writes whatever ciphertext the engine produced (an empty write still completes `promise`).
    private func writeCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let pending = engine.pendingCiphertext
        if pending == 0 {
            promise?.succeed()
            return
        }
        // Straight from OpenSSL's BIO into the outbound buffer (no intermediate array).
        var out = context.channel.allocator.buffer(capacity: pending)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { engine.readCiphertext(into: $0) }
        wroteCiphertext = true
        context.write(wrapOutboundOut(out), promise: promise)
    }
}
