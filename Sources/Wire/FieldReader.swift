// Decoder half of the codec (proto/PROTOCOL.md §5): splits a field sequence into
// (id, wire type, range) entries with every length bounds-checked against the bytes
// that remain, then serves typed, named reads. Unknown ids are never looked at, so
// they are skipped. Arrays are copied out in one memory copy on little-endian hosts.

/// Typed access to one message's fields. Valid only while the memory it reads is alive
/// (inside the `decode` call that created it).
public struct FieldReader {
    struct Entry {
        var id: UInt16
        var type: WireType
        var start: Int
        var count: Int
    }

    /// Message name used in errors.
    public let message: String
    private let raw: UnsafeRawBufferPointer
    private var entries: [Entry] = []

    /// Parses the fields in `raw[start ..< end]` (end defaults to the buffer's end).
    public init(_ raw: UnsafeRawBufferPointer, from start: Int, to end: Int? = nil, message: String) throws(WireError) {
        self.raw = raw
        self.message = message
        let end = end ?? raw.count
        var off = start
        while off < end {
            // Field header: id u16 | wire type u8 | length u32 (7 bytes).
            guard end - off >= 7 else { throw .truncated(message: message, offset: off, need: 7, have: end - off) }
            let id = raw.loadUnaligned(fromByteOffset: off, as: UInt16.self).littleEndian
            let typeByte = raw[off + 2]
            let length = Int(raw.loadUnaligned(fromByteOffset: off + 3, as: UInt32.self).littleEndian)
            if id == 0 { throw .invalidFieldID(message: message, offset: off) }
            guard let type = WireType(rawValue: typeByte) else {
                throw .unknownWireType(message: message, fieldID: id, wireType: typeByte)
            }
            // Never trust a length: it must fit in what remains before anything is read.
            guard length <= end - off - 7 else {
                throw .truncated(message: message, offset: off + 7, need: length, have: end - off - 7)
            }
            entries.append(Entry(id: id, type: type, start: off + 7, count: length))
            off += 7 + length
        }
    }

    /// Ids of all fields present, in wire order (including unknown ones).
    public var presentFieldIDs: [UInt16] { entries.map(\.id) }

    // MARK: scalars

    public func u8(_ id: UInt16, _ name: String) throws(WireError) -> UInt8 { try need(u8IfPresent(id, name), id, name) }
    public func u8IfPresent(_ id: UInt16, _ name: String) throws(WireError) -> UInt8? {
        guard let e = try single(id, name, .fixed8) else { return nil }
        return raw[e.start]
    }

    public func bool(_ id: UInt16, _ name: String) throws(WireError) -> Bool { try need(boolIfPresent(id, name), id, name) }
    public func boolIfPresent(_ id: UInt16, _ name: String) throws(WireError) -> Bool? {
        guard let v = try u8IfPresent(id, name) else { return nil }
        guard v <= 1 else { throw .invalidValue(message: message, field: name, reason: "bool must be 0 or 1, got \(v)") }
        return v == 1
    }

    public func u16(_ id: UInt16, _ name: String) throws(WireError) -> UInt16 { try need(u16IfPresent(id, name), id, name) }
    public func u16IfPresent(_ id: UInt16, _ name: String) throws(WireError) -> UInt16? {
        guard let e = try single(id, name, .fixed16) else { return nil }
        return raw.loadUnaligned(fromByteOffset: e.start, as: UInt16.self).littleEndian
    }

    public func u32(_ id: UInt16, _ name: String) throws(WireError) -> UInt32 { try need(u32IfPresent(id, name), id, name) }
    public func u32IfPresent(_ id: UInt16, _ name: String) throws(WireError) -> UInt32? {
        guard let e = try single(id, name, .fixed32) else { return nil }
        return raw.loadUnaligned(fromByteOffset: e.start, as: UInt32.self).littleEndian
    }

    public func f32(_ id: UInt16, _ name: String) throws(WireError) -> Float { try need(f32IfPresent(id, name), id, name) }
    public func f32IfPresent(_ id: UInt16, _ name: String) throws(WireError) -> Float? {
        guard let bits = try u32IfPresent(id, name) else { return nil }
        return Float(bitPattern: bits)
    }

    public func u64(_ id: UInt16, _ name: String) throws(WireError) -> UInt64 { try need(u64IfPresent(id, name), id, name) }
    public func u64IfPresent(_ id: UInt16, _ name: String) throws(WireError) -> UInt64? {
        guard let e = try single(id, name, .fixed64) else { return nil }
        return raw.loadUnaligned(fromByteOffset: e.start, as: UInt64.self).littleEndian
    }

    // MARK: variable length

    public func string(_ id: UInt16, _ name: String) throws(WireError) -> String { try need(stringIfPresent(id, name), id, name) }
    public func stringIfPresent(_ id: UInt16, _ name: String) throws(WireError) -> String? {
        guard let e = try single(id, name, .bytes) else { return nil }
        guard let s = String(validating: slice(e), as: UTF8.self) else {
            throw .invalidUTF8(message: message, field: name)
        }
        return s
    }

    /// A repeated string field: every occurrence of `id`, in wire order (possibly none).
    public func strings(_ id: UInt16, _ name: String) throws(WireError) -> [String] {
        var out: [String] = []
        for e in entries where e.id == id {
            try check(e, name, .bytes)
            guard let s = String(validating: slice(e), as: UTF8.self) else { throw .invalidUTF8(message: message, field: name) }
            out.append(s)
        }
        return out
    }

    public func bytes(_ id: UInt16, _ name: String) throws(WireError) -> [UInt8] { try need(bytesIfPresent(id, name), id, name) }
    public func bytesIfPresent(_ id: UInt16, _ name: String) throws(WireError) -> [UInt8]? {
        guard let e = try single(id, name, .bytes) else { return nil }
        return Array(slice(e))
    }

    public func int32s(_ id: UInt16, _ name: String) throws(WireError) -> [Int32] { try need(int32sIfPresent(id, name), id, name) }
    public func int32sIfPresent(_ id: UInt16, _ name: String) throws(WireError) -> [Int32]? { try array32(id, name) }

    public func uint32s(_ id: UInt16, _ name: String) throws(WireError) -> [UInt32] { try need(uint32sIfPresent(id, name), id, name) }
    public func uint32sIfPresent(_ id: UInt16, _ name: String) throws(WireError) -> [UInt32]? { try array32(id, name) }

    public func float32s(_ id: UInt16, _ name: String) throws(WireError) -> [Float] { try need(float32sIfPresent(id, name), id, name) }
    public func float32sIfPresent(_ id: UInt16, _ name: String) throws(WireError) -> [Float]? { try array32(id, name) }

    // MARK: nested

    public func message<T: WireFields>(_ id: UInt16, _ name: String, as type: T.Type = T.self) throws(WireError) -> T {
        try need(messageIfPresent(id, name, as: type), id, name)
    }
    public func messageIfPresent<T: WireFields>(_ id: UInt16, _ name: String, as type: T.Type = T.self) throws(WireError) -> T? {
        guard let e = try single(id, name, .message) else { return nil }
        return try T(fields: FieldReader(raw, from: e.start, to: e.start + e.count, message: T.wireName))
    }

    /// A repeated nested field: every occurrence of `id`, in wire order (possibly none).
    public func messages<T: WireFields>(_ id: UInt16, _ name: String, as type: T.Type = T.self) throws(WireError) -> [T] {
        var out: [T] = []
        for e in entries where e.id == id {
            try check(e, name, .message)
            out.append(try T(fields: FieldReader(raw, from: e.start, to: e.start + e.count, message: T.wireName)))
        }
        return out
    }

    // MARK: helpers

    /// Throws `missingField` naming the field when a required value is absent.
    public func need<T>(_ value: T?, _ id: UInt16, _ name: String) throws(WireError) -> T {
        guard let value else { throw .missingField(message: message, field: name, id: id) }
        return value
    }

    /// Throws `invalidValue` for this message and field.
    public func invalid(_ name: String, _ reason: String) -> WireError {
        .invalidValue(message: message, field: name, reason: reason)
    }

    private func single(_ id: UInt16, _ name: String, _ type: WireType) throws(WireError) -> Entry? {
        var found: Entry?
        for e in entries where e.id == id {
            if found != nil { throw .duplicateField(message: message, field: name) }
            found = e
        }
        guard let found else { return nil }
        try check(found, name, type)
        return found
    }

    private func check(_ e: Entry, _ name: String, _ type: WireType) throws(WireError) {
        guard e.type == type else { throw .wrongWireType(message: message, field: name, expected: type, got: e.type) }
        if let fixed = type.fixedLength, e.count != fixed {
            throw .badFieldLength(message: message, field: name, length: e.count)
        }
        if type == .array32, e.count % 4 != 0 { throw .badFieldLength(message: message, field: name, length: e.count) }
    }

    private func slice(_ e: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: raw[e.start ..< e.start + e.count])
    }

    // One bulk copy into the new array; the count was bounded by the parsed length (§5.3).
    private func array32<T: BitwiseCopyable>(_ id: UInt16, _ name: String) throws(WireError) -> [T]? {
        guard let e = try single(id, name, .array32) else { return nil }
        let n = e.count / 4
        let src = slice(e)
        return [T](unsafeUninitializedCapacity: n) { buf, initialized in
            let dst = UnsafeMutableRawBufferPointer(buf)
            if n > 0 { dst.copyMemory(from: src) }
            #if _endian(big)
            for k in 0 ..< n {
                let v = dst.load(fromByteOffset: k * 4, as: UInt32.self)
                dst.storeBytes(of: v.byteSwapped, toByteOffset: k * 4, as: UInt32.self)
            }
            #endif
            initialized = n
        }
    }
}
