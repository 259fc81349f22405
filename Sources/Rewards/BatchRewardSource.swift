// What external rewards (a process pool, a reward server) offer the caller: a result for
// every sample with a status, never a thrown error; and the shared driver that splits a batch
// into calls, runs them concurrently and applies the failure policy.

/// The result for one sample: always present, with how it was obtained.
package struct ExternalOutcome: Sendable, Hashable {
    package enum Status: Sendable, Hashable {
        /// Scored on the first attempt.
        case ok
        /// The first attempt failed (this failure); the retry scored it (`retry_once`).
        case recovered(RewardFailure)
        /// Not scored: reward 0, not correct.
        case failed(RewardFailure)
    }

    package var reward: Double
    package var correct: Bool
    package var status: Status

    package init(reward: Double, correct: Bool, status: Status) {
        self.reward = reward
        self.correct = correct
        self.status = status
    }

    /// The failure when the sample could not be scored.
    package var failure: RewardFailure? {
        if case let .failed(f) = status { return f }
        return nil
    }
}

/// A reward computed outside the process on whole batches: `ExternalProcessReward`, `HTTPReward`.
package protocol BatchRewardSource: Sendable {
    /// The component label it was configured under.
    var label: String { get }
    /// One outcome per input, in order. Never throws: failures are outcomes with `.failed`.
    func score(_ inputs: [RewardInput]) async -> [ExternalOutcome]
    /// Failures so far, per kind (a failed call once; a failed sample in a good call once).
    func failureCounts() async -> FailureCounts
    /// Stops processes / sessions; later calls start them again.
    func shutdown() async
}

enum BatchDriver {
    /// Splits `inputs` into calls of at most `maxBatch`, runs them concurrently through
    /// `attempt`, and with `.retryOnce` sends the failed samples once more.
    static func run(_ inputs: [RewardInput], maxBatch: Int, policy: FailurePolicy,
                    attempt: @escaping @Sendable (ArraySlice<RewardInput>) async -> AttemptResult)
    async -> (outcomes: [ExternalOutcome], events: FailureCounts) {
        var events = FailureCounts()
        let first = await runAll(inputs, maxBatch: maxBatch, attempt: attempt, events: &events)
        var outcomes = first.map { r -> ExternalOutcome in
            switch r {
            case let .success(v): return ExternalOutcome(reward: v.reward, correct: v.correct, status: .ok)
            case let .failure(f): return ExternalOutcome(reward: 0, correct: false, status: .failed(f))
            }
        }
        guard policy == .retryOnce else { return (outcomes, events) }
        let failed = outcomes.indices.filter { outcomes[$0].failure != nil }
        guard !failed.isEmpty else { return (outcomes, events) }
        let second = await runAll(failed.map { inputs[$0] }, maxBatch: maxBatch, attempt: attempt, events: &events)
        for (i, r) in zip(failed, second) {
            let before = outcomes[i].failure!
            switch r {
            case let .success(v): outcomes[i] = ExternalOutcome(reward: v.reward, correct: v.correct, status: .recovered(before))
            case let .failure(f): outcomes[i] = ExternalOutcome(reward: 0, correct: false, status: .failed(f))
            }
        }
        return (outcomes, events)
    }

    private static func runAll(_ inputs: [RewardInput], maxBatch: Int,
                               attempt: @escaping @Sendable (ArraySlice<RewardInput>) async -> AttemptResult,
                               events: inout FailureCounts) async -> [Result<ExternalVerdict, RewardFailure>] {
        let chunks = stride(from: 0, to: inputs.count, by: max(1, maxBatch)).map { $0..<min(inputs.count, $0 + maxBatch) }
        var results = [Result<ExternalVerdict, RewardFailure>?](repeating: nil, count: inputs.count)
        let all = await withTaskGroup(of: (Range<Int>, AttemptResult).self) { group in
            for r in chunks { group.addTask { (r, await attempt(inputs[r])) } }
            var done: [(Range<Int>, AttemptResult)] = []
            for await x in group { done.append(x) }
            return done
        }
        for (range, result) in all {
            events.merge(result.events)
            for (i, r) in zip(range, result.results) { results[i] = r }
        }
        let missing = RewardFailure(kind: .wrongCount, message: "internal: a call returned too few results")
        return results.map { $0 ?? .failure(missing) }
    }
}
