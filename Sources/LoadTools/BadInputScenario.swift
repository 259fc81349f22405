// BadInputScenario: plays every submission the learner must refuse, one by one, against a
// real learner over the real transport (`tributary loadgen --scenario bad-inputs`, used by the
// end-to-end tests): a duplicate, a late submission after re-issue, a group beyond the
// staleness cap, one from the future, a NaN log-prob, an out-of-vocabulary token and a wrong
// bearer token — and between them good groups, which must still be accepted.

import Foundation
import Wire
import Worker

/// One case: what was sent, what the learner was expected to answer and what it answered.
package struct ScenarioCase: Codable, Sendable {
    package var name: String
    package var expected: String
    package var observed: String
    package var ok: Bool { expected == observed }
}

package enum BadInputScenario {
    /// Runs the cases in order. `wrongToken` is an endpoint with a bad bearer token;
    /// `leaseSeconds` is the learner's lease duration (the late case waits it out);
    /// `maxStaleness` the learner's cap (the stale case first trains past it).
    package static func run(endpoint: RemoteEndpoint, wrongToken: RemoteEndpoint, leaseSeconds: Double,
                           maxStaleness: Int) async throws -> [ScenarioCase] {
        var cases: [ScenarioCase] = []
        var rng = SystemRandomNumberGenerator()
        let w = try await endpoint.register(RegisterRequest(workerName: "bad-inputs", softwareVersion: "loadgen"))
        let vocab = Int(w.model.vocabSize)
        func unit() async throws -> WorkUnit {
            for _ in 0..<600 {
                let g = try await endpoint.lease(LeaseRequest(workerId: w.workerId, maxPrompts: 1, currentVersion: 0))
                if let u = g.units.first { return u }
                try await Task.sleep(nanoseconds: UInt64(g.retryAfterMs ?? 50) * 1_000_000)
            }
            throw RPCStatus(.deadlineExceeded, "no lease granted within the scenario's patience")
        }
        func good(_ u: WorkUnit) -> TrajectoryGroup { SimulatedWorkers.makeGroup(for: u, workerId: w.workerId, vocab: vocab, rng: &rng) }
        func verdict(_ g: TrajectoryGroup) async throws -> (String, UInt64) {
            let a = try await endpoint.submit([g])[0]
            switch a.outcome {
            case .accepted: return ("accepted", a.learnerVersion)
            case .rejected(let reason, _): return (reason.name, a.learnerVersion)
            }
        }
        func check(_ name: String, _ expected: String, _ g: TrajectoryGroup) async throws {
            cases.append(ScenarioCase(name: name, expected: expected, observed: try await verdict(g).0))
        }
        func samples(_ g: TrajectoryGroup) -> [Sample] { g.samples }

        let u1 = try await unit()
        let g1 = good(u1)
        try await check("good group", "accepted", g1)
        try await check("the same submission again", "duplicate_lease", g1)

        let u2 = try await unit()
        var nan = samples(good(u2)); nan[0].logProbs[0] = .nan
        try await check("NaN log-prob", "non_finite_value",
                        TrajectoryGroup(leaseId: u2.leaseId, promptIndex: u2.promptIndex, promptTokens: u2.promptTokens,
                                        policyVersion: u2.policyVersion, workerId: w.workerId, samples: nan))
        var oov = samples(good(u2)); oov[0].tokens[0] = Int32(vocab)
        try await check("out-of-vocabulary token", "token_out_of_vocabulary",
                        TrajectoryGroup(leaseId: u2.leaseId, promptIndex: u2.promptIndex, promptTokens: u2.promptTokens,
                                        policyVersion: u2.policyVersion, workerId: w.workerId, samples: oov))
        try await check("version from the future", "version_from_future",
                        TrajectoryGroup(leaseId: u2.leaseId, promptIndex: u2.promptIndex, promptTokens: u2.promptTokens,
                                        policyVersion: u2.policyVersion + 1000, workerId: w.workerId, samples: samples(good(u2))))
        try await check("good group on the same lease after the rejections", "accepted", good(u2))

        // Train past the staleness cap with good groups, then claim version 0.
        var version: UInt64 = 0
        for _ in 0..<2000 where version <= UInt64(maxStaleness) {
            version = try await verdict(good(try await unit())).1
        }
        let u3 = try await unit()
        try await check("beyond the staleness cap (version 0 at learner version \(version))", "stale_beyond_cap",
                        TrajectoryGroup(leaseId: u3.leaseId, promptIndex: u3.promptIndex, promptTokens: u3.promptTokens,
                                        policyVersion: 0, workerId: w.workerId, samples: samples(good(u3))))

        // Late: hold a lease past its deadline; the next lease request re-issues its prompt.
        let late = try await unit()
        try await Task.sleep(nanoseconds: UInt64((leaseSeconds + 1) * 1e9))
        _ = try await unit()
        try await check("late submission after re-issue", "lease_reissued", good(late))

        do {
            _ = try await wrongToken.lease(LeaseRequest(workerId: w.workerId, maxPrompts: 1, currentVersion: 0))
            cases.append(ScenarioCase(name: "wrong bearer token", expected: "UNAUTHENTICATED", observed: "answered"))
        } catch let s as RPCStatus {
            cases.append(ScenarioCase(name: "wrong bearer token", expected: "UNAUTHENTICATED", observed: "\(s.code)"))
        }
        // A worker id this learner never issued (PROTOCOL.md §3): NOT_FOUND, nothing leased.
        do {
            _ = try await endpoint.lease(LeaseRequest(workerId: w.workerId &+ 1_000_000, maxPrompts: 1, currentVersion: 0))
            cases.append(ScenarioCase(name: "unknown worker id", expected: "NOT_FOUND", observed: "answered"))
        } catch let s as RPCStatus {
            cases.append(ScenarioCase(name: "unknown worker id", expected: "NOT_FOUND", observed: "\(s.code)"))
        }
        try await check("good group at the end", "accepted", good(try await unit()))
        return cases
    }
}
