// The reference channel through the one wire mapping (WireMapping.swift, PROTOCOL.md §6.5.3):
// a group's reference and hint reach the wire and come back, through the encoding too, and a
// group of an older worker maps to no reference and no hint.

import Foundation
import Policy
import Rollout
import Wire
import XCTest

final class WireMappingTests: XCTestCase {
    func testReferenceAndHintRoundTrip() throws {
        let samples = [
            ScoredSample(tokens: [9, 0], logProbs: [-0.5, -0.25], reward: 1, correct: true, finish: .end),
            ScoredSample(tokens: [7], logProbs: [-1], reward: 0, correct: false, finish: .length),
        ]
        // Prompt [1, 2] with a one-token hint [8]; the reference is answer [8, 9] + end 0.
        let group = RolloutGroup(promptIndex: 4, prompt: [1, 2, 8], version: 3, samples: samples, reference: [8, 9, 0], hint: 1)
        let wire = group.wire(leaseId: 10, workerId: 5)
        XCTAssertEqual(wire.promptTokens, [1, 2, 8])
        XCTAssertEqual(Array(wire.leasedPromptTokens), [1, 2])
        XCTAssertEqual(wire.referenceTokens, [8, 9, 0])
        XCTAssertEqual(wire.hintTokens, 1)
        XCTAssertEqual(wire.leaseId, 10)
        XCTAssertEqual(wire.policyVersion, 3)
        XCTAssertEqual(RolloutGroup(wire), group, "back to the same group")
        XCTAssertEqual(RolloutGroup(try TrajectoryGroup.decode(wire.encoded())), group, "and through the encoding")

        // A group without reference or hint (an older worker, or a task without answers).
        let plain = RolloutGroup(promptIndex: 4, prompt: [1, 2], version: 3, samples: samples)
        let back = RolloutGroup(try TrajectoryGroup.decode(plain.wire(leaseId: 1, workerId: 1).encoded()))
        XCTAssertEqual(back.reference, [])
        XCTAssertEqual(back.hint, 0)
        XCTAssertEqual(back, plain)
    }

    /// The data model's JSON form (batch dumps, the Lab) keeps both, and older JSON without them decodes.
    func testCodableKeepsReferenceAndHint() throws {
        let g = RolloutGroup(promptIndex: 1, prompt: [5, 6], version: 2, samples: [], reference: [6, 0], hint: 1)
        XCTAssertEqual(try JSONDecoder().decode(RolloutGroup.self, from: JSONEncoder().encode(g)), g)
        let old = #"{"promptIndex":1,"prompt":[5],"version":2,"samples":[]}"#
        let o = try JSONDecoder().decode(RolloutGroup.self, from: Data(old.utf8))
        XCTAssertEqual(o.reference, [])
        XCTAssertEqual(o.hint, 0)
    }
}
