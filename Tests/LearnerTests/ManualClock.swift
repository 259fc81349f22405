// A `LearnerClock` whose time moves only when the test says so (issue 11 §6): sleepers wake
// when `advance` passes their deadline, and a test can wait — without sleeping — until a
// given number of tasks sleep on it (a long poll is held open, a timer is armed).

import Foundation
import XCTest
@testable import Learner

final class ManualClock: LearnerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var t: Double
    private var sleepers: [UInt64: (deadline: Double, cont: CheckedContinuation<Void, any Error>)] = [:]
    private var nextID: UInt64 = 0
    /// Tests waiting until at least `count` tasks sleep.
    private var watchers: [(id: UInt64, count: Int, cont: CheckedContinuation<Void, Never>)] = []

    init(start: Double = 1_000_000) { t = start }

    func now() -> Double { lock.withLock { t } }

    /// Tasks sleeping on this clock now.
    var sleeping: Int { lock.withLock { sleepers.count } }

    /// Moves time forward by `d` seconds and wakes every sleeper whose deadline passed.
    func advance(_ d: Double) {
        let due = lock.withLock {
            t += d
            let due = sleepers.filter { $0.value.deadline <= t }
            for id in due.keys { sleepers[id] = nil }
            return due.values.map(\.cont)
        }
        for c in due { c.resume() }
    }

    func sleep(until deadline: Double) async throws {
        let id = lock.withLock { () -> UInt64 in nextID += 1; return nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = lock.withLock {
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= t { return .success(()) }
                    sleepers[id] = (deadline, cont)
                    return nil
                }
                if let outcome { cont.resume(with: outcome) } else { notifyWatchers() }
            }
        } onCancel: {
            lock.withLock { sleepers.removeValue(forKey: id) }?.cont.resume(throwing: CancellationError())
        }
    }

    /// Returns once at least `count` tasks sleep on this clock. If that does not happen within
    /// `limit` seconds of wall time the test fails instead of hanging (a guard that never
    /// elapses in a passing test: something that should sleep on this clock did not).
    func waitForSleepers(_ count: Int, limit: Double = 30, file: StaticString = #filePath, line: UInt = #line) async {
        let id = lock.withLock { () -> UInt64 in nextID += 1; return nextID }
        let guardTask = Task { [weak self] in
            try await Task.sleep(nanoseconds: UInt64(limit * 1e9))
            guard let self, let c = self.lock.withLock({ self.removeWatcher(id) }) else { return }
            XCTFail("nothing slept on the manual clock (\(count) sleepers expected) within \(limit) s", file: file, line: line)
            c.resume()
        }
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let ready = lock.withLock {
                if sleepers.count >= count { return true }
                watchers.append((id, count, cont))
                return false
            }
            if ready { cont.resume() }
        }
        guardTask.cancel()
    }

    private func removeWatcher(_ id: UInt64) -> CheckedContinuation<Void, Never>? {
        guard let i = watchers.firstIndex(where: { $0.id == id }) else { return nil }
        return watchers.remove(at: i).cont
    }

    private func notifyWatchers() {
        let ready = lock.withLock {
            let ready = watchers.filter { $0.count <= sleepers.count }.map(\.cont)
            watchers.removeAll { $0.count <= sleepers.count }
            return ready
        }
        for c in ready { c.resume() }
    }
}
