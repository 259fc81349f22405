// SimulatedWorkers: lightweight stand-ins for rollout workers, for load tests and the ingest
// benchmark (`tributary loadgen`). Each registers over the real transport, takes leases and
// submits well-formed groups as fast as it can — random in-vocabulary tokens, finite
// log-probs, varied rewards — without a model, so the learner's ingest path (admission, WAL
// fsync, buffer, acks) is what is measured. BadInputScenario.swift plays the protocol's
// rejection cases one by one against a real learner.

import Foundation
import Wire
import Worker

/// What a load run saw.
package struct LoadReport: Codable, Sendable {
    package var workers = 0
    package var seconds = 0.0
    package var groupsSubmitted = 0
    package var groupsAccepted = 0
    /// Typed rejections by reason name (e.g. `buffer_full`).
    package var rejected: [String: Int] = [:]
    /// Submit/lease calls that failed at the RPC level (status), by message prefix.
    package var callErrors = 0
    /// Encoded bytes of the accepted groups.
    package var acceptedBytes = 0
    package var groupsPerSecond = 0.0
    /// Encoded group bytes acknowledged per second.
    package var acceptedBytesPerSecond = 0.0
}

package enum SimulatedWorkers {
    /// Runs `workers` simulated workers for `seconds` against the endpoints `makeEndpoint(i)`.
    package static func run(workers: Int, seconds: Double, promptsPerLease: Int = 4,
                           makeEndpoint: @Sendable (Int) -> RemoteEndpoint) async -> LoadReport {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        let parts = await withTaskGroup(of: LoadReport.self) { group in
            for i in 0..<workers {
                let endpoint = makeEndpoint(i)
                group.addTask { await one(endpoint, name: "sim-\(i)", until: deadline, promptsPerLease: promptsPerLease, seed: UInt64(i)) }
            }
            var all: [LoadReport] = []
            for await r in group { all.append(r) }
            return all
        }
        var total = LoadReport()
        total.workers = workers
        total.seconds = Date().timeIntervalSince(start)
        for p in parts {
            total.groupsSubmitted += p.groupsSubmitted
            total.groupsAccepted += p.groupsAccepted
            total.callErrors += p.callErrors
            for (k, v) in p.rejected { total.rejected[k, default: 0] += v }
            total.acceptedBytes += p.acceptedBytes
        }
        total.groupsPerSecond = Double(total.groupsAccepted) / total.seconds
        total.acceptedBytesPerSecond = Double(total.acceptedBytes) / total.seconds
        return total
    }

    /// One simulated worker (its counts; rates are computed over all of them).
    static func one(_ endpoint: RemoteEndpoint, name: String, until deadline: Date, promptsPerLease: Int,
                    seed: UInt64) async -> LoadReport {
        var r = LoadReport()
        var rng = SystemRandomNumberGenerator()
        var welcome: Welcome?
        while Date() < deadline {
            do {
                if welcome == nil { welcome = try await endpoint.register(RegisterRequest(workerName: name, softwareVersion: "loadgen")) }
                let w = welcome!
                let grant = try await endpoint.lease(LeaseRequest(workerId: w.workerId, maxPrompts: UInt32(promptsPerLease), currentVersion: 0))
                if grant.units.isEmpty {
                    try await Task.sleep(nanoseconds: UInt64(grant.retryAfterMs ?? 50) * 1_000_000)
                    continue
                }
                let groups = grant.units.map { makeGroup(for: $0, workerId: w.workerId, vocab: Int(w.model.vocabSize), rng: &rng) }
                let acks = try await endpoint.submit(groups)
                r.groupsSubmitted += groups.count
                for (g, a) in zip(groups, acks) {
                    switch a.outcome {
                    case .accepted:
                        r.groupsAccepted += 1
                        r.acceptedBytes += g.encoded().count
                    case .rejected(let reason, _):
                        r.rejected[reason.name, default: 0] += 1
                    }
                }
            } catch {
                r.callErrors += 1
                welcome = nil   // re-register (the learner may have restarted)
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        return r
    }

    /// A well-formed group for `unit`: G completions of random digit-range tokens.
    package static func makeGroup(for unit: WorkUnit, workerId: UInt64, vocab: Int,
                                 rng: inout some RandomNumberGenerator) -> TrajectoryGroup {
        let length = max(1, Int(unit.maxCompletionTokens))
        let samples = (0..<Int(unit.groupSize)).map { _ in
            Sample(tokens: (0..<length).map { _ in Int32.random(in: 0..<Int32(min(10, vocab)), using: &rng) },
                   logProbs: (0..<length).map { _ in -Float.random(in: 0.05...3, using: &rng) },
                   reward: Float.random(in: 0...1, using: &rng), correct: Bool.random(using: &rng), finishReason: .length)
        }
        return TrajectoryGroup(leaseId: unit.leaseId, promptIndex: unit.promptIndex, promptTokens: unit.promptTokens,
                               policyVersion: unit.policyVersion, workerId: workerId, samples: samples)
    }
}
