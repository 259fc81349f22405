// The learner daemon's time, injected (issue 11 §6). Every deadline and timer of ingestion —
// lease expiry, the worker idle limit, the ingest rates, the lease long poll, the Watch
// heartbeat — reads `now()` and waits with `sleep(until:)` of one `LearnerClock`, passed in at
// `LearnerNode.open`. The value types that decide (`LeaseBook`, `WorkerRegistry`, `IngestRate`)
// never read a clock: like `ConnectionManager`, they take the time from their caller. Tests
// drive everything with a manual clock (Tests/LearnerTests/ManualClock.swift) and no sleeps.

import Foundation

/// A source of time for the learner: seconds since 1970, and waiting until one of them.
package protocol LearnerClock: Sendable {
    /// The current time, seconds since 1970 (lease deadlines go on the wire as Unix ms).
    func now() -> Double
    /// Returns once `now() >= deadline`; throws `CancellationError` if the task is cancelled first.
    func sleep(until deadline: Double) async throws
}

/// The wall clock (`Date`) and `Task.sleep`: the clock of a running learner.
package struct SystemClock: LearnerClock {
    package init() {}

    package func now() -> Double { Date().timeIntervalSince1970 }

    package func sleep(until deadline: Double) async throws {
        let left = deadline - now()
        if left > 0 { try await Task.sleep(nanoseconds: UInt64(left * 1e9)) }
        try Task.checkCancellation()
    }
}
