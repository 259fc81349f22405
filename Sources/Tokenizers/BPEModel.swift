// BPEModel: the byte-level BPE merge step. Merge ranks live in an open-addressing table keyed
// by the integer pair (left id, right id); a word's symbols merge lowest rank first, leftmost
// on ties (Hugging Face's order). Results are cached per piece (its bytes) across calls.

import Synchronization

/// (left id, right id) → (rank, merged id), open addressing with linear probing.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private let mask: Int
    static let empty = UInt64.max

    init(capacityFor n: Int) {
        var size = 16
        while size < n * 2 + 1 { size <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always) private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// Inserts unless the pair is already present (the first, lower rank wins, as in HF).
    mutating func insert(_ a: Int32, _ b: Int32, rank: Int32, merged: Int32) {
        let k = Self.key(a, b)
        var s = slot(k)
        while keys[s] != Self.empty {
            if keys[s] == k { return }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// (rank, merged id) of a pair, or nil.
    @inline(__always) func lookup(_ a: Int32, _ b: Int32) -> (rank: Int32, merged: Int32)? {
        let k = Self.key(a, b)
        var s = slot(k)
        while true {
            let stored = keys[s]
            if stored == k {
                let v = values[s]
                return (Int32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v))
            }
            if stored == Self.empty { return nil }
            s = (s + 1) & mask
        }
    }
}

/// Per-piece results shared by all copies of a tokenizer (thread-safe, bounded: cleared when full).
final class PieceCache: Sendable {
    private let table = Mutex(PieceTable())

    /// Appends the cached ids of `piece` to `out`; false if absent.
    func get(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, into out: inout [Int32]) -> Bool {
        table.withLock { $0.get(piece, hash: hash, into: &out) }
    }

    func put(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, _ ids: [Int32]) {
        table.withLock { $0.put(piece, hash: hash, ids) }
    }

    /// A 64-bit hash of a piece's bytes.
    @inline(__always) static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(p.count)
        var i = 0
        while i + 8 <= p.count {
            h = (h ^ UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[i..<(i + 8)]).loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        while i < p.count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3; i += 1 }
        h ^= h >> 29
        return h &* 0xC4CE_B9FE_1A85_EC53
    }
}

/// Open-addressing map from piece bytes to ids, keys and values in flat pools.
struct PieceTable {
    static let slotCount = 1 << 18, limit = 150_000
    private var slots = [Int32](repeating: -1, count: PieceTable.slotCount)
    private var hashes: [UInt64] = []
    private var keyStarts: [Int32] = [0]
    private var valueStarts: [Int32] = [0]
    private var keys: [UInt8] = []
    private var values: [Int32] = []

    private func find(_ piece: UnsafeBufferPointer<UInt8>, _ hash: UInt64) -> (slot: Int, entry: Int) {
        let mask = Self.slotCount - 1
        var s = Int(truncatingIfNeeded: hash) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return (s, -1) }
            if hashes[e] == hash {
                let k0 = Int(keyStarts[e]), k1 = Int(keyStarts[e + 1])
                if k1 - k0 == piece.count, keys[k0..<k1].elementsEqual(piece) { return (s, e) }
            }
            s = (s + 1) & mask
        }
    }

    func get(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, into out: inout [Int32]) -> Bool {
        let e = find(piece, hash).entry
        guard e >= 0 else { return false }
        out.append(contentsOf: values[Int(valueStarts[e])..<Int(valueStarts[e + 1])])
        return true
    }

    mutating func put(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, _ ids: [Int32]) {
        if hashes.count >= Self.limit { self = PieceTable() }
        let (slot, e) = find(piece, hash)
        guard e < 0 else { return }
        slots[slot] = Int32(hashes.count)
        hashes.append(hash)
        keys.append(contentsOf: piece)
        keyStarts.append(Int32(keys.count))
        values.append(contentsOf: ids)
        valueStarts.append(Int32(values.count))
    }
}

/// Vocabulary lookups and the merge loop.
struct BPEModel: Sendable {
    let merges: MergeTable
    /// Byte → id of its one-byte token, or -1 if the vocabulary lacks it (the byte is dropped,
    /// as Hugging Face does without an unknown token: SmolLM2 lacks e.g. 0x04 and 0xF5–0xFF).
    let byteIDs: [Int32]
    /// Byte-mapped token string → id (regular vocabulary only), for `ignore_merges`.
    let vocab: [String: Int32]
    /// Llama 3's `ignore_merges`: a piece that is itself a token is not merged.
    let ignoreMerges: Bool
    let cache = PieceCache()

    /// Appends the ids of one piece (raw UTF-8 bytes) to `out`.
    func encode(piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if piece.count == 1 {
            let id = byteIDs[Int(piece[0])]
            if id >= 0 { out.append(id) }
            return
        }
        let hash = PieceCache.hash(piece)
        if cache.get(piece, hash: hash, into: &out) { return }
        var ids: [Int32]
        if ignoreMerges, let whole = vocab[ByteLevel.encode(piece)] {
            ids = [whole]
        } else {
            ids = []
            ids.reserveCapacity(piece.count)
            for b in piece where byteIDs[Int(b)] >= 0 { ids.append(byteIDs[Int(b)]) }
            merge(&ids)
        }
        cache.put(piece, hash: hash, ids)
        out.append(contentsOf: ids)
    }

    /// Merges `symbols` in place: repeatedly the lowest-rank pair, leftmost first.
    func merge(_ symbols: inout [Int32]) {
        if symbols.count > 64 { return mergeLong(&symbols) }
        var n = symbols.count
        guard n >= 2 else { return }
        // ranks[i] = rank of (symbols[i], symbols[i+1]) or Int32.max; merged ids beside it
        var ranks = [Int32](repeating: .max, count: n)
        var merged = [Int32](repeating: 0, count: n)
        for i in 0..<(n - 1) {
            if let m = merges.lookup(symbols[i], symbols[i + 1]) { ranks[i] = m.rank; merged[i] = m.merged }
        }
        while true {
            var best = Int32.max, at = -1
            for i in 0..<(n - 1) where ranks[i] < best { best = ranks[i]; at = i }
            if at < 0 { break }
            symbols[at] = merged[at]
            symbols.remove(at: at + 1)
            ranks.remove(at: at + 1)
            merged.remove(at: at + 1)
            n -= 1
            ranks[n - 1] = .max
            if at + 1 < n, let m = merges.lookup(symbols[at], symbols[at + 1]) {
                ranks[at] = m.rank; merged[at] = m.merged
            } else {
                ranks[at] = .max
            }
            if at > 0, let m = merges.lookup(symbols[at - 1], symbols[at]) {
                ranks[at - 1] = m.rank; merged[at - 1] = m.merged
            } else if at > 0 {
                ranks[at - 1] = .max
            }
        }
    }

    /// The same merge order for long pieces: a heap of candidate pairs over a linked list.
    func mergeLong(_ symbols: inout [Int32]) {
        let n = symbols.count
        var ids = symbols
        var next = (0..<n).map { Int32($0 + 1) }
        var prev = (0..<n).map { Int32($0 - 1) }
        var alive = [Bool](repeating: true, count: n)
        // heap entries: rank << 32 | position (smaller = first), with the expected right id beside
        var heap = MinHeap()
        func push(_ i: Int) {
            let j = Int(next[i])
            guard j < n, let m = merges.lookup(ids[i], ids[j]) else { return }
            heap.push(UInt64(UInt32(m.rank)) << 32 | UInt64(i), right: ids[j], left: ids[i])
        }
        for i in 0..<(n - 1) { push(i) }
        while let top = heap.pop() {
            let i = Int(top.key & 0xFFFF_FFFF)
            let j = Int(next[i])
            guard alive[i], j < n, ids[i] == top.left, ids[j] == top.right,
                  let m = merges.lookup(ids[i], ids[j]) else { continue }
            ids[i] = m.merged
            alive[j] = false
            next[i] = next[j]
            if Int(next[j]) < n { prev[Int(next[j])] = Int32(i) }
            push(i)
            if prev[i] >= 0 { push(Int(prev[i])) }
        }
        symbols.removeAll(keepingCapacity: true)
        var i = 0
        while i < n { symbols.append(ids[i]); i = Int(next[i]) }
    }
}

/// A binary min-heap of (key, left id, right id).
struct MinHeap {
    private var items: [(key: UInt64, left: Int32, right: Int32)] = []

    mutating func push(_ key: UInt64, right: Int32, left: Int32) {
        items.append((key, left, right))
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if items[p].key <= items[c].key { break }
            items.swapAt(p, c)
            c = p
        }
    }

    mutating func pop() -> (key: UInt64, left: Int32, right: Int32)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count, items[l].key < items[m].key { m = l }
                if r < items.count, items[r].key < items[m].key { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
        return top
    }
}
