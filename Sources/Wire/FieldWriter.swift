// Encoder half of the codec (proto/PROTOCOL.md §5): appends tagged, length-prefixed
// little-endian fields to a byte array. Bulk arrays are appended with one memory copy
// on little-endian hosts.

/// Builds a message's bytes. Call the field methods in ascending id order.
public struct FieldWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    /// Writes the 4-byte message header.
    public mutating func header(kind: MessageKind, schemaVersion: UInt16) {
        le16(kind.rawValue)
        le16(schemaVersion)
    }

    public mutating func u8(_ id: UInt16, _ value: UInt8) {
        fieldHeader(id, .fixed8, 1)
        bytes.append(value)
    }

    public mutating func bool(_ id: UInt16, _ value: Bool) { u8(id, value ? 1 : 0) }

    public mutating func u16(_ id: UInt16, _ value: UInt16) {
        fieldHeader(id, .fixed16, 2)
        le16(value)
    }

    public mutating func u32(_ id: UInt16, _ value: UInt32) {
        fieldHeader(id, .fixed32, 4)
        le32(value)
    }

    public mutating func f32(_ id: UInt16, _ value: Float) { fieldHeader(id, .fixed32, 4); le32(value.bitPattern) }

    public mutating func u64(_ id: UInt16, _ value: UInt64) {
        fieldHeader(id, .fixed64, 8)
        for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(s))) }
    }

    /// UTF-8 string (no terminator; the field length is the byte count).
    public mutating func string(_ id: UInt16, _ value: String) {
        var v = value
        v.withUTF8 { raw in
            fieldHeader(id, .bytes, raw.count)
            bytes.append(contentsOf: raw)
        }
    }

    public mutating func bytes(_ id: UInt16, _ value: [UInt8]) {
        fieldHeader(id, .bytes, value.count)
        bytes.append(contentsOf: value)
    }

    /// Packed Int32 array (token ids).
    public mutating func int32s(_ id: UInt16, _ values: [Int32]) { array32(id, values) }
    /// Packed UInt32 array (lengths).
    public mutating func uint32s(_ id: UInt16, _ values: [UInt32]) { array32(id, values) }
    /// Packed Float32 array (log-probs, rewards).
    public mutating func float32s(_ id: UInt16, _ values: [Float]) { array32(id, values) }

    /// A nested field sequence; for a repeated field call this once per element.
    public mutating func message<T: WireFields>(_ id: UInt16, _ value: T) {
        fieldHeader(id, .message, 0)
        let lengthAt = bytes.count - 4
        let start = bytes.count
        value.encodeFields(into: &self)
        patch32(at: lengthAt, UInt32(bytes.count - start))
    }

    /// Appends a field with an arbitrary id, wire type byte and raw value. For tests of
    /// forward compatibility and error paths; real messages use the typed methods.
    public mutating func rawField(_ id: UInt16, wireType: UInt8, value: [UInt8]) {
        le16(id)
        bytes.append(wireType)
        le32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    // Bulk copy: the array's memory is already little-endian on LE hosts (PROTOCOL.md §5.3).
    private mutating func array32<T: BitwiseCopyable>(_ id: UInt16, _ values: [T]) {
        precondition(MemoryLayout<T>.size == 4)
        fieldHeader(id, .array32, values.count * 4)
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        values.withUnsafeBytes { raw in
            for e in 0 ..< values.count { for k in (0 ..< 4).reversed() { bytes.append(raw[e * 4 + k]) } }
        }
        #endif
    }

    private mutating func fieldHeader(_ id: UInt16, _ type: WireType, _ length: Int) {
        precondition(id != 0, "field id 0 is reserved")
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "field too long")
        le16(id)
        bytes.append(type.rawValue)
        le32(UInt32(length))
    }

    private mutating func le16(_ v: UInt16) {
        bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8))
    }

    private mutating func le32(_ v: UInt32) {
        bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8((v >> 8) & 0xFF))
        bytes.append(UInt8((v >> 16) & 0xFF)); bytes.append(UInt8(v >> 24))
    }

    private mutating func patch32(at i: Int, _ v: UInt32) {
        bytes[i] = UInt8(v & 0xFF); bytes[i + 1] = UInt8((v >> 8) & 0xFF)
        bytes[i + 2] = UInt8((v >> 16) & 0xFF); bytes[i + 3] = UInt8(v >> 24)
    }
}
