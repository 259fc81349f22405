// RPC status codes and their HTTP/2 trailer encoding (proto/PROTOCOL.md §7):
// `tributary-status` (decimal code) and `tributary-message` (percent-encoded UTF-8).
// Codes follow gRPC's numbering so operators can read them with existing habits.

/// Final status of an RPC. Numeric codes are gRPC's (PROTOCOL.md §7.1).
public enum WireStatus: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case ok = 0
    case cancelled = 1
    /// Also what any code this version does not know decodes to.
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    /// Maps any numeric code; codes this version does not know become `.unknown`.
    public init(code: UInt32) { self = WireStatus(rawValue: code) ?? .unknown }

    public var description: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internal: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }
}

/// A status plus its human-readable message, as carried in trailers or a `StatusEnvelope`.
public struct RPCStatus: Sendable, Equatable, Error, CustomStringConvertible {
    public var code: WireStatus
    public var message: String
    public init(_ code: WireStatus, _ message: String = "") {
        self.code = code
        self.message = message
    }
    public static let ok = RPCStatus(.ok)
    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}

/// Errors reading status trailers.
public enum TrailerError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingStatus
    case malformedStatus(String)
    public var description: String {
        switch self {
        case .missingStatus: "response trailers carry no tributary-status field"
        case .malformedStatus(let v): "tributary-status value '\(v)' is not a decimal code"
        }
    }
}

/// Trailer names, the content type and the encode/decode helpers.
public enum StatusTrailers {
    public static let statusName = "tributary-status"
    public static let messageName = "tributary-message"

    /// Trailer fields for `status`: always `tributary-status`; `tributary-message` only when
    /// the message is not empty. Names are lower case as HTTP/2 requires.
    public static func fields(for status: RPCStatus) -> [(name: String, value: String)] {
        var out = [(name: statusName, value: String(status.code.rawValue))]
        if !status.message.isEmpty { out.append((name: messageName, value: percentEncode(status.message))) }
        return out
    }

    /// Reads the status from a header/trailer list (names compared case-insensitively).
    /// An unknown numeric code yields `.unknown`; a missing or non-numeric code throws.
    public static func status(from fields: [(name: String, value: String)]) throws(TrailerError) -> RPCStatus {
        var code: String?
        var message = ""
        for f in fields {
            switch f.name.lowercased() {
            case statusName: code = f.value
            case messageName: message = percentDecode(f.value)
            default: continue
            }
        }
        guard let code else { throw .missingStatus }
        guard !code.isEmpty, code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt32(code) else {
            throw .malformedStatus(code)
        }
        return RPCStatus(WireStatus(code: n), message)
    }

    /// Percent-encodes the UTF-8 bytes of `text`: bytes 0x20…0x7E except `%` pass through,
    /// every other byte becomes `%XX` (upper-case hex). The result is a valid header value.
    public static func percentEncode(_ text: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            if b >= 0x20 && b <= 0x7E && b != 0x25 {
                out.append(b)
            } else {
                out.append(0x25); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Inverse of `percentEncode`, lenient as a status decoder must be: a `%` not followed
    /// by two hex digits is kept literally, and invalid UTF-8 becomes U+FFFD. Never throws.
    public static func percentDecode(_ value: String) -> String {
        let src = Array(value.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(src.count)
        var i = 0
        while i < src.count {
            if src[i] == 0x25, i + 2 < src.count,
               let hi = hexValue(src[i + 1]), let lo = hexValue(src[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(src[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
