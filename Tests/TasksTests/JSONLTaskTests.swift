// jsonl: loading from real temp files, vocabulary from the file, splits by
// prompt hash, epoch coverage, and every error with its path and line number.

import Foundation
import XCTest
@testable import Tasks

final class JSONLTaskTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ text: String, _ name: String = "t.jsonl") throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// `n` lines `{"prompt": "q<i>", "answer": "a<i>"}`.
    func lines(_ n: Int) -> String {
        (0..<n).map { "{\"prompt\": \"q\($0)?\", \"answer\": \"a\($0 * 7)\", \"note\": 1}" }.joined(separator: "\n") + "\n"
    }

    func assertError(_ text: String, maxPositions: Int? = nil, _ expected: (String) -> JSONLError,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(text)
        XCTAssertThrowsError(try JSONLTask(path: path, maxPositions: maxPositions), file: file, line: line) { error in
            XCTAssertEqual(error as? JSONLError, expected(path), file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)", file: file, line: line)
        }
    }

    func testLoadsVocabularyAndLimits() throws {
        let path = try write("{\"prompt\": \"héllo\", \"answer\": \"olléh\"}\n\n{\"prompt\": \"ab\", \"answer\": \"ba\"}\r\n")
        let task = try JSONLTask(path: path)
        XCTAssertEqual(task.examples.map(\.line), [1, 3])
        XCTAssertEqual(task.tokenizer.characters, Array("abhlo\u{E9}".unicodeScalars))
        XCTAssertEqual(task.maxPromptTokens, 7)
        XCTAssertEqual(task.maxCompletionTokens, 6)
        XCTAssertEqual(task.count(of: .train)! + task.count(of: .eval)!, 2)
        for split in Split.allCases {
            let p = task.prompt(seed: 0, index: 0, split: split)
            XCTAssertEqual(task.tokenizer.decode(p.tokens), "<begin>\(p.question)<sep>")
            XCTAssertEqual(task.verify(prompt: p, completion: task.demonstration(for: p)), Verdict(reward: 1, correct: true))
            XCTAssertEqual(task.verify(prompt: p, completion: [task.tokenizer.end]), Verdict(reward: 0, correct: false))
        }
    }

    func testSplitsDisjointAndIndexedModulo() throws {
        let task = try JSONLTask(path: try write(lines(300)))
        let nTrain = try XCTUnwrap(task.count(of: .train)), nEval = try XCTUnwrap(task.count(of: .eval))
        XCTAssertEqual(nTrain + nEval, 300)
        XCTAssertGreaterThan(nEval, 0)
        let eval = (0..<nEval).map { task.prompt(seed: 1, index: $0, split: .eval) }
        XCTAssertEqual(Set(eval.map(\.question)).count, nEval)
        XCTAssertEqual(task.prompt(seed: 1, index: nEval + 2, split: .eval).question, eval[2].question)
        XCTAssertTrue(eval.allSatisfy { HeldOut.split(of: $0.question) == .eval })
        // Every epoch of training indices visits every training line exactly once.
        for epoch in 0..<3 {
            let train = (0..<nTrain).map { task.prompt(seed: 1, index: epoch * nTrain + $0, split: .train).question }
            XCTAssertEqual(Set(train).count, nTrain)
            XCTAssertTrue(Set(train).isDisjoint(with: eval.map(\.question)))
        }
        let e0 = (0..<nTrain).map { task.prompt(seed: 1, index: $0, split: .train).question }
        let e1 = (0..<nTrain).map { task.prompt(seed: 1, index: nTrain + $0, split: .train).question }
        XCTAssertNotEqual(e0, e1)  // epochs are shuffled differently
        XCTAssertEqual(e0, (0..<nTrain).map { task.prompt(seed: 1, index: $0, split: .train).question })  // deterministic
        let q = task.prompt(seed: 1, index: 5, split: .train).question
        XCTAssertEqual(task.prompt(seed: 1, index: 5, split: .train).answer, "a\(Int(q.dropFirst().dropLast())! * 7)")
    }

    func testDuplicatePromptsShareASplitAndTinyFilesGetBothSplits() throws {
        let text = "{\"prompt\": \"x\", \"answer\": \"1\"}\n{\"prompt\": \"y\", \"answer\": \"2\"}\n{\"prompt\": \"x\", \"answer\": \"3\"}\n"
        let task = try JSONLTask(path: try write(text))
        XCTAssertEqual(task.count(of: .train)! + task.count(of: .eval)!, 3)
        XCTAssertGreaterThan(task.count(of: .eval)!, 0)
        XCTAssertGreaterThan(task.count(of: .train)!, 0)
        let evalQuestions = Set((0..<3).map { task.prompt(seed: 0, index: $0, split: .eval).question })
        let trainQuestions = Set((0..<3).map { task.prompt(seed: 0, index: $0, split: .train).question })
        XCTAssertTrue(evalQuestions.isDisjoint(with: trainQuestions))
        try assertError("{\"prompt\": \"x\", \"answer\": \"1\"}\n{\"prompt\": \"x\", \"answer\": \"2\"}\n") {
            .tooFewPrompts(path: $0, distinct: 1)
        }
    }

    func testMalformedLinesNameFileAndLine() throws {
        let good = "{\"prompt\": \"a\", \"answer\": \"b\"}\n"
        try assertError(good + "\n{\"prompt\": \"a\", \"answer\": 5}\n") {
            .nonStringField(path: $0, line: 3, field: "answer", found: "a number")
        }
        try assertError(good + "{\"prompt\": null, \"answer\": \"x\"}") {
            .nonStringField(path: $0, line: 2, field: "prompt", found: "null")
        }
        try assertError(good + good + "{\"answer\": \"x\"}\n") { .missingField(path: $0, line: 3, field: "prompt") }
        try assertError("{\"prompt\": \"x\"}\n") { .missingField(path: $0, line: 1, field: "answer") }
        try assertError(good + "[\"a\", \"b\"]\n") { .notAnObject(path: $0, line: 2, found: "an array") }
        try assertError(good + "\"text\"\n") { .notAnObject(path: $0, line: 2, found: "a string") }
        let path = try write(good + good + "{\"prompt\": \"a\", \"answer\": \n")
        XCTAssertThrowsError(try JSONLTask(path: path)) { error in
            guard case let .invalidJSON(p, line, _)? = error as? JSONLError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertEqual(line, 3)
            XCTAssertTrue("\(error)".hasPrefix("\(path):3: not valid JSON"))
        }
    }

    func testEmptyAndUnreadableFiles() throws {
        try assertError("") { .emptyFile(path: $0) }
        try assertError("\n  \n\n") { .emptyFile(path: $0) }
        let missing = dir.appendingPathComponent("nope.jsonl").path
        XCTAssertThrowsError(try JSONLTask(path: missing)) { error in
            guard case .unreadable(missing, _)? = error as? JSONLError else { return XCTFail("\(error)") }
        }
        let url = dir.appendingPathComponent("bad.jsonl")
        try Data([0x7B, 0xFF, 0xFE, 0x7D]).write(to: url)
        XCTAssertThrowsError(try JSONLTask(path: url.path)) { XCTAssertEqual($0 as? JSONLError, .notUTF8(path: url.path)) }
    }

    func testTooLongForPositions() throws {
        let text = "{\"prompt\": \"ab\", \"answer\": \"c\"}\n{\"prompt\": \"abcdef\", \"answer\": \"gh\"}\n"
        try assertError(text, maxPositions: 10) { .tooLong(path: $0, line: 2, tokens: 11, positions: 10) }
        XCTAssertNoThrow(try JSONLTask(path: try write(text), maxPositions: 11))
        let spec = try TaskSpec(parsing: "jsonl:path=\(try write(text))")
        XCTAssertThrowsError(try spec.makeTask(maxPositions: 10)) { XCTAssertTrue($0 is JSONLError) }
    }

    func testThroughRegistry() throws {
        let path = try write(lines(40))
        let spec = try TaskSpec(parsing: "jsonl:path=\(path),partial=true")
        let task = try spec.makeTask(maxPositions: 64)
        XCTAssertEqual(task.name, "jsonl")
        XCTAssertTrue(task.partialCredit)
        XCTAssertEqual(task.spec, spec)
        XCTAssertEqual(try TaskSpec(parsing: task.spec.canonical), spec)
        let p = task.prompt(seed: 0, index: 0, split: .train)
        var wrong = task.demonstration(for: p)
        wrong[0] = task.tokenizer.pad
        XCTAssertEqual(task.verify(prompt: p, completion: wrong).reward,
                       Float(p.answer.count - 1) / Float(p.answer.count), accuracy: 1e-6)
    }

    func testMaxNewTokensOptionSetsTheCompletionLimit() throws {
        let path = try write(lines(40))
        let plain = try TaskSpec(parsing: "jsonl:path=\(path)").makeTask()
        XCTAssertEqual(plain.maxCompletionTokens, 5)  // "a273" + end
        let spec = try TaskSpec(parsing: "jsonl:path=\(path),max_new_tokens=12")
        let task = try spec.makeTask()
        XCTAssertEqual(task.maxCompletionTokens, 12)
        XCTAssertEqual(task.spec, spec, "the task records the option in its spec")
        XCTAssertThrowsError(try TaskSpec(parsing: "jsonl:path=\(path),max_new_tokens=0"))
    }

    func testChatNeedsAModelTokenizer() throws {
        let path = try write(lines(40))
        XCTAssertThrowsError(try TaskSpec(parsing: "jsonl:path=\(path),chat=true").makeTask()) { error in
            XCTAssertEqual(error as? TaskSpecError, .needsModelTokenizer(task: "jsonl:chat=true,path=\(path)", option: "chat=true"))
        }
    }
}
