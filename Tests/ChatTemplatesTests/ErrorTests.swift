// ErrorTests (ChatTemplateErrorTests, ChatTemplateValueTests): unsupported constructs fail at parse time with their name and line; malformed
// templates give syntax errors with positions; raise_exception and type errors at render time.
import XCTest
@testable import ChatTemplates

final class ChatTemplateErrorTests: XCTestCase {
    func parseError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> ChatTemplateError? {
        do { _ = try ChatTemplate(source); XCTFail("parsed: \(source)", file: file, line: line); return nil }
        catch let e as ChatTemplateError { return e }
        catch { XCTFail("\(error)", file: file, line: line); return nil }
    }

    func testUnsupportedTagNamesConstructAndLine() {
        let e = parseError("a\n{% for m in messages %}\n  {% call f(x) %}{{ x }}{% endcall %}\n{% endfor %}")
        XCTAssertEqual(e, .unsupported(construct: "'{% call %}' tag", SourcePosition(line: 3, column: 3)))
        XCTAssertTrue(e?.description.contains("line 3") ?? false)
        XCTAssertEqual(parseError("{% include 'x' %}"), .unsupported(construct: "'{% include %}' tag", SourcePosition(line: 1, column: 1)))
    }

    func testUnsupportedFilterTestFunctionMethod() {
        XCTAssertEqual(parseError("{{ x | wordwrap }}"), .unsupported(construct: "filter 'wordwrap'", SourcePosition(line: 1, column: 6)))
        XCTAssertEqual(parseError("{{ x is escaped }}"), .unsupported(construct: "test 'escaped'", SourcePosition(line: 1, column: 6)))
        XCTAssertEqual(parseError("\n{{ lipsum(2) }}"), .unsupported(construct: "function 'lipsum'", SourcePosition(line: 2, column: 4)))
        XCTAssertEqual(parseError("{% macro g() %}{% endmacro %}{{ g() }}{{ h(1) }}"),
                       .unsupported(construct: "function 'h'", SourcePosition(line: 1, column: 42)))
        XCTAssertEqual(parseError("{{ s.format(1) }}"), .unsupported(construct: "method '.format()'", SourcePosition(line: 1, column: 5)))
        XCTAssertEqual(parseError("{% for x in y recursive %}{% endfor %}"),
                       .unsupported(construct: "recursive for loop", SourcePosition(line: 1, column: 1)))
    }

    func testUnclosedBlocksAndTags() {
        guard case .syntax(let m, let p)? = parseError("x\n{% if a %}\nyes") else { return XCTFail() }
        XCTAssertTrue(m.contains("unclosed '{% if %}'"), m)
        XCTAssertEqual(p, SourcePosition(line: 2, column: 1))
        guard case .syntax(let m2, _)? = parseError("{% for x in y %}{% endif %}") else { return XCTFail() }
        XCTAssertTrue(m2.contains("unclosed '{% for %}'") || m2.contains("unexpected"), m2)
        guard case .syntax(let m3, let p3)? = parseError("ab {{ x ") else { return XCTFail() }
        XCTAssertTrue(m3.contains("unclosed tag"), m3)
        XCTAssertEqual(p3, SourcePosition(line: 1, column: 4))
        guard case .syntax(let m4, _)? = parseError("{# never closed") else { return XCTFail() }
        XCTAssertTrue(m4.contains("comment"), m4)
        guard case .syntax? = parseError("{% endfor %}") else { return XCTFail() }
        guard case .syntax? = parseError("{{ 'abc }}") else { return XCTFail() }
        guard case .syntax? = parseError("{{ (1 + }}") else { return XCTFail() }
        guard case .syntax? = parseError("{% frobnicate %}") else { return XCTFail() }
        guard case .syntax? = parseError("{% break %}") else { return XCTFail() }
    }

    func testRaiseExceptionCarriesMessageAndPosition() throws {
        let t = try ChatTemplate("{% for m in messages %}\n{% if m.role == 'tool' %}\n  {{ raise_exception('No tools: ' ~ m.role) }}\n{% endif %}{% endfor %}")
        XCTAssertThrowsError(try t.render(messages: [ChatMessage(role: "tool", content: "x")], addGenerationPrompt: false,
                                          bosToken: "", eosToken: "")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .raised("No tools: tool", SourcePosition(line: 3, column: 6)))
        }
        XCTAssertEqual(try t.render(messages: [ChatMessage(role: "user", content: "x")], addGenerationPrompt: false,
                                    bosToken: "", eosToken: ""), "")
    }

    func testRenderTypeErrors() throws {
        for source in ["{{ 'a' + 1 }}", "{{ nothing.attr }}", "{{ nothing | tojson }}", "{{ 1 < 'a' }}", "{% for x in 3 %}{% endfor %}",
                       "{{ {'a': 1}.items }}", "{{ 10 // 0 }}", "{% set x = 1 %}{% set x.y = 2 %}", "{{ 'a %s' % 1 }}"] {
            let t = try ChatTemplate(source)
            XCTAssertThrowsError(try t.render(context: [:]), source) { error in
                switch error as? ChatTemplateError {
                case .render?, .unsupported?: break
                default: XCTFail("\(source): \(error)")
                }
            }
        }
    }
}

final class ChatTemplateValueTests: XCTestCase {
    func testJSONKeepsKeyOrderAndNumberTypes() throws {
        let v = try JinjaValue(json: #"{"z": 1, "a": [1.5, 2e3, -0, true, null, "\u00e9\ud83d\ude42\n"], "m": {}}"#)
        guard case .object(let o) = v else { return XCTFail() }
        XCTAssertEqual(o.keys, ["z", "a", "m"])
        XCTAssertEqual(o["a"], .array([.double(1.5), .double(2000), .int(0), .bool(true), .none, .string("é🙂\n")]))
        XCTAssertThrowsError(try JinjaValue(json: "{\"a\": }"))
        XCTAssertThrowsError(try JinjaValue(json: "[1, 2"))
        XCTAssertThrowsError(try JinjaValue(json: "1 2"))
    }

    func testPythonFloatRepr() {
        let cases: [(Double, String)] = [(1, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
                                         (1e-5, "1e-05"), (0.0001, "0.0001"), (-2.5, "-2.5"), (123456.789, "123456.789"),
                                         (1.5e300, "1.5e+300"), (.infinity, "inf"), (-0.0, "-0.0"), (2.0 / 3.0, "0.6666666666666666")]
        for (d, s) in cases { XCTAssertEqual(pythonFloat(d), s) }
    }

    func testTemplateIsReusableAndSendable() async throws {
        let t = try ChatTemplate("{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}")
        let out = try await Task.detached { try t.render(messages: [ChatMessage(role: "user", content: "a")],
                                                         addGenerationPrompt: false, bosToken: "", eosToken: "") }.value
        XCTAssertEqual(out, "user:a;")
    }
}
