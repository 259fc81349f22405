// The binary codec's shared vocabulary (proto/PROTOCOL.md §5): message kinds, wire
// types, decode errors and the `WireMessage` protocol. A message is
// `kind u16 | schema u16 | field*`, a field is `id u16 | wireType u8 | length u32 | value`,
// all little-endian. Unknown field ids are skipped, which is what makes old peers
// accept messages from newer ones.

/// Which message a payload holds (first two bytes of every message).
public enum MessageKind: UInt16, Sendable, CaseIterable {
    case registerRequest = 1
    case welcome = 2
    case watchRequest = 3
    case policyAnnouncement = 4
    case fetchPolicyRequest = 5
    case policyChunk = 6
    case leaseRequest = 7
    case leaseGrant = 8
    case trajectoryGroup = 9
    case submitAck = 10
    case goodbye = 11
    case statusEnvelope = 12

    /// The Swift type that encodes and decodes this kind.
    public var messageType: any WireMessage.Type {
        switch self {
        case .registerRequest: RegisterRequest.self
        case .welcome: Welcome.self
        case .watchRequest: WatchRequest.self
        case .policyAnnouncement: PolicyAnnouncement.self
        case .fetchPolicyRequest: FetchPolicyRequest.self
        case .policyChunk: PolicyChunk.self
        case .leaseRequest: LeaseRequest.self
        case .leaseGrant: LeaseGrant.self
        case .trajectoryGroup: TrajectoryGroup.self
        case .submitAck: SubmitAck.self
        case .goodbye: Goodbye.self
        case .statusEnvelope: StatusEnvelope.self
        }
    }
}

/// How a field's value is laid out. The length in the field header is always present, so
/// a field with an unknown id can be skipped whatever its type; a wire type outside this
/// table is an error (new wire types require a new protocol version).
public enum WireType: UInt8, Sendable, CaseIterable {
    /// 1 byte: u8, bool (0/1), small enums.
    case fixed8 = 1
    /// 2 bytes little-endian: u16.
    case fixed16 = 2
    /// 4 bytes little-endian: u32, f32 (IEEE 754 binary32).
    case fixed32 = 3
    /// 8 bytes little-endian: u64.
    case fixed64 = 4
    /// Any number of bytes: UTF-8 strings, raw bytes, u8/bool arrays.
    case bytes = 5
    /// A multiple of 4 bytes: packed little-endian i32 / u32 / f32 array, stored contiguously.
    case array32 = 6
    /// A nested field sequence (no kind/schema header). Repeated fields repeat the field id.
    case message = 7

    /// Exact value length for fixed types, nil for variable ones.
    public var fixedLength: Int? {
        switch self {
        case .fixed8: 1
        case .fixed16: 2
        case .fixed32: 4
        case .fixed64: 8
        case .bytes, .array32, .message: nil
        }
    }
}

/// Every way decoding can fail. Each case names the message and, where there is one, the
/// field, so a log line says exactly what was wrong. Decoding never traps.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Input ended early: `need` bytes were required at `offset`, only `have` remained.
    case truncated(message: String, offset: Int, need: Int, have: Int)
    /// The payload's kind is not the one expected on this stream.
    case wrongKind(expected: MessageKind, got: UInt16)
    /// Schema version 0 is never valid.
    case invalidSchemaVersion(message: String, version: UInt16)
    /// Field id 0 is reserved.
    case invalidFieldID(message: String, offset: Int)
    /// The wire type byte is not one of `WireType`.
    case unknownWireType(message: String, fieldID: UInt16, wireType: UInt8)
    /// A known field arrived with a different wire type than the schema says.
    case wrongWireType(message: String, field: String, expected: WireType, got: WireType)
    /// A fixed-width field's length differs from its width, or an array32 length is not a multiple of 4.
    case badFieldLength(message: String, field: String, length: Int)
    /// A non-repeated field appeared twice.
    case duplicateField(message: String, field: String)
    /// A required field is absent.
    case missingField(message: String, field: String, id: UInt16)
    /// A string field is not valid UTF-8.
    case invalidUTF8(message: String, field: String)
    /// The value is well-formed but not allowed (explained in `reason`).
    case invalidValue(message: String, field: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(m, off, need, have):
            return "\(m): truncated at byte \(off): need \(need) bytes, \(have) left"
        case let .wrongKind(expected, got):
            return "expected a \(expected) message (kind \(expected.rawValue)), got kind \(got)"
        case let .invalidSchemaVersion(m, v):
            return "\(m): invalid schema version \(v)"
        case let .invalidFieldID(m, off):
            return "\(m): field id 0 at byte \(off) is reserved"
        case let .unknownWireType(m, id, t):
            return "\(m): field \(id) has unknown wire type \(t)"
        case let .wrongWireType(m, f, e, g):
            return "\(m).\(f): wire type \(g) where \(e) is required"
        case let .badFieldLength(m, f, len):
            return "\(m).\(f): invalid length \(len) for its wire type"
        case let .duplicateField(m, f):
            return "\(m).\(f): field appears more than once"
        case let .missingField(m, f, id):
            return "\(m): required field '\(f)' (id \(id)) is missing"
        case let .invalidUTF8(m, f):
            return "\(m).\(f): not valid UTF-8"
        case let .invalidValue(m, f, r):
            return "\(m).\(f): \(r)"
        }
    }
}

/// A struct that encodes as a field sequence (a top-level message or a nested one).
public protocol WireFields: Sendable, Equatable {
    /// Name used in error messages, e.g. "WorkUnit".
    static var wireName: String { get }
    /// Appends the fields in ascending id order (the canonical encoding).
    func encodeFields(into writer: inout FieldWriter)
    /// Reads the fields; unknown ids were already skipped by the reader.
    init(fields reader: FieldReader) throws(WireError)
}

/// A top-level protocol message: `kind u16 | schema u16 | fields`.
public protocol WireMessage: WireFields {
    static var kind: MessageKind { get }
    /// Schema version this implementation writes (bumped when fields are added).
    static var schemaVersion: UInt16 { get }
}

extension WireFields {
    public static var wireName: String { String(describing: Self.self) }
}

extension WireMessage {
    public static var schemaVersion: UInt16 { 1 }

    /// The canonical encoding (header + fields in ascending id order).
    public func encoded() -> [UInt8] {
        var w = FieldWriter()
        w.header(kind: Self.kind, schemaVersion: Self.schemaVersion)
        encodeFields(into: &w)
        return w.bytes
    }

    /// Encoding wrapped in the 5-byte frame prefix; throws if it exceeds `maxMessageBytes`.
    public func framed(maxMessageBytes: Int, flags: FrameFlags = []) throws(FramingError) -> [UInt8] {
        try Framer.frame(encoded(), flags: flags, maxMessageBytes: maxMessageBytes)
    }

    /// Decodes a payload that must hold this message kind.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Self {
        var result: Result<Self, WireError> = .failure(.truncated(message: wireName, offset: 0, need: 4, have: 0))
        bytes.withUnsafeBytes { raw in
            do throws(WireError) { result = .success(try decode(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Decodes from raw memory (the bytes are copied out; `raw` need not outlive the call).
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(WireError) -> Self {
        let header = try MessageHeader(raw)
        guard header.kind == kind.rawValue else { throw .wrongKind(expected: kind, got: header.kind) }
        if header.schemaVersion == 0 { throw .invalidSchemaVersion(message: wireName, version: 0) }
        let reader = try FieldReader(raw, from: 4, message: wireName)
        return try Self(fields: reader)
    }
}

/// The 4-byte header of every message.
public struct MessageHeader: Sendable, Equatable {
    public var kind: UInt16
    public var schemaVersion: UInt16
    /// Reads the header; throws `truncated` on fewer than 4 bytes.
    public init(_ raw: UnsafeRawBufferPointer) throws(WireError) {
        guard raw.count >= 4 else { throw .truncated(message: "message header", offset: 0, need: 4, have: raw.count) }
        kind = UInt16(raw[0]) | UInt16(raw[1]) << 8
        schemaVersion = UInt16(raw[2]) | UInt16(raw[3]) << 8
    }
}

/// Decodes any message kind (for tools, logs and fuzzing).
public func decodeAnyMessage(_ raw: UnsafeRawBufferPointer) throws(WireError) -> any WireMessage {
    let header = try MessageHeader(raw)
    guard let kind = MessageKind(rawValue: header.kind) else {
        throw .invalidValue(message: "message header", field: "kind", reason: "unknown message kind \(header.kind)")
    }
    return try kind.messageType.decode(raw)
}
