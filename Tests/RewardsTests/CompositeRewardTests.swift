// The composite reward: weighted totals, per-component values, correct rules, and failures
// (missing metadata, non-finite values) that become typed, counted zeros instead of NaN.
import XCTest
@testable import Rewards

/// A reward that returns whatever the row's "value" metadata says (NaN and ±inf included).
struct EchoReward: RewardFunction {
    var name: String { "echo" }
    var range: ClosedRange<Double> { 0...1 }
    func score(_ input: RewardInput) throws(RewardError) -> Double {
        guard let v = input.row.metadata["value"]?.stringValue.flatMap(Double.init) else {
            throw .missingField(reward: name, field: "value", row: input.row.line)
        }
        return v
    }
}

final class CompositeRewardTests: XCTestCase {
    /// The arith-chat reward of issue 15: numeric anywhere 0.5 + format 0.5, correct = both.
    private func arith() throws -> CompositeReward {
        try CompositeReward(specs: try RewardSpec.parseList(#"""
        [{"name": "numeric", "from": "any", "weight": 0.5}, {"name": "format", "pattern": "-?\\d+", "weight": 0.5}]
        """#))
    }

    func testWeightedTotalAndComponents() throws {
        let r = try arith()
        let both = r.score(input("7", answer: 7))
        XCTAssertEqual(both.total, 1)
        XCTAssertTrue(both.correct)
        XCTAssertEqual(both.components.map(\.label), ["numeric", "format"])
        XCTAssertEqual(both.components.map(\.value), [1, 1])
        let wordy = r.score(input("The answer is 7.", answer: 7))
        XCTAssertEqual(wordy.total, 0.5)
        XCTAssertFalse(wordy.correct)
        XCTAssertEqual(wordy.components.map(\.value), [1, 0])
        let wrong = r.score(input("8", answer: 7))
        XCTAssertEqual(wrong.total, 0.5)
        XCTAssertEqual(wrong.components.map(\.value), [0, 1])
        XCTAssertTrue(r.isLocal)
    }

    func testCorrectRules() throws {
        let specs = try RewardSpec.parseList(#"[{"name": "numeric", "from": "any"}, {"name": "length", "budget": 2, "weight": 0.5}]"#)
        let sample = input("it is 7", answer: 7, tokens: 4)  // over budget: length = -1
        func correct(_ rule: String) throws -> Bool { try CompositeReward(specs: specs, correct: CorrectRule(parsing: rule)).score(sample).correct }
        XCTAssertFalse(try correct("all"))
        XCTAssertTrue(try correct("numeric"))
        XCTAssertFalse(try correct("length"))
        XCTAssertTrue(try correct("numeric>=0.5"))
        XCTAssertTrue(try correct("total>=0.5"))
        XCTAssertFalse(try correct("total>=0.6"))
        XCTAssertEqual(try CompositeReward(specs: specs).score(sample).total, 0.5)
        XCTAssertEqual(try CorrectRule(parsing: "numeric >= 1"), .atLeast("numeric", 1))
        XCTAssertThrowsError(try CompositeReward(specs: specs, correct: .atMax("format"))) { e in
            guard case .badCorrectRule? = e as? RewardSpecError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try CorrectRule(parsing: "total>=lots"))
        XCTAssertThrowsError(try CompositeReward(specs: specs + specs)) { e in
            XCTAssertEqual(e as? RewardSpecError, .duplicateLabel("numeric"))
        }
    }

    func testFailuresAreTypedZerosNeverNaN() throws {
        let r = try CompositeReward(components: [
            RewardComponent(label: "echo", weight: 2, source: .local(EchoReward())),
            RewardComponent(label: "exact", weight: 1, source: .local(ExactReward())),
        ])
        let nan = r.score(input("x", answer: "x", metadata: ["value": "nan"], line: 12))
        XCTAssertEqual(nan.total, 1)
        XCTAssertFalse(nan.correct)
        XCTAssertEqual(nan.failures.map(\.kind), [.nonFinite])
        XCTAssertTrue(nan.failures[0].message.contains("reward echo (row at line 12)"), nan.failures[0].message)
        let inf = r.score(input("x", answer: "x", metadata: ["value": "inf"]))
        XCTAssertEqual(inf.failures.map(\.kind), [.nonFinite])
        XCTAssertTrue(inf.total.isFinite)
        let missing = r.score(input("x", metadata: ["value": "0.5"], line: 3))
        XCTAssertEqual(missing.total, 1)
        XCTAssertEqual(missing.failures, [RewardFailure(kind: .rowError, message: "reward exact: row at line 3 has no \"answer\"")])
        // Large finite values whose weighted sum overflows still give a finite total.
        let huge = try CompositeReward(components: [
            RewardComponent(label: "a", weight: 1e308, source: .local(EchoReward())),
            RewardComponent(label: "b", weight: 1e308, source: .local(EchoReward())),
        ]).score(input("", metadata: ["value": "10"]))
        XCTAssertTrue(huge.total.isFinite)
        var counts = FailureCounts()
        for s in [nan, inf, missing] { s.failures.forEach { counts.record($0) } }
        XCTAssertEqual(counts[.nonFinite], 2)
        XCTAssertEqual(counts[.rowError], 1)
        XCTAssertEqual(counts.total, 3)
    }

    func testBatchScoringOfLocalComponentsMatchesSingle() async throws {
        let r = try arith()
        let inputs = [input("7", answer: 7), input("so 7", answer: 7), input("8", answer: 7)]
        let batch = await r.score(batch: inputs)
        XCTAssertEqual(batch, inputs.map(r.score))
    }
}

final class RewardSummaryTests: XCTestCase {
    func testMeansAccuracyAndFailures() throws {
        let r = try CompositeReward(specs: try RewardSpec.parseList(#"[{"name": "numeric", "from": "any", "weight": 0.5}, {"name": "format", "pattern": "\\d+", "weight": 0.5}]"#))
        var a = RewardSummary(), b = RewardSummary()
        a.add(r.score(input("7", answer: 7)))
        a.add(r.score(input("is 7", answer: 7)))
        b.add(r.score(input("7", answer: "seven")))  // numeric fails: the answer is not a number
        a.merge(b)
        XCTAssertEqual(a.samples, 3)
        XCTAssertEqual(a.accuracy, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(a.meanTotal, (1 + 0.5 + 0.5) / 3, accuracy: 1e-12)
        XCTAssertEqual(a.mean(of: "numeric") ?? -1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(a.mean(of: "format") ?? -1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(a.componentAtMax, ["numeric": 2, "format": 2])
        XCTAssertEqual(a.failures[.rowError], 1)
        XCTAssertNil(a.mean(of: "length"))
    }
}
