// Steps and versions never go backwards across a crash (issue 14): the floor file records
// every step, including steps that took no optimizer step (no new version), and a restart
// continues from the highest step and version it holds.

import Foundation
import XCTest
import Wire
@testable import Learner

final class StepFloorTests: XCTestCase {
    func testFloorOnlyRises() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("floor-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let store = LearnerStateStore(root: dir)
        try store.setVersionFloor(version: 3, step: 10)
        try store.setVersionFloor(version: 3, step: 12)      // a step without a new version
        XCTAssertTrue(store.versionFloor() == (3, 12))
        try store.setVersionFloor(version: 3, step: 11)      // a late publisher write
        XCTAssertTrue(store.versionFloor() == (3, 12), "\(store.versionFloor())")
        try store.setVersionFloor(version: 4, step: 11)
        XCTAssertTrue(store.versionFloor() == (4, 12), "\(store.versionFloor())")
    }

    /// Steps without signal after the last checkpoint (same version) are not forgotten.
    func testRestartContinuesAfterStepsWithoutANewVersion() async throws {
        let node = try await openTestNode("floor-restart") { _ in }
        let store = node.store, config = node.config
        XCTAssertEqual(node.training.status.step, 0)
        await node.ingest.shutdown()
        try store.setVersionFloor(version: 0, step: 7)       // 7 steps, no optimizer step, then kill -9
        let again = try await LearnerNode.open(config)
        XCTAssertEqual(again.training.status.step, 7, "the step counter went backwards")
        let version = await again.ingest.version
        XCTAssertEqual(version, 0, "no version was published, so none is skipped")
        await again.ingest.shutdown()
    }

    /// A step whose batch has no reward signal publishes nothing, yet its step is durable.
    func testStepWithoutSignalIsRecordedInTheFloor() async throws {
        let node = try await openTestNode("floor-nosignal") { c in
            c.groupSize = 2; c.groupsPerStep = 2; c.steps = 1; c.checkpointEvery = 100
        }
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: "t", softwareVersion: "t")).workerId
        node.training.start()
        let grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: 0))
        _ = try await ep.submit(validGroups(grant, worker: w, version: 0, groupSize: 2))   // every reward 0
        node.training.join()
        XCTAssertEqual(node.training.status.stepsWithoutSignal, 1)
        XCTAssertTrue(node.store.versionFloor() == (0, 1), "\(node.store.versionFloor())")
        await node.ingest.shutdown()
    }
}
