// Trajectory submission messages (proto/PROTOCOL.md §6.5): the worker streams
// TrajectoryGroups on `/Submit`, the learner answers one SubmitAck per group. A group
// is stored flat (per-sample lengths + concatenated tokens and log-probs) so it decodes
// with one bulk copy per array (ALGORITHMS.md §1.1 lists what must be shipped). Schema 2
// adds each sample's reward components: their labels once per group, then a value and a
// failure code per (sample, component), sample-major. Schema 3 adds the reference channel
// (PROTOCOL.md §6.5.3): the task's demonstration completion for the prompt, and how many of
// the prompt's last tokens are a GHPO hint.

/// Why a completion stopped, as the protocol codes it (the in-process type is `Policy.FinishReason`;
/// Sources/Rollout/WireMapping.swift maps between them).
public enum FinishCode: UInt8, Sendable, CaseIterable {
    /// The model emitted the end token (or a task stop sequence).
    case end = 1
    /// The completion hit `maxCompletionTokens`.
    case length = 2
    /// Sampling failed for this completion (it still counts as a sample; reward as the task says).
    case error = 3
}

/// One completion of a group, as a convenient per-sample view.
public struct Sample: Sendable, Equatable {
    public var tokens: [Int32]
    /// log μ(y_t | …) under the behaviour policy, one per token.
    public var logProbs: [Float]
    public var reward: Float
    public var correct: Bool
    public var finishReason: FinishCode
    /// The value of each reward component (in the group's `rewardComponents` order); empty
    /// when the task has no composite reward.
    public var components: [Float]
    /// Per component: 0 when it scored, else the failure code (`RewardFailureCode`).
    public var componentFailures: [UInt8]

    public init(tokens: [Int32], logProbs: [Float], reward: Float, correct: Bool, finishReason: FinishCode,
                components: [Float] = [], componentFailures: [UInt8] = []) {
        precondition(tokens.count == logProbs.count, "one log-prob per token")
        self.tokens = tokens
        self.logProbs = logProbs
        self.reward = reward
        self.correct = correct
        self.finishReason = finishReason
        self.components = components
        self.componentFailures = componentFailures.isEmpty ? Array(repeating: 0, count: components.count) : componentFailures
    }
}

/// Failure codes of `TrajectoryGroup.componentFailures` (PROTOCOL.md §6.5.2): why a reward
/// component could not score a sample. Receivers accept codes they do not know.
public enum RewardFailureCode {
    /// Code → name, as `/metrics` labels them (`kind`). Code 0 means "scored".
    public static let names: [UInt8: String] = [
        1: "row_error", 2: "non_finite", 3: "launch_failed", 4: "timeout", 5: "crashed", 6: "garbage",
        7: "wrong_count", 8: "bad_id", 9: "verifier_error", 10: "http_status", 11: "unreachable",
    ]

    /// The code of a failure kind's name (nil for a name without a code).
    public static func code(of name: String) -> UInt8? { names.first { $0.value == name }?.key }

    /// The name of a code; unknown codes are `code_N`.
    public static func name(of code: UInt8) -> String { names[code] ?? "code_\(code)" }
}

/// Worker → learner on `/Submit`: the G samples of one leased prompt.
public struct TrajectoryGroup: WireMessage {
    public static let kind = MessageKind.trajectoryGroup
    /// 2 since the reward-component fields 12–14 were added, 3 since the reference channel
    /// (fields 15–16).
    public static var schemaVersion: UInt16 { 3 }
    public var leaseId: UInt64
    public var promptIndex: UInt64
    public var promptTokens: [Int32]
    /// Behaviour policy version v_b that generated every sample.
    public var policyVersion: UInt64
    public var workerId: UInt64
    /// Tokens per sample (count = G). Invariant: sum == completionTokens.count == logProbs.count.
    public private(set) var completionLengths: [UInt32]
    /// All samples' tokens, concatenated in sample order.
    public private(set) var completionTokens: [Int32]
    /// All samples' behaviour log-probs, aligned with `completionTokens`.
    public private(set) var logProbs: [Float]
    public private(set) var rewards: [Float]
    public private(set) var correct: [Bool]
    public private(set) var finishReasons: [FinishCode]
    /// Labels of the task's reward components (C of them; empty: no composite reward).
    public private(set) var rewardComponents: [String]
    /// G·C values, sample-major: sample i's component c at `i·C + c`. Empty when C = 0.
    public private(set) var componentValues: [Float]
    /// G·C failure codes in the same order (0 = scored). Empty when C = 0.
    public private(set) var componentFailures: [UInt8]
    /// The task's reference (demonstration) completion for this prompt: answer tokens and the end
    /// token (field 15, schema 3). Empty: the worker has none (or is older).
    public var referenceTokens: [Int32]
    /// How many of the last `promptTokens` are a hint the worker appended to the work unit's
    /// prompt (GHPO guidance; field 16, schema 3). 0 = the plain prompt; ≤ `promptTokens.count`.
    public private(set) var hintTokens: UInt32

    /// Every sample must carry one value per label of `rewardComponents`.
    /// `hintTokens` must not exceed `promptTokens.count` (the last `hintTokens` prompt tokens are the hint).
    public init(leaseId: UInt64, promptIndex: UInt64, promptTokens: [Int32], policyVersion: UInt64,
                workerId: UInt64, samples: [Sample], rewardComponents: [String] = [],
                referenceTokens: [Int32] = [], hintTokens: UInt32 = 0) {
        precondition(Int(hintTokens) <= promptTokens.count, "the hint is part of the prompt")
        self.referenceTokens = referenceTokens
        self.hintTokens = hintTokens
        self.leaseId = leaseId
        self.promptIndex = promptIndex
        self.promptTokens = promptTokens
        self.policyVersion = policyVersion
        self.workerId = workerId
        completionLengths = samples.map { UInt32($0.tokens.count) }
        let total = samples.reduce(0) { $0 + $1.tokens.count }
        completionTokens = []
        completionTokens.reserveCapacity(total)
        logProbs = []
        logProbs.reserveCapacity(total)
        for s in samples {
            completionTokens.append(contentsOf: s.tokens)
            logProbs.append(contentsOf: s.logProbs)
        }
        rewards = samples.map(\.reward)
        correct = samples.map(\.correct)
        finishReasons = samples.map(\.finishReason)
        precondition(samples.allSatisfy { $0.components.count == rewardComponents.count && $0.componentFailures.count == rewardComponents.count },
                     "one component value and failure code per label")
        self.rewardComponents = rewardComponents
        componentValues = samples.flatMap(\.components)
        componentFailures = samples.flatMap(\.componentFailures)
    }

    /// The work unit's prompt: `promptTokens` without the hint.
    public var leasedPromptTokens: ArraySlice<Int32> { promptTokens.dropLast(Int(hintTokens)) }

    /// Number of samples (G).
    public var sampleCount: Int { completionLengths.count }

    /// Start offset of each sample in the flat arrays, plus the total at the end (count G + 1).
    public var sampleOffsets: [Int] {
        var out = [0]
        out.reserveCapacity(sampleCount + 1)
        for n in completionLengths { out.append(out[out.count - 1] + Int(n)) }
        return out
    }

    /// The per-sample view (copies the sample's slices).
    public var samples: [Sample] {
        let off = sampleOffsets
        let c = rewardComponents.count
        return (0 ..< sampleCount).map { i in
            Sample(tokens: Array(completionTokens[off[i] ..< off[i + 1]]), logProbs: Array(logProbs[off[i] ..< off[i + 1]]),
                   reward: rewards[i], correct: correct[i], finishReason: finishReasons[i],
                   components: Array(componentValues[(i * c) ..< ((i + 1) * c)]),
                   componentFailures: Array(componentFailures[(i * c) ..< ((i + 1) * c)]))
        }
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, leaseId)
        w.u64(2, promptIndex)
        w.int32s(3, promptTokens)
        w.u64(4, policyVersion)
        w.u64(5, workerId)
        w.uint32s(6, completionLengths)
        w.int32s(7, completionTokens)
        w.float32s(8, logProbs)
        w.float32s(9, rewards)
        w.bytes(10, correct.map { $0 ? 1 : 0 })
        w.bytes(11, finishReasons.map(\.rawValue))
        if !rewardComponents.isEmpty {
            for label in rewardComponents { w.string(12, label) }
            w.float32s(13, componentValues)
            if componentFailures.contains(where: { $0 != 0 }) { w.bytes(14, componentFailures) }
        }
        // Schema 3: the reference channel (PROTOCOL.md §6.5.3), each omitted at its default.
        if !referenceTokens.isEmpty { w.int32s(15, referenceTokens) }
        if hintTokens != 0 { w.u32(16, hintTokens) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        leaseId = try r.u64(1, "leaseId")
        promptIndex = try r.u64(2, "promptIndex")
        promptTokens = try r.int32s(3, "promptTokens")
        policyVersion = try r.u64(4, "policyVersion")
        workerId = try r.u64(5, "workerId")
        completionLengths = try r.uint32s(6, "completionLengths")
        completionTokens = try r.int32s(7, "completionTokens")
        logProbs = try r.float32s(8, "logProbs")
        rewards = try r.float32s(9, "rewards")
        let correctBytes = try r.bytes(10, "correct")
        let finishBytes = try r.bytes(11, "finishReasons")
        // Structural consistency (PROTOCOL.md §6.5.1): violations are decode errors, not rejections.
        let g = completionLengths.count
        for (name, n) in [("rewards", rewards.count), ("correct", correctBytes.count), ("finishReasons", finishBytes.count)]
        where n != g {
            throw r.invalid(name, "has \(n) entries but completionLengths has \(g) samples")
        }
        var total: UInt64 = 0
        for n in completionLengths { total += UInt64(n) }   // < 2^30 entries · 2^32: cannot overflow
        guard total == UInt64(completionTokens.count) else {
            throw r.invalid("completionTokens", "has \(completionTokens.count) tokens but completionLengths sum to \(total)")
        }
        guard logProbs.count == completionTokens.count else {
            throw r.invalid("logProbs", "has \(logProbs.count) entries for \(completionTokens.count) tokens")
        }
        var flags: [Bool] = []
        flags.reserveCapacity(g)
        for b in correctBytes {
            guard b <= 1 else { throw r.invalid("correct", "entries must be 0 or 1, got \(b)") }
            flags.append(b == 1)
        }
        correct = flags
        var reasons: [FinishCode] = []
        reasons.reserveCapacity(g)
        for b in finishBytes {
            guard let f = FinishCode(rawValue: b) else { throw r.invalid("finishReasons", "unknown finish reason \(b)") }
            reasons.append(f)
        }
        finishReasons = reasons
        // Schema 2: reward components (PROTOCOL.md §6.5.2).
        rewardComponents = try r.strings(12, "rewardComponents")
        let c = rewardComponents.count
        let values = try r.float32sIfPresent(13, "componentValues")
        let failures = try r.bytesIfPresent(14, "componentFailures")
        if c == 0 {
            guard values == nil, failures == nil else {
                throw r.invalid("componentValues", "reward component values without rewardComponents labels")
            }
            componentValues = []; componentFailures = []
        } else {
            let values = try r.need(values, 13, "componentValues")
            guard values.count == g * c else {
                throw r.invalid("componentValues", "has \(values.count) entries for \(g) samples × \(c) components")
            }
            if let failures, failures.count != g * c {
                throw r.invalid("componentFailures", "has \(failures.count) entries for \(g) samples × \(c) components")
            }
            componentValues = values
            componentFailures = failures ?? Array(repeating: 0, count: g * c)
        }
        // Schema 3: the reference channel (PROTOCOL.md §6.5.3); absent = none.
        referenceTokens = try r.int32sIfPresent(15, "referenceTokens") ?? []
        hintTokens = try r.u32IfPresent(16, "hintTokens") ?? 0
        guard UInt64(hintTokens) <= UInt64(promptTokens.count) else {
            throw r.invalid("hintTokens", "is \(hintTokens) but the prompt has \(promptTokens.count) tokens")
        }
    }
}

/// Learner → worker on `/Submit`: the verdict on one group, in submission order.
public struct SubmitAck: WireMessage {
    public static let kind = MessageKind.submitAck

    public enum Outcome: Sendable, Equatable {
        case accepted
        case rejected(RejectionReason, message: String)
    }

    public var leaseId: UInt64
    public var outcome: Outcome
    /// Learner policy version when the group was processed.
    public var learnerVersion: UInt64
    /// Groups buffered for training after this one was processed.
    public var bufferedCount: UInt32

    public init(leaseId: UInt64, outcome: Outcome, learnerVersion: UInt64, bufferedCount: UInt32) {
        self.leaseId = leaseId
        self.outcome = outcome
        self.learnerVersion = learnerVersion
        self.bufferedCount = bufferedCount
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, leaseId)
        switch outcome {
        case .accepted:
            w.bool(2, true)
        case let .rejected(reason, message):
            w.bool(2, false)
            w.u16(3, reason.rawValue)
            if !message.isEmpty { w.string(4, message) }
        }
        w.u64(5, learnerVersion)
        w.u32(6, bufferedCount)
    }

    public init(fields r: FieldReader) throws(WireError) {
        leaseId = try r.u64(1, "leaseId")
        if try r.bool(2, "accepted") {
            outcome = .accepted
        } else {
            outcome = .rejected(RejectionReason(rawValue: try r.u16(3, "reason")),
                                message: try r.stringIfPresent(4, "message") ?? "")
        }
        learnerVersion = try r.u64(5, "learnerVersion")
        bufferedCount = try r.u32(6, "bufferedCount")
    }
}
