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
        buffer.withUnsafeReadableBytes { engine.feedCiphertext($0) }
        var plaintext = context.channel.allocator.buffer(capacity: 0)
        do {
            let bound = try engine.plaintextBound()
            if bound > 0 {
                // Decrypt straight into the buffer handed to the H2 handler (no intermediate array).
                plaintext.reserveCapacity(bound)
                var result: Result<Int, TLSError> = .success(0)
                plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
                    result = engine.readPlaintext(into: raw)
                    return (try? result.get()) ?? 0
                }
                _ = try result.get()
            }
        } catch {
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
        do {
            var result: Result<Void, TLSError> = .success(())
            buffer.withUnsafeReadableBytes { raw in
                do throws(TLSError) { try engine.writePlaintext(raw) } catch { result = .failure(error) }
            }
            try result.get()
        } catch {
            promise?.fail(error)
            return
        }
        writeCiphertext(context: context, promise: promise)
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
