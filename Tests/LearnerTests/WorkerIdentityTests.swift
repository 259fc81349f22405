// Worker identity (PROTOCOL.md §3, issue 14): every call naming a worker id that was never
// registered, said goodbye, went idle, or was registered by another token gets NOT_FOUND and
// is counted (`unknownWorkerRequests`, `tributary_unknown_worker_requests_total`);
// `LeaseRequest.maxPrompts = 0` is INVALID_ARGUMENT.

import Foundation
import XCTest
import Wire
@testable import Learner

final class WorkerIdentityTests: XCTestCase {
    private func expectStatus(_ code: WireStatus, _ what: String, _ body: () async throws -> Void) async {
        do { try await body(); XCTFail("\(what): expected \(code)") } catch let s as RPCStatus {
            XCTAssertEqual(s.code, code, "\(what): \(s)")
        } catch { XCTFail("\(what): \(error)") }
    }

    func testUnknownRetiredAndForeignWorkerIdsAreNotFoundAndCounted() async throws {
        let node = try await openTestNode("identity") { $0.groupSize = 2; $0.groupsPerStep = 2 }
        let mine = LocalEndpoint(node: node, token: "token-a"), other = LocalEndpoint(node: node, token: "token-b")
        let w = try await mine.register(RegisterRequest(workerName: "a", softwareVersion: "t")).workerId
        let phantom = w + 1000
        await expectStatus(.notFound, "lease, never registered") {
            _ = try await mine.lease(LeaseRequest(workerId: phantom, maxPrompts: 1, currentVersion: 0))
        }
        await expectStatus(.notFound, "watch, never registered") { _ = try await mine.watch(WatchRequest(workerId: phantom)) }
        await expectStatus(.notFound, "lease with another token") {
            _ = try await other.lease(LeaseRequest(workerId: w, maxPrompts: 1, currentVersion: 0))
        }
        await expectStatus(.invalidArgument, "maxPrompts 0") {
            _ = try await mine.lease(LeaseRequest(workerId: w, maxPrompts: 0, currentVersion: 0))
        }
        let grant = try await mine.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: 0))
        XCTAssertEqual(grant.units.count, 2, "the registered worker with its own token is served")
        let groups = validGroups(grant, worker: w, version: 0, groupSize: 2)
        await expectStatus(.notFound, "submit with another token") { _ = try await other.submit(groups) }
        let acks = try await mine.submit([groups[0]])
        XCTAssertEqual(acks.map(\.outcome), [.accepted])
        try await mine.goodbye(Goodbye(workerId: w))
        let outstanding = await node.ingest.leases.outstanding.count
        XCTAssertEqual(outstanding, 0, "Goodbye released the worker's other lease")
        await expectStatus(.notFound, "submit after goodbye") { _ = try await mine.submit([groups[1]]) }
        await expectStatus(.notFound, "lease after goodbye") {
            _ = try await mine.lease(LeaseRequest(workerId: w, maxPrompts: 1, currentVersion: 0))
        }
        await expectStatus(.notFound, "goodbye twice") { try await mine.goodbye(Goodbye(workerId: w)) }
        let counters = await node.ingest.counters
        XCTAssertEqual(counters.unknownWorkerRequests, 7)
        let text = await StatusService(node: node).metricsText()
        XCTAssertTrue(text.contains("tributary_unknown_worker_requests_total 7"), text)
        let report = await StatusService(node: node).report()
        XCTAssertEqual(report.unknownWorkerRequests, 7)
        await node.ingest.shutdown()
    }

    /// A worker that makes no request for ten lease durations is retired: its id is unknown
    /// from then on and its leases are re-issued (manual clock).
    func testIdleWorkerIsRetired() async throws {
        let h = try await CrashHarness(label: "idle", test: self)
        let w = await h.register()
        _ = await h.lease(worker: w, count: 2)
        h.clock.advance(9 * h.config.leaseSeconds)
        let early = await h.ingest.checkWorker(w, token: nil)
        XCTAssertNil(early, "still within the idle limit")
        h.clock.advance(10 * h.config.leaseSeconds + 1)
        let late = await h.ingest.checkWorker(w, token: nil)
        XCTAssertEqual(late?.code, .notFound)
        let leases = await h.ingest.leases
        XCTAssertEqual(leases.outstanding.count, 0)
        XCTAssertEqual(leases.reissueQueue.count, 2)
    }

    /// PROTOCOL.md §6.5 `workerId`: after a re-registration (here: the learner restarted, so
    /// the old id is unknown) a group for a lease taken under the old id carries the new id and
    /// is accepted; a live worker's lease submitted under another id is `wrong_worker`.
    func testGroupOfAnEarlierRegistrationCarriesTheNewId() async throws {
        let h = try await CrashHarness(label: "reregister", test: self)
        let old = await h.register()
        let units = await h.lease(worker: old, count: 2)
        try await h.checkpoint(crashAt: nil)
        try await h.crash(torn: false)
        let stale = await h.ingest.checkWorker(old, token: nil)
        XCTAssertEqual(stale?.code, .notFound, "ids do not survive a restart")
        let new = await h.register()
        XCTAssertGreaterThanOrEqual(new, 1 << 32, "ids after a restart come from a fresh block")
        let accepted = try await h.submit([units[0]], worker: new)
        XCTAssertEqual(accepted, [.accepted])
        let other = await h.register()
        let mine = await h.lease(worker: other, count: 1)
        let refused = try await h.submit(mine, worker: new)
        guard case .rejected(.wrongWorker, _)? = refused.first else { return XCTFail("\(refused)") }
    }

    func testMaxPromptsZeroIsADecodeError() throws {
        let bytes = LeaseRequest(workerId: 1, maxPrompts: 0, currentVersion: 0).encoded()
        XCTAssertThrowsError(try LeaseRequest.decode(bytes)) { e in
            XCTAssertTrue("\(e)".contains("maxPrompts"), "\(e)")
        }
    }
}
