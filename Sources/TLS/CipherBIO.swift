// CipherBIO: the OpenSSL BIO under a TLSEngine, in place of two memory BIOs. OpenSSL reads
// ciphertext straight from the caller's buffer while it is lent (`TLSEngine.withCiphertext`)
// and writes records straight to the caller's sink while one is set
// (`TLSEngine.writePlaintext(_:to:)`), so neither direction copies through a memory BIO.
// Bytes that outlive the loan (a partial record) or that OpenSSL writes with no sink set
// (handshake, alerts) are kept in owned arrays and handed out first.

import COpenSSL

/// The state behind one engine's BIO (its `BIO_get_data`). Not thread-safe: one engine, one loop.
final class CipherBIO {
    /// Ciphertext lent by the caller for the duration of one call; `lentOffset` bytes read.
    var lent: UnsafeRawBufferPointer?
    var lentOffset = 0
    /// Ciphertext received earlier and not read yet (read before `lent`).
    var spill: [UInt8] = []
    var spillOffset = 0
    /// Where records go while set; otherwise they queue in `queued`.
    var sink: ((UnsafeRawBufferPointer) -> Void)?
    var queued: [UInt8] = []
    var queuedOffset = 0

    /// Ciphertext available to OpenSSL.
    var inputCount: Int { spill.count - spillOffset + (lent.map { $0.count - lentOffset } ?? 0) }
    /// Ciphertext written while no sink was set, not handed out yet.
    var queuedCount: Int { queued.count - queuedOffset }

    /// Keeps whatever of the loan OpenSSL did not read (it must survive the caller's buffer).
    func endLoan() {
        if let lent, lentOffset < lent.count {
            if spillOffset == spill.count { spill.removeAll(keepingCapacity: true); spillOffset = 0 }
            spill.append(contentsOf: UnsafeRawBufferPointer(rebasing: lent[lentOffset...]))
        }
        lent = nil
        lentOffset = 0
    }

    /// Copies up to `max` queued bytes to `destination`; returns how many.
    func takeQueued(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(destination.count, queuedCount)
        guard n > 0, let base = destination.baseAddress else { return 0 }
        queued.withUnsafeBytes { base.copyMemory(from: $0.baseAddress! + queuedOffset, byteCount: n) }
        queuedOffset += n
        if queuedOffset == queued.count { queued.removeAll(keepingCapacity: true); queuedOffset = 0 }
        return n
    }

    private func read(into buffer: UnsafeMutableRawPointer, max: Int) -> Int {
        var n = 0
        if spillOffset < spill.count {
            n = min(max, spill.count - spillOffset)
            spill.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + spillOffset, byteCount: n) }
            spillOffset += n
            if spillOffset == spill.count { spill.removeAll(keepingCapacity: true); spillOffset = 0 }
        }
        if n < max, let lent, lentOffset < lent.count {
            let m = min(max - n, lent.count - lentOffset)
            (buffer + n).copyMemory(from: lent.baseAddress! + lentOffset, byteCount: m)
            lentOffset += m
            n += m
        }
        return n
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        if let sink { sink(bytes); return }
        if queuedOffset == queued.count { queued.removeAll(keepingCapacity: true); queuedOffset = 0 }
        queued.append(contentsOf: bytes)
    }

    // MARK: the BIO method

    /// A BIO of this method whose data is `state` (unretained: the engine owns both).
    static func make(_ state: CipherBIO) -> OpaquePointer? {
        guard let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(state).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private static func state(_ bio: OpaquePointer?) -> CipherBIO? {
        guard let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<CipherBIO>.fromOpaque(data).takeUnretainedValue()
    }

    // BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL, BIO_FLAGS_SHOULD_RETRY (macros in bio.h).
    private static let rwsFlags: Int32 = 0x07
    private static let readFlag: Int32 = 0x01
    private static let retryFlag: Int32 = 0x08

    nonisolated(unsafe) private static let method: OpaquePointer = {
        // BIO_TYPE_SOURCE_SINK (0x0400) with an index of our own.
        let m = BIO_meth_new(BIO_get_new_index() | 0x0400, "tributary cipher")!
        BIO_meth_set_write(m) { bio, data, length in
            BIO_clear_flags(bio, CipherBIO.rwsFlags | CipherBIO.retryFlag)
            guard let s = CipherBIO.state(bio), let data, length > 0 else { return 0 }
            s.write(UnsafeRawBufferPointer(start: data, count: Int(length)))
            return length
        }
        BIO_meth_set_read(m) { bio, buffer, length in
            BIO_clear_flags(bio, CipherBIO.rwsFlags | CipherBIO.retryFlag)
            guard let s = CipherBIO.state(bio), let buffer, length > 0 else { return 0 }
            let n = s.read(into: buffer, max: Int(length))
            if n == 0 {
                BIO_set_flags(bio, CipherBIO.readFlag | CipherBIO.retryFlag)   // nothing yet: retry later
                return -1
            }
            return Int32(n)
        }
        BIO_meth_set_ctrl(m) { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH: return 1
            case BIO_CTRL_PENDING: return CipherBIO.state(bio).map { $0.inputCount } ?? 0
            case BIO_CTRL_WPENDING: return CipherBIO.state(bio).map { $0.queuedCount } ?? 0
            default: return 0
            }
        }
        return m
    }()
}
