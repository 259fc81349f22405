// StreamTable: a map from HTTP/2 stream id to per-stream state, for the per-request hot path
// (a unary RPC touches such maps some twenty times). Open addressing with linear probing and
// Fibonacci hashing of the id, backward-shift deletion (no tombstones), load factor ≤ 1/2.
// Swift's Dictionary hashes every Int32 with seeded SipHash, which showed up as ~6 % of a
// small RPC's server time; stream ids need no protection against chosen collisions because
// a connection holds at most its concurrent-stream limit of them.

/// A map from stream id (non-zero) to `Value`.
public struct StreamTable<Value> {
    @usableFromInline var keys: [Int32]
    @usableFromInline var slots: [Value?]
    @usableFromInline var _count = 0
    @usableFromInline var shift: UInt32
    @inlinable public var count: Int { _count }

    @inlinable public init() {
        keys = [Int32](repeating: 0, count: 16)
        slots = [Value?](repeating: nil, count: 16)
        shift = 32 - 4
    }

    @inlinable public var isEmpty: Bool { _count == 0 }

    @inlinable @inline(__always) func home(_ key: Int32) -> Int {
        Int((UInt32(bitPattern: key) &* 0x9E37_79B1) >> shift)
    }

    @inlinable @inline(__always) func find(_ key: Int32) -> Int? {
        let mask = keys.count - 1
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return i }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    @inlinable public subscript(key: Int32) -> Value? {
        get { find(key).flatMap { slots[$0] } }
        set {
            if let newValue { insert(key, newValue) } else { removeValue(forKey: key) }
        }
        // In-place mutation (`table[id]?.queue.append(…)`): the value is moved out of its slot
        // while yielded, so a value type's buffers stay uniquely referenced and are not copied.
        _modify {
            if let i = find(key) {
                var value = slots[i]
                slots[i] = nil
                yield &value
                if let value { slots[i] = value } else { removeAt(i) }
            } else {
                var value: Value? = nil
                yield &value
                if let value { insert(key, value) }
            }
        }
    }

    /// Runs `body` on the stored value in place (no copy of a value type's buffers); nil if absent.
    @inlinable public mutating func withValue<R, E: Error>(_ key: Int32, _ body: (inout Value) throws(E) -> R) throws(E) -> R? {
        guard let i = find(key) else { return nil }
        // `slots[i]!` is modified in place through the array's and the optional's accessors.
        return try body(&slots[i]!)
    }

    @inlinable mutating func insert(_ key: Int32, _ value: Value) {
        precondition(key != 0, "stream id 0 is the connection")
        if let i = find(key) { slots[i] = value; return }
        if (_count + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var i = home(key)
        while keys[i] != 0 { i = (i + 1) & mask }
        keys[i] = key
        slots[i] = value
        _count += 1
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey key: Int32) -> Value? {
        guard let i = find(key) else { return nil }
        let old = slots[i]
        removeAt(i)
        return old
    }

    @inlinable mutating func removeAt(_ index: Int) {
        var hole = index
        let mask = keys.count - 1
        // Backward-shift deletion: move later members of the probe run into the hole when
        // their home position is not between the hole and themselves (cyclically).
        var j = hole
        while true {
            j = (j + 1) & mask
            let k = keys[j]
            if k == 0 { break }
            let h = home(k)
            let between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !between {
                keys[hole] = k
                slots[hole] = slots[j]
                hole = j
            }
        }
        keys[hole] = 0
        slots[hole] = nil
        _count -= 1
    }

    @inlinable public mutating func removeAll() {
        self = StreamTable()
    }

    @inlinable mutating func grow() {
        let oldKeys = keys, oldSlots = slots
        keys = [Int32](repeating: 0, count: oldKeys.count * 2)
        slots = [Value?](repeating: nil, count: oldKeys.count * 2)
        shift -= 1
        _count = 0
        for (k, v) in zip(oldKeys, oldSlots) where k != 0 { insert(k, v!) }
    }

    /// Every (id, value) pair, in no particular order.
    @inlinable public var entries: [(key: Int32, value: Value)] {
        var out: [(key: Int32, value: Value)] = []
        out.reserveCapacity(_count)
        for (k, v) in zip(keys, slots) where k != 0 { out.append((k, v!)) }
        return out
    }

    /// Folds over the values without building an array.
    @inlinable public func reduce<R>(_ initial: R, _ next: (R, Value) -> R) -> R {
        var acc = initial
        for i in 0 ..< keys.count where keys[i] != 0 { acc = next(acc, slots[i]!) }
        return acc
    }

    /// Every value, in no particular order.
    @inlinable public var values: [Value] { entries.map(\.value) }
}

extension StreamTable: Sendable where Value: Sendable {}
