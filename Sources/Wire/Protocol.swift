// Protocol-wide constants (proto/PROTOCOL.md §2, §3, §9): version, content type,
// the RPC table (paths, streaming shape, per-direction message limits) and the
// application-level reasons a submitted trajectory group can be rejected.

/// Protocol constants.
public enum WireProtocol {
    /// Protocol version sent in `RegisterRequest` and `Welcome`.
    public static let version: UInt16 = 1
    /// Required `content-type` of every RPC request and response (else HTTP 415).
    public static let contentType = "application/x-tributary-v1"
    /// Path prefix of every RPC.
    public static let pathPrefix = "/tributary.v1/"
    /// Limit for control messages (requests, announcements, acks): 64 KiB.
    public static let maxControlMessageBytes = 64 * 1024
    /// Limit for bulk messages (policy chunks, lease grants, trajectory groups): 1 MiB.
    public static let maxBulkMessageBytes = 1024 * 1024
    /// Largest `PolicyChunk.data`: 1 MiB − 4 KiB, so a chunk plus its fields fits the bulk limit.
    public static let maxPolicyChunkDataBytes = 1024 * 1024 - 4096
    /// Length of a SHA-256 digest.
    public static let digestBytes = 32
}

/// The RPCs. Every one is `POST <pathPrefix><name>` with `content-type: application/x-tributary-v1`.
public enum RPCMethod: String, Sendable, CaseIterable {
    case register = "Register"
    case watch = "Watch"
    case fetchPolicy = "FetchPolicy"
    case lease = "Lease"
    case submit = "Submit"
    case goodbye = "Goodbye"

    /// How many messages flow each way.
    public enum Shape: Sendable, Equatable {
        /// One request message, one response message.
        case unary
        /// One request message, any number of response messages.
        case serverStreaming
        /// Any number of request messages, any number of response messages, interleaved.
        case bidirectional
        /// One request message, no response message (status only).
        case unaryNoResponse
    }

    /// `:path` of the RPC, e.g. `/tributary.v1/Register`.
    public var path: String { WireProtocol.pathPrefix + rawValue }

    /// Looks a method up by its `:path`; nil for an unknown path (status `unimplemented`).
    public init?(path: String) {
        guard path.hasPrefix(WireProtocol.pathPrefix) else { return nil }
        self.init(rawValue: String(path.dropFirst(WireProtocol.pathPrefix.count)))
    }

    public var shape: Shape {
        switch self {
        case .register, .lease: .unary
        case .watch, .fetchPolicy: .serverStreaming
        case .submit: .bidirectional
        case .goodbye: .unaryNoResponse
        }
    }

    /// Message kind the client sends.
    public var requestKind: MessageKind {
        switch self {
        case .register: .registerRequest
        case .watch: .watchRequest
        case .fetchPolicy: .fetchPolicyRequest
        case .lease: .leaseRequest
        case .submit: .trajectoryGroup
        case .goodbye: .goodbye
        }
    }

    /// Message kind the server sends (nil: none).
    public var responseKind: MessageKind? {
        switch self {
        case .register: .welcome
        case .watch: .policyAnnouncement
        case .fetchPolicy: .policyChunk
        case .lease: .leaseGrant
        case .submit: .submitAck
        case .goodbye: nil
        }
    }

    /// Maximum payload of one request message (the server's `Deframer` limit).
    public var maxRequestBytes: Int {
        self == .submit ? WireProtocol.maxBulkMessageBytes : WireProtocol.maxControlMessageBytes
    }

    /// A deframer for the request stream (server side) with this method's limit.
    public func requestDeframer() -> Deframer { Deframer(maxMessageBytes: maxRequestBytes) }

    /// A deframer for the response stream (client side) with this method's limit.
    public func responseDeframer() -> Deframer { Deframer(maxMessageBytes: maxResponseBytes) }

    /// Maximum payload of one response message (the client's `Deframer` limit).
    public var maxResponseBytes: Int {
        switch self {
        case .fetchPolicy, .lease: WireProtocol.maxBulkMessageBytes
        default: WireProtocol.maxControlMessageBytes
        }
    }
}

/// Why the learner rejected one trajectory group (`SubmitAck.reason`, PROTOCOL.md §8).
/// A struct over the numeric code rather than an enum, so a worker keeps working when a
/// newer learner sends a code it does not know (`name` is then `"unrecognized(N)"`).
public struct RejectionReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// No lease with this id was ever issued (or it was forgotten after a learner restart).
    public static let unknownLease = RejectionReason(rawValue: 1)
    /// A group for this lease was already accepted; the duplicate is ignored. Not an error
    /// for the worker: its work counted once.
    public static let duplicateLease = RejectionReason(rawValue: 2)
    /// The lease expired and was re-issued to another worker before this group arrived.
    public static let leaseReissued = RejectionReason(rawValue: 3)
    /// The lease belongs to a different worker id.
    public static let wrongWorker = RejectionReason(rawValue: 4)
    /// Learner version − group's policy version exceeds the staleness cap.
    public static let staleBeyondCap = RejectionReason(rawValue: 5)
    /// The group claims a policy version the learner has not published yet.
    public static let versionFromFuture = RejectionReason(rawValue: 6)
    /// Prompt index or prompt tokens do not match the lease.
    public static let promptMismatch = RejectionReason(rawValue: 7)
    /// Number of samples differs from the lease's group size.
    public static let wrongGroupSize = RejectionReason(rawValue: 8)
    /// A completion is empty or longer than the lease's max completion tokens.
    public static let badShape = RejectionReason(rawValue: 9)
    /// A token id is negative or ≥ vocabulary size.
    public static let tokenOutOfVocabulary = RejectionReason(rawValue: 10)
    /// A log-prob or reward is NaN/±inf, or a log-prob is > 0.
    public static let nonFiniteValue = RejectionReason(rawValue: 11)
    /// The learner's buffer is full; retry the same group later (the lease stays valid).
    public static let bufferFull = RejectionReason(rawValue: 12)
    /// The learner is shutting down; the lease will be re-issued after restart.
    public static let shuttingDown = RejectionReason(rawValue: 13)

    /// Every reason this version defines, in code order.
    public static let known: [RejectionReason] = [
        .unknownLease, .duplicateLease, .leaseReissued, .wrongWorker, .staleBeyondCap, .versionFromFuture,
        .promptMismatch, .wrongGroupSize, .badShape, .tokenOutOfVocabulary, .nonFiniteValue, .bufferFull,
        .shuttingDown,
    ]

    /// snake_case name used in logs, metrics labels and PROTOCOL.md.
    public var name: String {
        switch rawValue {
        case 1: "unknown_lease"
        case 2: "duplicate_lease"
        case 3: "lease_reissued"
        case 4: "wrong_worker"
        case 5: "stale_beyond_cap"
        case 6: "version_from_future"
        case 7: "prompt_mismatch"
        case 8: "wrong_group_size"
        case 9: "bad_shape"
        case 10: "token_out_of_vocabulary"
        case 11: "non_finite_value"
        case 12: "buffer_full"
        case 13: "shutting_down"
        default: "unrecognized(\(rawValue))"
        }
    }

    /// True when resubmitting the same group later can succeed.
    public var isRetryable: Bool { self == .bufferFull }

    public var description: String { name }
}
