// copy / reverse / sort: prompt layout, determinism, train/eval disjointness,
// answers, demonstrations and the reference's held-out rule.

import XCTest
@testable import Tasks

final class DigitTaskTests: XCTestCase {
    func testReversePromptLayoutMatchesReference() throws {
        let task = try DigitStringTask(kind: .reverse)
        XCTAssertEqual(task.maxPromptTokens, 8)       // BOS + 6 digits + SEP
        XCTAssertEqual(task.maxCompletionTokens, 7)   // 6 digits + EOS
        for i in 0..<200 {
            let p = task.prompt(seed: 1, index: i, split: .train)
            XCTAssertEqual(p.question.count, 6)
            XCTAssertTrue(p.question.allSatisfy(\.isNumber))
            XCTAssertEqual(p.tokens, [10] + p.question.map { Int(String($0))! } + [11])
            XCTAssertEqual(p.answer, String(p.question.reversed()))
            XCTAssertEqual(task.demonstration(for: p), p.answer.map { Int(String($0))! } + [12])
        }
    }

    func testHeldOutRuleMatchesReferenceCRC() {
        XCTAssertEqual(HeldOut.crc32(Array("123456789".utf8)), 0xCBF4_3926)  // the standard check value
        XCTAssertEqual(HeldOut.crc32(Array("héllo wörld".utf8)), 0x151D_5FB9)  // from Python's zlib.crc32
        // First held-out 6-digit strings under `zlib.crc32(s) % 20 == 0`, computed with Python.
        let heldOut = ["000003", "000008", "000083", "000088", "000106", "000110", "000133", "000138", "000150", "000159"]
        let mine = (0..<160).map { zeroPadded($0, width: 6) }.filter { HeldOut.split(of: $0) == .eval }
        XCTAssertEqual(mine, heldOut)
    }

    func testDeterministicFromSeedIndexSplit() throws {
        let a = try DigitStringTask(kind: .reverse)
        let b = try DigitStringTask(kind: .reverse)
        for split in Split.allCases {
            for i in 0..<300 {
                XCTAssertEqual(a.prompt(seed: 42, index: i, split: split), b.prompt(seed: 42, index: i, split: split))
            }
        }
        let s1 = (0..<100).map { a.prompt(seed: 1, index: $0, split: .train).question }
        let s2 = (0..<100).map { a.prompt(seed: 2, index: $0, split: .train).question }
        XCTAssertGreaterThan(zip(s1, s2).filter { $0 != $1 }.count, 90)
        XCTAssertGreaterThan(Set(s1).count, 95)  // indices give different prompts
    }

    func testTrainAndEvalNeverOverlapLargeSpace() throws {
        for kind in DigitStringTask.Kind.allCases {
            let task = try DigitStringTask(kind: kind, digits: 4)  // 10^4 strings: many collisions within a split
            let train = Set((0..<4000).map { task.prompt(seed: 3, index: $0, split: .train).question })
            let eval = Set((0..<4000).map { task.prompt(seed: 3, index: $0, split: .eval).question })
            XCTAssertTrue(train.isDisjoint(with: eval), "\(kind)")
            XCTAssertGreaterThan(eval.count, 300)
            XCTAssertEqual(train.count + (task.count(of: .eval) ?? 0) <= 10_000, true)
            XCTAssertEqual((task.count(of: .train) ?? 0) + (task.count(of: .eval) ?? 0), 10_000)
        }
        let six = try DigitStringTask(kind: .reverse)
        XCTAssertNil(six.count(of: .train))  // 10^6 strings: not counted exactly
        let train = Set((0..<5000).map { six.prompt(seed: 9, index: $0, split: .train).question })
        let eval = Set((0..<5000).map { six.prompt(seed: 9, index: $0, split: .eval).question })
        XCTAssertTrue(train.isDisjoint(with: eval))
    }

    func testSmallSpaceCoveredExactly() throws {
        let task = try DigitStringTask(kind: .copy, digits: 2)
        let evalCount = try XCTUnwrap(task.count(of: .eval))
        XCTAssertEqual(evalCount + task.count(of: .train)!, 100)
        let eval = Set((0..<3000).map { task.prompt(seed: 0, index: $0, split: .eval).question })
        XCTAssertEqual(eval.count, evalCount)  // every held-out string is reachable
        let train = Set((0..<3000).map { task.prompt(seed: 0, index: $0, split: .train).question })
        XCTAssertEqual(train.count, 100 - evalCount)
        XCTAssertTrue(train.isDisjoint(with: eval))
    }

    func testTinySpaceAndEmptySplitRejected() throws {
        // Of "0"…"9" only "6" has crc32 % 20 == 0 (Python's zlib agrees).
        let task = try DigitStringTask(kind: .copy, digits: 1)
        XCTAssertEqual(task.count(of: .eval), 1)
        XCTAssertEqual(task.count(of: .train), 9)
        XCTAssertEqual(Set((0..<50).map { task.prompt(seed: 0, index: $0, split: .eval).question }), ["6"])
        XCTAssertThrowsError(try SplitCounts(task: "x") { $0 < 3 ? String($0) : nil }) {
            XCTAssertEqual($0 as? TaskSpecError, .emptySplit(task: "x", split: .eval, spaceSize: 3))
        }
    }

    func testVariableLength() throws {
        let task = try DigitStringTask(kind: .reverse, digits: 8, minDigits: 3)
        XCTAssertEqual(task.maxPromptTokens, 10)
        let lengths = Set((0..<600).map { task.prompt(seed: 5, index: $0, split: .train).question.count })
        XCTAssertEqual(lengths, Set(3...8))
    }

    func testAnswersAndDemonstrationsVerify() throws {
        for kind in DigitStringTask.Kind.allCases {
            for partial in [false, true] {
                let task = try DigitStringTask(kind: kind, digits: 7, partialCredit: partial)
                for i in 0..<100 {
                    let p = task.prompt(seed: 11, index: i, split: i % 2 == 0 ? .train : .eval)
                    switch kind {
                    case .copy: XCTAssertEqual(p.answer, p.question)
                    case .reverse: XCTAssertEqual(p.answer, String(p.question.reversed()))
                    case .sort:
                        XCTAssertEqual(p.answer.count, p.question.count)
                        XCTAssertEqual(Array(p.answer), Array(p.question).sorted())
                    }
                    let demo = task.demonstration(for: p)
                    XCTAssertEqual(task.verify(prompt: p, completion: demo), Verdict(reward: 1, correct: true))
                    XCTAssertLessThanOrEqual(demo.count, task.maxCompletionTokens)
                    var wrong = demo
                    wrong[0] = (wrong[0] + 1) % 10
                    let v = task.verify(prompt: p, completion: wrong)
                    XCTAssertFalse(v.correct)
                    XCTAssertEqual(v.reward, partial ? 6.0 / 7.0 : 0, accuracy: 1e-6)
                }
            }
        }
    }

    func testInvalidDigits() {
        XCTAssertThrowsError(try DigitStringTask(kind: .sort, digits: 0))
        XCTAssertThrowsError(try DigitStringTask(kind: .sort, digits: 5, minDigits: 6)) {
            guard case .invalidValue(_, "min_digits", "6", _)? = $0 as? TaskSpecError else { return XCTFail("\($0)") }
        }
    }
}

final class EvaluationSetTests: XCTestCase {
    func testDistinctHeldOutAndDeterministic() throws {
        let task = try DigitStringTask(kind: .reverse)
        let set = task.evaluationSet(seed: 12345, size: 1000)
        XCTAssertEqual(set.count, 1000)
        XCTAssertEqual(Set(set.map(\.question)).count, 1000)
        XCTAssertTrue(set.allSatisfy { $0.split == .eval && HeldOut.split(of: $0.question) == .eval })
        XCTAssertEqual(task.evaluationSet(seed: 12345, size: 1000), set)
        // A small split caps the set at its size.
        let tiny = try DigitStringTask(kind: .copy, digits: 2)
        XCTAssertEqual(tiny.evaluationSet(seed: 0, size: 1000).count, tiny.count(of: .eval))
    }
}
