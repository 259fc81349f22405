// The verifier: exact match, what after-end and truncated completions mean,
// and partial credit including its wrong-length penalty.

import XCTest
@testable import Tasks
import Tensor

final class VerifierTests: XCTestCase {
    let end = 12
    let answer = [6, 5, 4, 3, 2, 1]

    func judge(_ completion: [Int], partial: Bool = false) -> Verdict {
        Verifier.judge(answer: answer, completion: completion, end: end, partialCredit: partial)
    }

    func testExactMatchWithEnd() {
        XCTAssertEqual(judge(answer + [end]), Verdict(reward: 1, correct: true))
        XCTAssertEqual(judge(answer + [end], partial: true), Verdict(reward: 1, correct: true))
    }

    func testTokensAfterEndAreIgnored() {
        XCTAssertEqual(judge(answer + [end, 13, 13, 7]), Verdict(reward: 1, correct: true))
        XCTAssertEqual(judge([6, 5, 4, end] + Array(answer[3...])), Verdict(reward: 0, correct: false))
    }

    func testTruncatedCompletionJudgedOnWhatItHas() {
        XCTAssertEqual(judge(answer), Verdict(reward: 1, correct: true))
        XCTAssertEqual(judge(answer + [1]), Verdict(reward: 0, correct: false))  // limit reached, no end
        XCTAssertEqual(judge(Array(answer.prefix(3))), Verdict(reward: 0, correct: false))
    }

    func testBinaryRewardByDefault() {
        XCTAssertEqual(judge([6, 5, 4, 3, 2, 9, end]), Verdict(reward: 0, correct: false))
        XCTAssertEqual(judge([end]), Verdict(reward: 0, correct: false))
    }

    func testPartialCreditSameLength() {
        let v = judge([6, 5, 0, 3, 0, 1, end], partial: true)
        XCTAssertFalse(v.correct)
        XCTAssertEqual(v.reward, 4.0 / 6.0, accuracy: 1e-6)
        XCTAssertEqual(judge([0, 0, 0, 0, 0, 0, end], partial: true).reward, 0)
    }

    func testPartialCreditWrongLengthPenalised() {
        // Too short: missing positions count as wrong.
        XCTAssertEqual(judge([6, 5, 4, end], partial: true).reward, 3.0 / 6.0, accuracy: 1e-6)
        // Too long: extra positions count as wrong (denominator is the longer length).
        XCTAssertEqual(judge(answer + [1, 1, end], partial: true).reward, 6.0 / 8.0, accuracy: 1e-6)
        XCTAssertFalse(judge(answer + [1, 1, end], partial: true).correct)
        // Empty completion.
        XCTAssertEqual(judge([end], partial: true), Verdict(reward: 0, correct: false))
        // Special tokens inside the answer are just wrong positions.
        XCTAssertEqual(judge([6, 13, 4, 3, 2, 1, end], partial: true).reward, 5.0 / 6.0, accuracy: 1e-6)
    }

    func testEmptyAnswer() {
        XCTAssertEqual(Verifier.judge(answer: [], completion: [end], end: end, partialCredit: true), Verdict(reward: 1, correct: true))
        XCTAssertEqual(Verifier.judge(answer: [], completion: [3, end], end: end, partialCredit: true), Verdict(reward: 0, correct: false))
    }

    func testRewardAlwaysInUnitInterval() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let n = Int.random(in: 0...10, using: &rng)
            let completion = (0..<n).map { _ in Int.random(in: 0...15, using: &rng) }
            for partial in [false, true] {
                let v = judge(completion, partial: partial)
                XCTAssertTrue((0...1).contains(v.reward))
                XCTAssertEqual(v.correct, v.reward == 1)
            }
        }
    }
}
