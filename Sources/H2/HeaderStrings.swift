// HeaderStrings: Swift Strings for received header names and values, reusing the String made
// for the same bytes recently. A peer sends the same long values on every request of a
// connection (":path" of a few RPCs, content-type, user-agent, authorization); each would
// otherwise cost a heap allocation and UTF-8 validation per request. Strings of at most 15
// UTF-8 bytes are stored inline by Swift and are simply made anew.

import Foundation

/// A small direct-mapped cache from header bytes to the String made for them (per session).
struct HeaderStrings {
    private var slots = [String?](repeating: nil, count: 32)

    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let n = bytes.count
        guard n > 15, let base = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        let h = (n &* 31 &+ Int(base[0]) &* 7 &+ Int(base[n - 1]) &* 3 &+ Int(base[n / 2])) & 31
        if let s = slots[h], s.utf8.count == n,
           s.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, base, n) == 0 }) == true {
            return s
        }
        // A String repaired from invalid UTF-8 never matches its bytes again: it is rebuilt
        // every time, so the cache can never return other bytes than were received.
        let s = String(decoding: bytes, as: UTF8.self)
        slots[h] = s
        return s
    }
}
