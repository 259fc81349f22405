// TaskSpec: the grammar, normalisation, canonical/Codable round trips,
// typed errors, and building every task from its spec.

import Foundation
import XCTest
@testable import Tasks

final class TaskSpecTests: XCTestCase {
    func testDefaultIsReverseSixDigits() throws {
        XCTAssertEqual(TaskSpec.default.canonical, "reverse")
        let task = try TaskSpec.default.makeTask(maxPositions: 64)
        XCTAssertEqual(task.name, "reverse")
        XCTAssertEqual(task.maxPromptTokens, 8)
        XCTAssertEqual(task.maxCompletionTokens, 7)
        XCTAssertFalse(task.partialCredit)
        XCTAssertEqual(task.tokenizer.vocabSize, 16)
        XCTAssertEqual(try TaskSpec(parsing: "reverse:digits=6"), TaskSpec.default)
    }

    func testParsingAndNormalisation() throws {
        let cases: [(String, String)] = [
            ("reverse", "reverse"),
            (" reverse : digits = 06 ", "reverse"),
            ("reverse:digits=8", "reverse:digits=8"),
            ("sort:partial=TRUE,digits=5", "sort:digits=5,partial=true"),
            ("copy:digits=7,min_digits=7", "copy:digits=7"),
            ("copy:min_digits=2", "copy:min_digits=2"),
            ("add", "add"),
            ("add:digits=3,partial=true", "add:partial=true"),
            ("add:pad=false,digits=2", "add:digits=2,pad=false"),
            ("jsonl:path=/x.jsonl", "jsonl:path=/x.jsonl"),
            ("jsonl:path=C:/a=b.jsonl,partial=false", "jsonl:path=C:/a=b.jsonl"),
        ]
        for (text, canonical) in cases {
            let spec = try TaskSpec(parsing: text)
            XCTAssertEqual(spec.canonical, canonical, text)
            XCTAssertEqual(try TaskSpec(parsing: spec.canonical), spec, text)
            XCTAssertEqual("\(spec)", canonical)
        }
        XCTAssertEqual(try TaskSpec(parsing: "add:digits=2,pad=false").options, ["digits": "2", "pad": "false"])
    }

    func testCodableRoundTrip() throws {
        struct Config: Codable, Equatable { var task: TaskSpec }
        for text in ["reverse", "sort:digits=4,min_digits=2,partial=true", "add:digits=5", "jsonl:path=/data/q a.jsonl"] {
            let config = Config(task: try TaskSpec(parsing: text))
            let json = try JSONEncoder().encode(config)
            XCTAssertEqual(String(decoding: json, as: UTF8.self), "{\"task\":\(try String(decoding: JSONEncoder().encode(config.task.canonical), as: UTF8.self))}")
            XCTAssertEqual(try JSONDecoder().decode(Config.self, from: json), config)
        }
        let bad = Data("{\"task\":\"reverse:digits=0\"}".utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(Config.self, from: bad)) { error in
            guard case let DecodingError.dataCorrupted(context)? = error as? DecodingError else { return XCTFail("\(error)") }
            XCTAssertTrue(context.debugDescription.contains("digits"))
        }
    }

    func testErrors() {
        func expect(_ text: String, _ expected: TaskSpecError, line: UInt = #line) {
            XCTAssertThrowsError(try TaskSpec(parsing: text), line: line) {
                XCTAssertEqual($0 as? TaskSpecError, expected, line: line)
            }
        }
        expect("", .emptySpec)
        expect("  ", .emptySpec)
        expect("revers", .unknownTask("revers", valid: ["add", "copy", "jsonl", "reverse", "sort"]))
        expect("reverse:length=6", .unknownOption(task: "reverse", option: "length", valid: ["digits", "min_digits", "partial"]))
        expect("reverse:digits", .malformedOption(spec: "reverse:digits", option: "digits"))
        expect("reverse:", .malformedOption(spec: "reverse:", option: ""))
        expect("reverse:digits=6,", .malformedOption(spec: "reverse:digits=6,", option: ""))
        expect("reverse:=6", .malformedOption(spec: "reverse:=6", option: "=6"))
        expect("reverse:digits=6,digits=7", .duplicateOption(task: "reverse", option: "digits"))
        expect("reverse:digits=six", .invalidValue(task: "reverse", option: "digits", value: "six", expected: "an integer in 1...60"))
        expect("reverse:digits=0", .invalidValue(task: "reverse", option: "digits", value: "0", expected: "an integer in 1...60"))
        expect("reverse:partial=yes", .invalidValue(task: "reverse", option: "partial", value: "yes", expected: "true or false"))
        expect("reverse:digits=4,min_digits=5", .invalidValue(task: "reverse", option: "min_digits", value: "5", expected: "an integer in 1...4 (at most digits)"))
        expect("add:digits=12", .invalidValue(task: "add", option: "digits", value: "12", expected: "an integer in 1...9"))
        expect("jsonl", .missingOption(task: "jsonl", option: "path"))
        expect("jsonl:partial=true", .missingOption(task: "jsonl", option: "path"))
        expect("jsonl:path=", .invalidValue(task: "jsonl", option: "path", value: "", expected: "a non-empty file path without \",\""))
    }

    func testErrorMessagesAreSpecific() {
        XCTAssertEqual("\(TaskSpecError.unknownTask("revers", valid: TaskSpec.names))",
                       "unknown task \"revers\"; valid tasks: add, copy, jsonl, reverse, sort")
        XCTAssertTrue("\(TaskSpecError.unknownOption(task: "add", option: "x", valid: ["digits", "pad", "partial"]))".contains("digits, pad, partial"))
    }

    func testMakeTaskEveryKindAndPositionLimit() throws {
        for (text, name, prompt, completion) in [("copy:digits=3", "copy", 5, 4), ("sort", "sort", 8, 7),
                                                 ("add:digits=4", "add", 11, 6), ("reverse:digits=10,min_digits=2", "reverse", 12, 11)] {
            let spec = try TaskSpec(parsing: text)
            let task = try spec.makeTask()
            XCTAssertEqual(task.name, name)
            XCTAssertEqual(task.spec, spec)  // the task records the spec it was built from
            XCTAssertEqual(task.maxPromptTokens, prompt)
            XCTAssertEqual(task.maxCompletionTokens, completion)
            XCTAssertNoThrow(try spec.makeTask(maxPositions: prompt + completion))
            XCTAssertThrowsError(try spec.makeTask(maxPositions: prompt + completion - 1)) {
                XCTAssertEqual($0 as? TaskSpecError, .tooLongForModel(task: spec.canonical, tokens: prompt + completion, positions: prompt + completion - 1))
            }
        }
        XCTAssertTrue(try TaskSpec(parsing: "add:partial=true").makeTask().partialCredit)
        XCTAssertThrowsError(try TaskSpec(parsing: "jsonl:path=/definitely/not/here.jsonl").makeTask()) {
            guard case .unreadable("/definitely/not/here.jsonl", _)? = $0 as? JSONLError else { return XCTFail("\($0)") }
        }
    }
}
