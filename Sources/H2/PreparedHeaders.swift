// PreparedHeaders: a constant header list (a server's response head, its OK trailers) turned
// into nghttp2 name/value pairs once, flagged so that nghttp2 references the bytes instead of
// copying them (NGHTTP2_NV_FLAG_NO_COPY_NAME / _VALUE). nghttp2 requires such bytes to stay
// valid until the frame is sent, so instances are interned and never freed: use them only for
// lists drawn from a small fixed set, never for per-request values.

import CNGHTTP2
import Synchronization

/// A header list nghttp2 can send without copying it (see the file comment).
public final class PreparedHeaders: @unchecked Sendable {
    public let headers: [H2Header]
    let nv: UnsafeMutablePointer<nghttp2_nv>
    let count: Int

    private static let interned = Mutex<[String: PreparedHeaders]>([:])

    /// The one instance for `headers` (created on first use, kept for the process's life).
    public static func interned(_ headers: [H2Header]) -> PreparedHeaders {
        let key = headers.map { $0.name + "\u{0}" + $0.value }.joined(separator: "\u{1}")
        return interned.withLock { table in
            if let p = table[key] { return p }
            let p = PreparedHeaders(headers)
            table[key] = p
            return p
        }
    }

    private init(_ headers: [H2Header]) {
        self.headers = headers
        count = headers.count
        nv = .allocate(capacity: max(1, headers.count))
        let flags = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue)
        for (i, h) in headers.enumerated() {
            let name = Array(h.name.utf8), value = Array(h.value.utf8)
            let n = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, name.count))
            let v = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, value.count))
            n.initialize(from: name, count: name.count)
            v.initialize(from: value, count: value.count)
            nv[i] = nghttp2_nv(name: n, value: v, namelen: name.count, valuelen: value.count, flags: flags)
        }
    }
}

/// A header block to submit: built per call, or prepared once.
enum HeaderBlock {
    case list([H2Header])
    case prepared(PreparedHeaders)
}
