// JSONValue and its parser: key order, exact integers, strictness, error positions, and
// agreement with Foundation's JSONSerialization on what it accepts.
import Foundation
import XCTest
@testable import Rewards

final class JSONValueTests: XCTestCase {
    func testKeepsKeyOrderAndExactIntegers() throws {
        let text = #"{"z":1,"a":[true,null,-0.5,"x\"y"],"m":{"b":9007199254740993,"a":1e3}}"#
        let v = try JSONValue.parse(text)
        guard case let .object(o) = v else { return XCTFail("not an object") }
        XCTAssertEqual(o.keys, ["z", "a", "m"])
        XCTAssertEqual(o["m"]?.objectValue?.keys, ["b", "a"])
        XCTAssertEqual(o["m"]?.objectValue?["b"], .int(9_007_199_254_740_993))  // not representable as Double
        XCTAssertEqual(o["m"]?.objectValue?["a"], .double(1000))
        XCTAssertEqual(o["z"], .int(1))
        XCTAssertEqual(v.serialized(), #"{"z":1,"a":[true,null,-0.5,"x\"y"],"m":{"b":9007199254740993,"a":1000.0}}"#)
        XCTAssertEqual(try JSONValue.parse(v.serialized()), v)
    }

    func testEscapesAndUnicodeRoundTrip() throws {
        let v = try JSONValue.parse(#""tab\t nl\n \u00e9 \ud83d\ude00 \u0001 \/""#)
        XCTAssertEqual(v, .string("tab\t nl\n é 😀 \u{01} /"))
        XCTAssertEqual(try JSONValue.parse(v.serialized()), v)
        // Foundation reads our output the same way.
        let back = try JSONSerialization.jsonObject(with: Data(v.serialized().utf8), options: .fragmentsAllowed) as? String
        XCTAssertEqual(back, "tab\t nl\n é 😀 \u{01} /")
    }

    func testErrorsNameLineAndColumn() {
        func reason(_ text: String, line: Int = 1) -> JSONParseError? {
            do { _ = try JSONValue.parse(text, line: line); return nil } catch { return error }
        }
        XCTAssertEqual(reason(#"{"a": 1,}"#, line: 7), JSONParseError(reason: .unexpectedCharacter("'}'"), line: 7, column: 9))
        XCTAssertEqual(reason(#"{"a": 1, "a": 2}"#)?.reason, .duplicateKey("a"))
        XCTAssertEqual(reason("[1, 2")?.reason, .unexpectedEnd)
        XCTAssertEqual(reason("01")?.reason, .invalidNumber("01"))
        XCTAssertEqual(reason("1.")?.reason, .invalidNumber("1."))
        XCTAssertEqual(reason("1e999")?.reason, .invalidNumber("1e999"))
        XCTAssertEqual(reason("NaN")?.reason, .unexpectedCharacter("'N'"))
        XCTAssertEqual(reason("{} x")?.reason, .trailingCharacters)
        XCTAssertEqual(reason("\"a\nb\"")?.reason, .controlCharacterInString)
        XCTAssertEqual(reason(#""\x""#)?.reason, .invalidEscape)
        XCTAssertEqual(reason(#""\ud800x""#)?.reason, .invalidUnicodeEscape)
        XCTAssertEqual(reason(String(repeating: "[", count: 300))?.reason, .tooDeep(limit: JSONValue.maxDepth))
        XCTAssertEqual(reason("[\n1,\n?]")?.line, 3)
        XCTAssertEqual(reason("[\n1,\n?]")?.description, "line 3, column 1: unexpected character '?'")
    }

    func testNonFiniteOnlyWhenAllowed() throws {
        let v = try JSONValue.parse("[NaN, Infinity, -Infinity, -1]", allowNonFinite: true)
        let d = v.arrayValue?.compactMap(\.doubleValue) ?? []
        XCTAssertTrue(d[0].isNaN)
        XCTAssertEqual(Array(d[1...]), [.infinity, -.infinity, -1])
        XCTAssertEqual(JSONValue.double(.nan).serialized(), "null")
    }

    func testCodableThroughFoundation() throws {
        let v: JSONValue = .object(["a": .int(1), "b": .array([.double(2.5), .string("s"), .null, .bool(false)])])
        let data = try JSONEncoder().encode(v)
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: data), v)
        XCTAssertEqual(try JSONValue.parse(String(decoding: data, as: UTF8.self)), v)
    }

    /// Whatever JSONSerialization accepts, we accept with the same values (and vice versa on these).
    func testAgreesWithJSONSerialization() throws {
        let samples = [#"{"a":[1,2.5,"x",null,true,{"b":-3e-2}]}"#, #"[]"#, #"{"k":"\u00fc\u20ac"}"#, #"[0,-0,1E2,1e+2]"#]
        for s in samples {
            let ours = try JSONValue.parse(s)
            let theirs = try JSONSerialization.jsonObject(with: Data(s.utf8))
            let reencoded = try JSONSerialization.data(withJSONObject: theirs)
            XCTAssertEqual(Self.normalised(ours), Self.normalised(try JSONValue.parse(String(decoding: reencoded, as: UTF8.self))), s)
        }
    }

    /// Numbers as doubles, so 1e2 and 100 compare equal (JSONSerialization rewrites them).
    private static func normalised(_ v: JSONValue) -> JSONValue {
        switch v {
        case let .int(i): return .double(Double(i))
        case let .array(a): return .array(a.map(normalised))
        case let .object(o): return .object(JSONObject(o.map { ($0.key, normalised($0.value)) }))
        default: return v
        }
    }
}

final class HostileInputTests: XCTestCase {
    /// Random strings over JSON's and numbers' punctuation: the parser and the number scanner
    /// must return or throw, never crash, and what parses must round-trip.
    func testRandomInputNeverCrashes() throws {
        let alphabet = Array("{}[]\",:\\/0123456789.eE+-tfnul aA\u{e9}\n#$%boxed{frac}")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        var parsed = 0
        for _ in 0..<5000 {
            let text = String((0..<(next() % 24)).map { _ in alphabet[next() % alphabet.count] })
            _ = Numbers.all(in: text)
            _ = Numbers.parse(text)
            _ = Numbers.boxed(in: "\\boxed{" + text)
            if let v = try? JSONValue.parse(text) {
                parsed += 1
                XCTAssertEqual(try JSONValue.parse(v.serialized()), v, text)
            }
        }
        XCTAssertGreaterThan(parsed, 0)
    }
}
