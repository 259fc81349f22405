// Work distribution messages (proto/PROTOCOL.md §6.4): Lease → LeaseGrant of WorkUnits.
// A work unit is one prompt to be sampled G times with a given policy version before
// its deadline.

/// Worker → learner (`/Lease`): ask for up to `maxPrompts` prompts.
package struct LeaseRequest: WireMessage {
    package static let kind = MessageKind.leaseRequest
    package var workerId: UInt64
    /// Upper bound on work units in the grant (≥ 1).
    package var maxPrompts: UInt32
    /// Policy version the worker holds right now.
    package var currentVersion: UInt64

    package init(workerId: UInt64, maxPrompts: UInt32, currentVersion: UInt64) {
        self.workerId = workerId
        self.maxPrompts = maxPrompts
        self.currentVersion = currentVersion
    }

    package func encodeFields(into w: inout FieldWriter) {
        w.u64(1, workerId)
        w.u32(2, maxPrompts)
        w.u64(3, currentVersion)
    }

    package init(fields r: FieldReader) throws(WireError) {
        workerId = try r.u64(1, "workerId")
        maxPrompts = try r.u32(2, "maxPrompts")
        guard maxPrompts >= 1 else { throw r.invalid("maxPrompts", "must be at least 1, got 0") }
        currentVersion = try r.u64(3, "currentVersion")
    }
}

/// One leased prompt (nested in `LeaseGrant`, field 1, repeated).
package struct WorkUnit: WireFields {
    /// Unique per issue: a re-issued prompt gets a new lease id.
    package var leaseId: UInt64
    /// Index of the prompt in the learner's prompt stream (the task regenerates it from this).
    package var promptIndex: UInt64
    package var promptTokens: [Int32]
    package var groupSize: UInt32
    package var temperature: Float
    /// 0 disables top-k.
    package var topK: UInt32
    package var maxCompletionTokens: UInt32
    /// Policy version to sample with.
    package var policyVersion: UInt64
    /// Submit before this instant (Unix time, milliseconds) or the lease may be re-issued.
    package var deadlineUnixMs: UInt64

    package init(leaseId: UInt64, promptIndex: UInt64, promptTokens: [Int32], groupSize: UInt32, temperature: Float,
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

    package func encodeFields(into w: inout FieldWriter) {
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

    package init(fields r: FieldReader) throws(WireError) {
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
package struct LeaseGrant: WireMessage {
    package static let kind = MessageKind.leaseGrant
    package var units: [WorkUnit]
    /// Suggested wait before the next `/Lease`; present when `units` is empty.
    package var retryAfterMs: UInt32?

    package init(units: [WorkUnit], retryAfterMs: UInt32? = nil) {
        self.units = units
        self.retryAfterMs = retryAfterMs
    }

    package func encodeFields(into w: inout FieldWriter) {
        for u in units { w.message(1, u) }
        if let retryAfterMs { w.u32(2, retryAfterMs) }
    }

    package init(fields r: FieldReader) throws(WireError) {
        units = try r.messages(1, "units")
        retryAfterMs = try r.u32IfPresent(2, "retryAfterMs")
    }
}
