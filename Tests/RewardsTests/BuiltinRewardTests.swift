// The built-in reward functions, each on its own: normalisation, number extraction and
// tolerance, regex match and capture, whole-completion format, length penalty, typed errors.
import XCTest
@testable import Rewards

func input(_ completion: String, answer: JSONValue? = nil, metadata: JSONObject = [:], tokens: Int = 0, line: Int? = 1) -> RewardInput {
    RewardInput(completion: completion, completionTokens: tokens,
                row: Row(prompt: .text("q"), answer: answer, metadata: metadata, line: line))
}

final class BuiltinRewardTests: XCTestCase {
    func testExact() throws {
        XCTAssertEqual(try ExactReward().score(input("  42\n", answer: "42")), 1)
        XCTAssertEqual(try ExactReward(trim: false).score(input(" 42", answer: "42")), 0)
        XCTAssertEqual(try ExactReward().score(input("Paris", answer: "paris")), 0)
        XCTAssertEqual(try ExactReward(ignoreCase: true).score(input("Paris", answer: "paris")), 1)
        XCTAssertEqual(try ExactReward().score(input("42", answer: .int(42))), 1)  // non-strings as JSON text
        XCTAssertEqual(try ExactReward(field: "city").score(input("Rome", metadata: ["city": "Rome"])), 1)
        XCTAssertThrowsError(try ExactReward().score(input("x", line: 9))) { e in
            XCTAssertEqual(e as? RewardError, .missingField(reward: "exact", field: "answer", row: 9))
            XCTAssertEqual("\(e)", "reward exact: row at line 9 has no \"answer\"")
        }
    }

    func testNumberScanning() {
        XCTAssertEqual(Numbers.all(in: "1,000 apples, -3.5 pears, 1e3 figs and 3/4 of a cake; x-1 is 2."), [1000, -3.5, 1000, 0.75, 1, 2])
        XCTAssertEqual(Numbers.all(in: "1,2,3 and 12,3456"), [1, 2, 3, 12, 3456])
        XCTAssertEqual(Numbers.all(in: "no numbers"), [])
        XCTAssertEqual(Numbers.parse(" $1,234.50 "), 1234.5)
        XCTAssertEqual(Numbers.parse("50%"), 50)
        XCTAssertEqual(Numbers.parse("\\frac{3}{4}"), 0.75)
        XCTAssertNil(Numbers.parse("3 apples"))
        XCTAssertEqual(Numbers.gsm8k(in: "so 3 + 4 = 7\n#### 7"), 7)
        XCTAssertEqual(Numbers.boxed(in: "thus \\boxed{\\dfrac{1}{2}} and \\boxed{ {12} }"), 12)
        XCTAssertEqual(Numbers.boxed(in: "\\boxed{\\frac{1}{8}}"), 0.125)
        XCTAssertNil(Numbers.boxed(in: "\\boxed{unclosed"))
    }

    func testNumericSourcesAndTolerance() throws {
        let text = "First 3, then 5.\n#### 8\nso \\boxed{13}"
        XCTAssertEqual(try NumericReward(source: .boxed).score(input(text, answer: 13)), 1)
        XCTAssertEqual(try NumericReward(source: .gsm8k).score(input(text, answer: 8)), 1)
        XCTAssertEqual(try NumericReward(source: .last).score(input(text, answer: 13)), 1)
        XCTAssertEqual(try NumericReward(source: .any).score(input(text, answer: 5)), 1)
        XCTAssertEqual(try NumericReward(source: .last).score(input(text, answer: 5)), 0)
        XCTAssertEqual(try NumericReward(source: .auto).score(input(text, answer: 13)), 1)  // boxed wins
        XCTAssertEqual(try NumericReward(source: .auto).score(input("a 1 b\n#### 2", answer: 2)), 1)
        XCTAssertEqual(try NumericReward().score(input("The answer is 1,000.", answer: "1000")), 1)
        XCTAssertEqual(try NumericReward().score(input("0.333", answer: "1/3")), 0)
        XCTAssertEqual(try NumericReward(relativeTolerance: 1e-2).score(input("0.333", answer: "1/3")), 1)
        XCTAssertEqual(try NumericReward(relativeTolerance: 0, absoluteTolerance: 0.5).score(input("10.4", answer: 10)), 1)
        // GSM8K answer strings carry the solution and "#### N".
        XCTAssertEqual(try NumericReward().score(input("72", answer: "48/2 = 24 clips\n#### 72")), 1)
        XCTAssertEqual(try NumericReward(field: "target").score(input("7", metadata: ["target": 7.0])), 1)
        XCTAssertThrowsError(try NumericReward().score(input("7", answer: "seven", line: 4))) { e in
            guard case let .unusableField(r, f, row, _)? = e as? RewardError else { return XCTFail("\(e)") }
            XCTAssertEqual([r, f], ["numeric", "answer"])
            XCTAssertEqual(row, 4)
        }
    }

    func testRegexMatchAndCapture() throws {
        let match = try RegexReward(pattern: "\\bAnswer:")
        XCTAssertEqual(try match.score(input("Answer: 5")), 1)
        XCTAssertEqual(try match.score(input("answer: 5")), 0)
        XCTAssertEqual(try RegexReward(pattern: "\\bAnswer:", ignoreCase: true).score(input("answer: 5")), 1)
        let capture = try RegexReward(pattern: "Answer:\\s*(\\w+)", group: .index(1))
        XCTAssertEqual(try capture.score(input("Answer: Paris", answer: "Paris")), 1)
        XCTAssertEqual(try capture.score(input("Answer: Rome", answer: "Paris")), 0)
        XCTAssertEqual(try capture.score(input("nothing", answer: "Paris")), 0)
        let named = try RegexReward(pattern: "<city>(?<c>[^<]*)</city>", group: .named("c"), field: "city")
        XCTAssertEqual(try named.score(input("<city> Oslo </city>", metadata: ["city": "Oslo"])), 1)
        XCTAssertThrowsError(try named.score(input("<city>Oslo</city>"))) { e in
            XCTAssertEqual(e as? RewardError, .missingField(reward: "regex", field: "city", row: 1))
        }
        XCTAssertThrowsError(try RegexReward(pattern: "(a)", group: .index(2))) { e in
            guard case let .badRegex(_, p, why)? = e as? RewardSpecError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, "(a)")
            XCTAssertTrue(why.contains("1 capture group"), why)
        }
        XCTAssertThrowsError(try RegexReward(pattern: "(a)", group: .named("x")))
    }

    func testFormatIsWholeCompletion() throws {
        let digits = try FormatReward(pattern: "\\d+")
        XCTAssertEqual(try digits.score(input("42")), 1)
        XCTAssertEqual(try digits.score(input(" 42\n")), 1)  // trimmed by default
        XCTAssertEqual(try FormatReward(pattern: "\\d+", trim: false).score(input(" 42\n")), 0)
        XCTAssertEqual(try digits.score(input("42 is it")), 0)
        XCTAssertEqual(try digits.score(input("x42")), 0)
        XCTAssertEqual(try FormatReward(pattern: "^\\d+$").score(input("42")), 1)
        XCTAssertEqual(try FormatReward(pattern: "\\d+|\\d+x").score(input("12x")), 1)  // not just the first alternative
        XCTAssertThrowsError(try FormatReward(pattern: "(\\d+")) { e in
            guard case let .badRegex(r, p, _)? = e as? RewardSpecError else { return XCTFail("\(e)") }
            XCTAssertEqual([r, p], ["format", "(\\d+"])
        }
    }

    func testLengthPenaltyIsLinearBeyondBudget() throws {
        let l = LengthReward(budget: 100, ramp: 50, maxPenalty: 0.5)
        XCTAssertEqual(l.range, -0.5...0)
        XCTAssertEqual(try l.score(input("", tokens: 80)), 0)
        XCTAssertEqual(try l.score(input("", tokens: 100)), 0)
        XCTAssertEqual(try l.score(input("", tokens: 125)), -0.25, accuracy: 1e-12)
        XCTAssertEqual(try l.score(input("", tokens: 150)), -0.5, accuracy: 1e-12)
        XCTAssertEqual(try l.score(input("", tokens: 400)), -0.5, accuracy: 1e-12)
        XCTAssertEqual(try LengthReward(budget: 10).score(input("", tokens: 15)), -0.5, accuracy: 1e-12)  // ramp = budget
    }
}
