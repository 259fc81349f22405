// Rows: prompt or messages, answer of any type, metadata kept in order; typed errors with lines.
import XCTest
@testable import Rewards

final class RowTests: XCTestCase {
    func testPromptAnswerAndMetadataInOrder() throws {
        let rows = try Row.parseJSONL("""
        {"id": "q1", "prompt": "2+2?", "answer": 4, "difficulty": 0.5, "tags": ["arith"]}

        {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}], "answer": {"text": "hello"}}\r
        {"prompt": "no answer here", "source": null}
        """)
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0].prompt, .text("2+2?"))
        XCTAssertEqual(rows[0].answer, .int(4))
        XCTAssertEqual(rows[0].metadata.keys, ["id", "difficulty", "tags"])
        XCTAssertEqual(rows[0].metadata["tags"], .array([.string("arith")]))
        XCTAssertEqual(rows[0].line, 1)
        XCTAssertEqual(rows[1].line, 3)
        XCTAssertEqual(rows[1].prompt, .messages([ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "hi")]))
        XCTAssertEqual(rows[1].answer, .object(["text": .string("hello")]))
        XCTAssertTrue(rows[1].metadata.isEmpty)
        XCTAssertNil(rows[2].answer)
        XCTAssertEqual(rows[2].metadata["source"], .null)
        XCTAssertEqual(rows[0].field("answer"), .int(4))
        XCTAssertEqual(rows[0].field("difficulty"), .double(0.5))
        XCTAssertEqual(rows[0].json.keys, ["prompt", "answer", "id", "difficulty", "tags"])
    }

    func testTypedErrorsNameTheLine() {
        func error(_ text: String) -> RowError? {
            do { _ = try Row.parseJSONL(text); return nil } catch { return error }
        }
        XCTAssertEqual(error("{\"prompt\": \"a\"}\n[1]"), .notAnObject(line: 2, found: "an array"))
        XCTAssertEqual(error("\n\n{\"answer\": 1}"), .missingPrompt(line: 3))
        XCTAssertEqual(error(#"{"prompt": "a", "messages": []}"#), .promptAndMessages(line: 1))
        XCTAssertEqual(error(#"{"prompt": 5}"#), .badPrompt(line: 1, found: "an integer"))
        XCTAssertEqual(error(#"{"messages": [{"role": "user"}]}"#), .badMessages(line: 1, reason: "item 0 needs string \"role\" and \"content\""))
        XCTAssertEqual(error(#"{"messages": []}"#), .badMessages(line: 1, reason: "is empty"))
        guard case let .invalidJSON(e)? = error("{\"prompt\": \"a\"}\n{\"prompt\": }") else { return XCTFail("expected invalidJSON") }
        XCTAssertEqual(e.line, 2)
        XCTAssertEqual(e.column, 12)
        XCTAssertTrue(RowError.missingPrompt(line: 3).description.contains("line 3"))
    }
}
