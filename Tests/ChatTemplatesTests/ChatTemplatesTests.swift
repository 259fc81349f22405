// ChatTemplatesTests: renders the real templates of SmolLM2, Qwen2.5 and Llama 3/3.1/3.2 and
// small expression templates, and compares byte for byte with Python Jinja2 configured as
// transformers configures it (Fixtures/make_fixtures.py writes the expected strings).
import XCTest
@testable import ChatTemplates

/// The instant the fixtures' strftime_now formats (2024-09-05 14:03:07 UTC).
let fixtureNow: Date = {
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC") ?? .current
    return cal.date(from: DateComponents(year: 2024, month: 9, day: 5, hour: 14, minute: 3, second: 7)) ?? Date()
}()
let utc = TimeZone(identifier: "UTC") ?? .current

func fixtureURL(_ name: String) throws -> URL {
    guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw XCTSkip("Fixtures folder not bundled")
    }
    return dir.appendingPathComponent(name)
}

/// A fixture JSON file's "cases" array.
func fixtureCases(_ file: String) throws -> [JinjaObject] {
    let text = try String(contentsOf: try fixtureURL(file), encoding: .utf8)
    guard case .object(let root) = try JinjaValue(json: text), case .array(let cases)? = root["cases"] else {
        XCTFail("\(file): no cases"); return []
    }
    return cases.compactMap { if case .object(let o) = $0 { return o }; return nil }
}

func str(_ v: JinjaValue?) -> String? { if case .string(let s)? = v { return s }; return nil }

final class ConversationFixtureTests: XCTestCase {
    func testRealTemplatesMatchJinja2() throws {
        let cases = try fixtureCases("conversations.json")
        XCTAssertGreaterThanOrEqual(cases.count, 80)
        var templates: [String: ChatTemplate] = [:]
        var checked = 0
        for c in cases {
            guard let model = str(c["template"]), let name = str(c["name"]),
                  case .array(let messages)? = c["messages"], case .bool(let agp)? = c["add_generation_prompt"],
                  let bos = str(c["bos_token"]), let eos = str(c["eos_token"]) else {
                XCTFail("malformed case \(c)"); continue
            }
            let label = "\(model)/\(name)/agp=\(agp)"
            if templates[model] == nil {
                let source = try String(contentsOf: try fixtureURL("templates/\(model).jinja"), encoding: .utf8)
                templates[model] = try ChatTemplate(source)
            }
            guard let template = templates[model] else { continue }
            do {
                let out = try template.render(messages: messages, addGenerationPrompt: agp, bosToken: bos, eosToken: eos,
                                              extra: ["tools": c["tools"] ?? .none], now: fixtureNow, timeZone: utc)
                if let expected = str(c["expected"]) {
                    XCTAssertEqual(Array(out.unicodeScalars), Array(expected.unicodeScalars), label)
                    if out != expected { print("GOT:\n\(out)\nEXPECTED:\n\(expected)") }
                } else {
                    XCTFail("\(label): rendered but Jinja2 raised \(str(c["error"]) ?? "?")")
                }
            } catch let e as ChatTemplateError {
                guard let expected = str(c["error"]) else { XCTFail("\(label): \(e)"); continue }
                guard case .raised(let message, _) = e else { XCTFail("\(label): \(e), expected raise"); continue }
                XCTAssertEqual(message, expected, label)
            }
            checked += 1
        }
        XCTAssertEqual(checked, cases.count)
    }

    func testChatMessageAPIMatchesDictMessages() throws {
        let source = try String(contentsOf: try fixtureURL("templates/llama3.1.jinja"), encoding: .utf8)
        let t = try ChatTemplate(source)
        let out = try t.render(messages: [ChatMessage(role: "system", content: " Be brief. "),
                                          ChatMessage(role: "user", content: "Hi")],
                               addGenerationPrompt: true, bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>")
        XCTAssertEqual(out, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
            + "December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>"
            + "\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }
}

final class ExpressionFixtureTests: XCTestCase {
    func testExpressionsMatchJinja2() throws {
        let cases = try fixtureCases("expressions.json")
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        for c in cases {
            guard let name = str(c["name"]), let source = str(c["template"]), case .object(let vars)? = c["variables"] else {
                XCTFail("malformed case \(c)"); continue
            }
            var context: [String: JinjaValue] = [:]
            for (k, v) in vars.pairs { context[k] = v }
            do {
                let out = try ChatTemplate(source).render(context: context, now: fixtureNow, timeZone: utc)
                if let expected = str(c["expected"]) {
                    XCTAssertEqual(Array(out.unicodeScalars), Array(expected.unicodeScalars), name)
                } else {
                    XCTFail("\(name): rendered \(out.debugDescription) but Jinja2 raised \(str(c["error"]) ?? "?")")
                }
            } catch let e as ChatTemplateError {
                guard let expected = str(c["error"]) else { XCTFail("\(name): \(e)"); continue }
                if name.hasPrefix("raise") {
                    XCTAssertEqual(e, .raised(expected, SourcePosition(line: 1, column: 14)), name)
                } else {
                    guard case .render = e else { XCTFail("\(name): \(e), expected a render error"); continue }
                }
            }
        }
    }
}
