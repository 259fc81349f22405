// add: layout with and without padding, correct sums, split disjointness.

import XCTest
@testable import Tasks

final class AdditionTaskTests: XCTestCase {
    func operands(_ q: String) -> (Int, Int) {
        let parts = q.split(separator: "+")
        return (Int(parts[0])!, Int(parts[1])!)
    }

    func testPaddedLayoutAndSums() throws {
        let task = try AdditionTask(digits: 3)
        XCTAssertEqual(task.tokenizer.vocabSize, 16)
        XCTAssertEqual(try task.tokenizer.encode("+"), [10])
        XCTAssertEqual(task.maxPromptTokens, 9)       // begin + 3 + "+" + 3 + sep
        XCTAssertEqual(task.maxCompletionTokens, 5)   // 4 digits + end
        for i in 0..<300 {
            let p = task.prompt(seed: 4, index: i, split: .train)
            XCTAssertEqual(p.question.count, 7)
            XCTAssertEqual(p.answer.count, 4)
            let (a, b) = operands(p.question)
            XCTAssertEqual(Int(p.answer), a + b)
            XCTAssertEqual(p.tokens.count, task.maxPromptTokens)
            XCTAssertEqual(task.verify(prompt: p, completion: task.demonstration(for: p)).correct, true)
        }
    }

    func testUnpaddedLayout() throws {
        let task = try AdditionTask(digits: 2, pad: false)
        var sawShort = false
        for i in 0..<300 {
            let p = task.prompt(seed: 4, index: i, split: .eval)
            let (a, b) = operands(p.question)
            XCTAssertEqual(p.question, "\(a)+\(b)")
            XCTAssertEqual(p.answer, String(a + b))
            XCTAssertLessThanOrEqual(p.tokens.count, task.maxPromptTokens)
            sawShort = sawShort || p.tokens.count < task.maxPromptTokens
        }
        XCTAssertTrue(sawShort)
    }

    func testTrainEvalDisjointAndCounted() throws {
        let task = try AdditionTask(digits: 2)  // 10^4 problems, counted exactly
        XCTAssertEqual(task.count(of: .train)! + task.count(of: .eval)!, 10_000)
        let train = Set((0..<5000).map { task.prompt(seed: 8, index: $0, split: .train).question })
        let eval = Set((0..<5000).map { task.prompt(seed: 8, index: $0, split: .eval).question })
        XCTAssertTrue(train.isDisjoint(with: eval))
        XCTAssertTrue(eval.allSatisfy { HeldOut.split(of: $0) == .eval })
    }

    func testPartialCreditOption() throws {
        let task = try AdditionTask(digits: 3, partialCredit: true)
        let p = task.prompt(seed: 0, index: 0, split: .train)
        var wrong = task.demonstration(for: p)
        wrong[3] = (wrong[3] + 1) % 10
        XCTAssertEqual(task.verify(prompt: p, completion: wrong).reward, 0.75, accuracy: 1e-6)
        XCTAssertEqual(try AdditionTask(digits: 3).verify(prompt: p, completion: wrong).reward, 0)
    }

    func testInvalidDigits() {
        XCTAssertThrowsError(try AdditionTask(digits: 10))
        XCTAssertThrowsError(try AdditionTask(digits: 0))
    }
}
