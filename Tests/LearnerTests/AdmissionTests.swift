// Admission: each kind of bad group is refused with its specific reason and message, and a
// submission round (`AdmissionRound`, a plain value) screens its groups against the lease book.
import Rollout
import XCTest
import Wire
@testable import Learner

final class AdmissionTests: XCTestCase {
    let policy = AdmissionPolicy(groupSize: 2, vocabSize: 16, maxCompletionTokens: 7, maxStaleness: 4)
    let prompt: [Int32] = [10, 1, 2, 3, 11]
    let lease = Lease(id: 5, promptIndex: 3, workerID: 1, version: 8, deadline: 100, attempt: 0)

    private func group(version: UInt64 = 8, samples: [Sample]? = nil, promptIndex: UInt64 = 3) -> TrajectoryGroup {
        let s = samples ?? [
            Sample(tokens: [3, 2, 1, 12], logProbs: [-0.1, -0.2, -0.3, -0.01], reward: 1, correct: true, finishReason: .end),
            Sample(tokens: [3, 12], logProbs: [-0.1, -2], reward: 0, correct: false, finishReason: .end),
        ]
        return TrajectoryGroup(leaseId: 5, promptIndex: promptIndex, promptTokens: prompt, policyVersion: version, workerId: 1, samples: s)
    }

    private func reason(_ g: TrajectoryGroup, learner: PolicyVersion = 10, lease l: Result<Lease, LeaseRejection>? = nil) -> RejectionReason? {
        admit(g, lease: l ?? .success(lease), expectedPrompt: prompt, learnerVersion: learner, policy: policy)?.reason
    }

    func testValidGroupIsAdmitted() {
        XCTAssertNil(reason(group()))
    }

    func testLeaseProblemsMapToWireReasons() {
        XCTAssertEqual(reason(group(), lease: .failure(.unknown(5))), .unknownLease)
        XCTAssertEqual(reason(group(), lease: .failure(.alreadyTrained(5))), .duplicateLease)
        XCTAssertEqual(reason(group(), lease: .failure(.expired(5))), .leaseReissued)
        XCTAssertEqual(reason(group(), lease: .failure(.wrongWorker(5, owner: 2))), .wrongWorker)
    }

    func testVersionsAndStaleness() {
        XCTAssertEqual(reason(group(version: 11)), .versionFromFuture)
        XCTAssertEqual(reason(group(version: .max)), .versionFromFuture, "a version far ahead must not wrap round into an old one")
        XCTAssertNil(reason(group(version: 6)))                 // staleness 4 = cap
        XCTAssertEqual(reason(group(version: 5)), .staleBeyondCap)
    }

    func testPromptMismatch() {
        XCTAssertEqual(reason(group(promptIndex: 4)), .promptMismatch)
        let r = admit(group(), lease: .success(lease), expectedPrompt: [10, 9, 11], learnerVersion: 10, policy: policy)
        XCTAssertEqual(r?.reason, .promptMismatch)
    }

    /// The reference channel (PROTOCOL.md §6.5.3): the lease's prompt is the group's prompt without
    /// its hint; hint and reference tokens must be in the vocabulary; the reference is a completion.
    func testHintAndReference() {
        func hinted(_ hint: [Int32], reference: [Int32] = [3, 2, 1, 12], prompt p: [Int32]? = nil) -> TrajectoryGroup {
            let g = group()
            return TrajectoryGroup(leaseId: 5, promptIndex: 3, promptTokens: (p ?? prompt) + hint, policyVersion: 8, workerId: 1,
                                   samples: g.samples, referenceTokens: reference, hintTokens: UInt32(hint.count))
        }
        XCTAssertNil(reason(hinted([])), "a reference without a hint")
        XCTAssertNil(reason(hinted([3, 2])), "the leased prompt followed by a two-token hint")
        XCTAssertEqual(reason(hinted([3, 2], prompt: [10, 1, 2, 3])), .promptMismatch, "the prompt before the hint must be the lease's")
        // The same tokens without declaring them a hint are a different prompt.
        XCTAssertEqual(reason(TrajectoryGroup(leaseId: 5, promptIndex: 3, promptTokens: prompt + [3], policyVersion: 8, workerId: 1,
                                              samples: group().samples)), .promptMismatch)
        XCTAssertEqual(reason(hinted([3, 16])), .tokenOutOfVocabulary)
        XCTAssertEqual(reason(hinted([], reference: [3, -1])), .tokenOutOfVocabulary)
        XCTAssertNil(reason(hinted([], reference: Array(repeating: 1, count: 7))), "maxCompletionTokens = 7 tokens fit")
        XCTAssertEqual(reason(hinted([], reference: Array(repeating: 1, count: 8))), .badShape)
    }

    /// A learner that knows the task's answer trains on no other reference, and accepts a hint only
    /// as a proper prefix of that answer.
    func testReferenceAndHintMustAgreeWithTheTasksAnswer() {
        let answer: [Int32] = [3, 2, 1, 12]
        func check(_ hint: [Int32], reference: [Int32]) -> RejectionReason? {
            let g = group()
            let h = TrajectoryGroup(leaseId: 5, promptIndex: 3, promptTokens: prompt + hint, policyVersion: 8, workerId: 1,
                                    samples: g.samples, referenceTokens: reference, hintTokens: UInt32(hint.count))
            return admit(h, lease: .success(lease), expectedPrompt: prompt, expectedReference: answer, learnerVersion: 10,
                         policy: policy)?.reason
        }
        XCTAssertNil(check([], reference: answer))
        XCTAssertNil(check([], reference: []), "a worker without the reference may omit it")
        XCTAssertNil(check([3, 2], reference: answer))
        XCTAssertNil(check([3, 2], reference: []), "the hint is checked against the learner's own answer")
        XCTAssertEqual(check([], reference: [3, 2, 1, 11]), .promptMismatch, "a reference that is not the task's answer")
        XCTAssertEqual(check([3, 1], reference: answer), .promptMismatch, "a hint that is not a prefix of the answer")
        XCTAssertEqual(check([3, 2, 1, 12], reference: answer), .promptMismatch, "a hint may not be the whole answer")
    }

    func testShapeVocabularyAndFiniteness() {
        let ok = Sample(tokens: [1, 12], logProbs: [-1, -1], reward: 0, correct: false, finishReason: .end)
        XCTAssertEqual(reason(group(samples: [ok])), .wrongGroupSize)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [], logProbs: [], reward: 0, correct: false, finishReason: .end)])), .badShape)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: Array(repeating: 1, count: 8), logProbs: Array(repeating: -1, count: 8), reward: 0, correct: false, finishReason: .length)])), .badShape)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [1, 16], logProbs: [-1, -1], reward: 0, correct: false, finishReason: .end)])), .tokenOutOfVocabulary)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [-1, 2], logProbs: [-1, -1], reward: 0, correct: false, finishReason: .end)])), .tokenOutOfVocabulary)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [1, 2], logProbs: [.nan, -1], reward: 0, correct: false, finishReason: .end)])), .nonFiniteValue)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [1, 2], logProbs: [0.5, -1], reward: 0, correct: false, finishReason: .end)])), .nonFiniteValue)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [1, 2], logProbs: [-1, -1], reward: .infinity, correct: false, finishReason: .end)])), .nonFiniteValue)
        XCTAssertEqual(reason(group(samples: [ok, Sample(tokens: [1, 2], logProbs: [-1, -1], reward: .nan, correct: false, finishReason: .end)])), .nonFiniteValue)
        // Rewards are any finite real (PROTOCOL.md §8): outside [0, 1] is accepted.
        XCTAssertNil(reason(group(samples: [ok, Sample(tokens: [1, 2], logProbs: [-1, -1], reward: 1.5, correct: false, finishReason: .end)])))
        XCTAssertNil(reason(group(samples: [ok, Sample(tokens: [1, 2], logProbs: [-1, -1], reward: -3.25, correct: false, finishReason: .end)])))
    }

    func testMessagesNameTheProblem() {
        let bad = Sample(tokens: [1, 99], logProbs: [-1, -1], reward: 0, correct: false, finishReason: .end)
        let ok = Sample(tokens: [1, 12], logProbs: [-1, -1], reward: 0, correct: false, finishReason: .end)
        let r = admit(group(samples: [ok, bad]), lease: .success(lease), expectedPrompt: prompt, learnerVersion: 10, policy: policy)
        XCTAssertEqual(r?.message, "sample 1 token 1 is 99; vocabulary size is 16")
    }

    /// A round of three groups from worker 1: its own lease, the same lease again (a duplicate
    /// within the round), and a lease of worker 2, who is still registered (wrong worker). A
    /// lease whose owner is gone may be submitted by any id (it re-registered after a restart).
    func testRoundScreensLeasesAndDuplicates() {
        var book = LeaseBook()   // three leases of prompts 0, 1, 2
        let mine = book.issue(to: 1, count: 1, version: 8, now: 0, duration: 10)[0]
        let theirs = book.issue(to: 2, count: 1, version: 8, now: 0, duration: 10)[0]
        let orphan = book.issue(to: 3, count: 1, version: 8, now: 0, duration: 10)[0]
        func g(_ l: Lease) -> TrajectoryGroup {
            var x = group()
            x.leaseId = l.id
            x.promptIndex = UInt64(l.promptIndex)
            return x
        }
        let round = AdmissionRound([g(mine), g(mine), g(theirs), g(orphan)][...], from: 1, leases: book, learnerVersion: 10,
                                   policy: policy, isRegistered: { $0 != 3 }, expected: { _ in (self.prompt, nil) })
        XCTAssertEqual(round.admitted.map(\.slot), [0, 3])
        XCTAssertEqual(round.admitted.map(\.owner), [1, 3])
        XCTAssertEqual(round.admitted.map(\.checkWorker), [1, nil], "the orphan's lease is not checked against a worker")
        XCTAssertEqual(round.admitted[0].record, g(mine).encoded())
        XCTAssertEqual(round.refused.map(\.slot), [1, 2])
        XCTAssertEqual(round.refused.map(\.rejection.reason), [.duplicateLease, .wrongWorker])
    }
}
