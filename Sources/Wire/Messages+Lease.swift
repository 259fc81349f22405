// Work distribution messages (proto/PROTOCOL.md §6.4): Lease → LeaseGrant of WorkUnits.
// A work unit is one prompt to be sampled G times with a given policy version before
// its deadline.

/// Worker → learner (`/Lease`): ask for up to `maxPrompts` prompts.
public struct LeaseRequest: WireMessage {
    public static let kind = MessageKind.leaseRequest
    public var workerId: UInt64
    /// Upper bound on work units in the grant (≥ 1).
    public var maxPrompts: UInt32
    /// Policy version the worker holds right now.
    public var currentVersion: UInt64

    public init(workerId: UInt64, maxPrompts: UInt32, currentVersion: UInt64) {
        self.workerId = workerId
        self.maxPrompts = maxPrompts
        self.currentVersion = currentVersion
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, workerId)
        w.u32(2, maxPrompts)
        w.u64(3, currentVersion)
    }

    public init(fields r: FieldReader) throws(WireError) {
        workerId = try r.u64(1, "workerId")
        maxPrompts = try r.u32(2, "maxPrompts")
        guard maxPrompts >= 1 else { throw r.invalid("maxPrompts", "must be at least 1, got 0") }
        currentVersion = try r.u64(3, "currentVersion")
    }
}

/// One leased prompt (nested in `LeaseGrant`, field 1, repeated).
public struct WorkUnit: WireFields {
    /// Unique per issue: a re-issued prompt gets a new lease id.
    public var leaseId: UInt64
    /// Index of the prompt in the learner's prompt stream (the task regenerates it from this).
    public var promptIndex: UInt64
    public var promptTokens: [Int32]
    public var groupSize: UInt32
    public var temperature: Float
    /// 0 disables top-k.
    public var topK: UInt32
    public var maxCompletionTokens: UInt32
    /// Policy version to sample with.
    public var policyVersion: UInt64
    /// Submit before this instant (Unix time, milliseconds) or the lease may be re-issued.
    public var deadlineUnixMs: UInt64

    public init(leaseId: UInt64, promptIndex: UInt64, promptTokens: [Int32], groupSize: UInt32, temperature: Float,
                topK: UInt32, maxCompletionTokens: UInt32, policyVersion: UInt64, deadlineUnixMs: UInt64) {
        self.leaseId = leaseId
        self.promptIndex = promptIndex
        self.promptTokens = promptTokens
        self.groupSize = groupSize
        self.temperature = temperature
        self.topK = topK
        self.maxCompletionTokens = maxCompletionTokens
        self.policyVersion = policyVersion
        self.deadlineUnixMs = deadlineUnixMs
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, leaseId)
        w.u64(2, promptIndex)
        w.int32s(3, promptTokens)
        w.u32(4, groupSize)
        w.f32(5, temperature)
        w.u32(6, topK)
        w.u32(7, maxCompletionTokens)
        w.u64(8, policyVersion)
        w.u64(9, deadlineUnixMs)
    }

    public init(fields r: FieldReader) throws(WireError) {
        leaseId = try r.u64(1, "leaseId")
        promptIndex = try r.u64(2, "promptIndex")
        promptTokens = try r.int32s(3, "promptTokens")
        groupSize = try r.u32(4, "groupSize")
        temperature = try r.f32(5, "temperature")
        topK = try r.u32(6, "topK")
        maxCompletionTokens = try r.u32(7, "maxCompletionTokens")
        policyVersion = try r.u64(8, "policyVersion")
        deadlineUnixMs = try r.u64(9, "deadlineUnixMs")
    }
}

/// Learner → worker: the leased prompts. Empty `units` means nothing is available now;
/// `retryAfterMs` then says when to ask again.
public struct LeaseGrant: WireMessage {
    public static let kind = MessageKind.leaseGrant
    public var units: [WorkUnit]
    /// Suggested wait before the next `/Lease`; present when `units` is empty.
    public var retryAfterMs: UInt32?

    public init(units: [WorkUnit], retryAfterMs: UInt32? = nil) {
        self.units = units
        self.retryAfterMs = retryAfterMs
    }

    public func encodeFields(into w: inout FieldWriter) {
        for u in units { w.message(1, u) }
        if let retryAfterMs { w.u32(2, retryAfterMs) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        units = try r.messages(1, "units")
        retryAfterMs = try r.u32IfPresent(2, "retryAfterMs")
    }
}
