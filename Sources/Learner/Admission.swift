// Admission control: every submitted group is validated before it may touch the buffer or
// the write-ahead log — lease, prompt, group size, shapes, vocabulary, finiteness, version
// and staleness. A rejected group gets a typed reason (proto/PROTOCOL.md "Rejection
// reasons") and a message naming what is wrong; nothing about it is kept.

import Rollout
import Wire

/// A refusal: the wire reason code plus a human-readable message.
package struct Rejection: Error, Equatable, Sendable, CustomStringConvertible {
    package var reason: RejectionReason
    package var message: String
    package init(_ reason: RejectionReason, _ message: String) { self.reason = reason; self.message = message }
    package var description: String { "\(reason.name): \(message)" }
}

/// What admission needs to know about the run.
package struct AdmissionPolicy: Sendable, Equatable {
    package var groupSize: Int
    package var vocabSize: Int
    package var maxCompletionTokens: Int
    /// Largest accepted `learner version − group version`.
    package var maxStaleness: Int

    package init(groupSize: Int, vocabSize: Int, maxCompletionTokens: Int, maxStaleness: Int) {
        self.groupSize = groupSize; self.vocabSize = vocabSize
        self.maxCompletionTokens = maxCompletionTokens; self.maxStaleness = maxStaleness
    }
}

extension LeaseRejection {
    /// The wire rejection for a lease problem.
    package var rejection: Rejection {
        switch self {
        case .alreadyTrained: return Rejection(.duplicateLease, description)
        case .expired: return Rejection(.leaseReissued, description)
        case .unknown: return Rejection(.unknownLease, description)
        case .wrongWorker: return Rejection(.wrongWorker, description)
        }
    }
}

/// Validates `group` against its lease and the run's limits. Pure: the caller commits the
/// lease (`LeaseBook.complete`) only after the group is durable.
/// - Parameters:
///   - lease: the lease from `LeaseBook.check`, or the lease problem.
///   - expectedPrompt: the prompt tokens the learner generated for the lease's prompt index.
///   - expectedReference: the task's reference completion for that prompt (answer + end), when
///     the learner knows it: a reference or hint the worker sends must agree with it.
///   - learnerVersion: the learner's current policy version.
package func admit(_ group: TrajectoryGroup, lease: Result<Lease, LeaseRejection>, expectedPrompt: [Int32],
                  expectedReference: [Int32]? = nil, learnerVersion: PolicyVersion, policy: AdmissionPolicy) -> Rejection? {
    let l: Lease
    switch lease {
    case let .failure(e): return e.rejection
    case let .success(v): l = v
    }
    // The lease's prompt is the group's prompt without its hint (PROTOCOL.md §6.5.3).
    if Int(clamping: group.promptIndex) != l.promptIndex || !group.leasedPromptTokens.elementsEqual(expectedPrompt) {
        return Rejection(.promptMismatch, "lease \(l.id) is for prompt \(l.promptIndex); the group carries prompt \(group.promptIndex) with \(group.promptTokens.count - Int(group.hintTokens)) tokens and a hint of \(group.hintTokens)")
    }
    let staleness = PolicyVersion(wire: group.policyVersion).staleness(at: learnerVersion)
    if staleness < 0 {
        return Rejection(.versionFromFuture, "group claims policy version \(group.policyVersion) but the learner is at \(learnerVersion)")
    }
    if staleness > policy.maxStaleness {
        return Rejection(.staleBeyondCap, "group is \(staleness) versions old; admission.max_staleness is \(policy.maxStaleness)")
    }
    if group.sampleCount != policy.groupSize {
        return Rejection(.wrongGroupSize, "group has \(group.sampleCount) samples; the group size is \(policy.groupSize)")
    }
    var offset = 0
    for (i, length) in group.completionLengths.enumerated() {
        let n = Int(length)
        if n < 1 || n > policy.maxCompletionTokens {
            return Rejection(.badShape, "sample \(i) has \(n) completion tokens; allowed 1…\(policy.maxCompletionTokens)")
        }
        for k in offset..<(offset + n) {
            let t = group.completionTokens[k]
            if t < 0 || Int(t) >= policy.vocabSize {
                return Rejection(.tokenOutOfVocabulary, "sample \(i) token \(k - offset) is \(t); vocabulary size is \(policy.vocabSize)")
            }
            let lp = group.logProbs[k]
            if !lp.isFinite || lp > 1e-4 {
                return Rejection(.nonFiniteValue, "sample \(i) log-prob \(k - offset) is \(lp); log-probs must be finite and ≤ 0")
            }
        }
        let r = group.rewards[i]
        // Any finite real is a reward (PROTOCOL.md §8; tasks and external verifiers may score
        // outside [0, 1]); only NaN and ±∞ are refused.
        if !r.isFinite {
            return Rejection(.nonFiniteValue, "sample \(i) reward is \(r); rewards must be finite real numbers")
        }
        offset += n
    }
    // The reference channel (PROTOCOL.md §6.5.3): hint and reference tokens are tokens the learner
    // will embed, and the reference is a completion.
    for (k, t) in group.promptTokens.suffix(Int(group.hintTokens)).enumerated() where t < 0 || Int(t) >= policy.vocabSize {
        return Rejection(.tokenOutOfVocabulary, "hint token \(k) is \(t); vocabulary size is \(policy.vocabSize)")
    }
    if group.referenceTokens.count > policy.maxCompletionTokens {
        return Rejection(.badShape, "the reference has \(group.referenceTokens.count) tokens; allowed at most \(policy.maxCompletionTokens)")
    }
    for (k, t) in group.referenceTokens.enumerated() where t < 0 || Int(t) >= policy.vocabSize {
        return Rejection(.tokenOutOfVocabulary, "reference token \(k) is \(t); vocabulary size is \(policy.vocabSize)")
    }
    // Demonstrations are trained on as they come, so a reference must be the task's answer, and a
    // hint must be a prefix of that answer (it is what the verifier counted as the sample's start).
    if let expectedReference {
        if !group.referenceTokens.isEmpty && group.referenceTokens != expectedReference {
            return Rejection(.promptMismatch, "the reference (\(group.referenceTokens.count) tokens) is not the task's answer for prompt \(group.promptIndex)")
        }
        let hint = group.promptTokens.suffix(Int(group.hintTokens))
        if !hint.isEmpty && (hint.count >= expectedReference.count || !hint.elementsEqual(expectedReference.prefix(hint.count))) {
            return Rejection(.promptMismatch, "the hint (\(hint.count) tokens) is not a proper prefix of the task's answer for prompt \(group.promptIndex)")
        }
    }
    if let k = group.componentValues.firstIndex(where: { !$0.isFinite }) {
        let c = group.rewardComponents.count
        return Rejection(.nonFiniteValue, "sample \(k / c) reward component \"\(group.rewardComponents[k % c])\" is \(group.componentValues[k]); component values must be finite")
    }
    return nil
}

/// The admission of one submission round (the groups a Submit call logs with one fsync),
/// before anything is written: each group either refused or admitted with its encoded record.
struct AdmissionRound {
    struct Admitted {
        var slot: Int
        var group: TrajectoryGroup
        /// The worker the lease was issued to (it may have re-registered under a new id since).
        var owner: UInt64?
        /// The worker the lease is checked against (nil: the owner is gone, any id may submit it).
        var checkWorker: UInt64?
        var record: [UInt8]
    }
    var refused: [(slot: Int, rejection: Rejection)] = []
    var admitted: [Admitted] = []

    /// Screens `round` from `worker` against the lease book (read only) at `learnerVersion`.
    /// `isRegistered` says whether a lease's owner is still registered; `expected` gives the tokens
    /// of a prompt index and, when the learner knows it, its reference completion. The same lease twice in one round: the second is a duplicate.
    init(_ round: ArraySlice<TrajectoryGroup>, from worker: UInt64?, leases: LeaseBook, learnerVersion: PolicyVersion,
         policy: AdmissionPolicy, isRegistered: (UInt64) -> Bool,
         expected: (Int) -> (prompt: [Int32], reference: [Int32]?)) {
        var leasesInRound = Set<UInt64>()
        for (slot, group) in round.enumerated() {
            // A lease held by a worker registered before a restart may be submitted by its new id.
            let owner = leases.outstanding[group.leaseId]?.workerID
            let checkWorker = owner.flatMap { isRegistered($0) ? worker : nil }
            var lease: Result<Lease, LeaseRejection>
            do { lease = .success(try leases.check(group.leaseId, worker: checkWorker)) } catch { lease = .failure(error) }
            if leasesInRound.contains(group.leaseId) { lease = .failure(.alreadyTrained(group.leaseId)) }
            let want = (try? lease.get()).map { expected($0.promptIndex) }
            if let r = admit(group, lease: lease, expectedPrompt: want?.prompt ?? [], expectedReference: want?.reference,
                             learnerVersion: learnerVersion, policy: policy) {
                refused.append((slot, r))
                continue
            }
            leasesInRound.insert(group.leaseId)
            admitted.append(Admitted(slot: slot, group: group, owner: owner, checkWorker: checkWorker, record: group.encoded()))
        }
    }
}
