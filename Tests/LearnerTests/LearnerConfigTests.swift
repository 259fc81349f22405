// Learner configuration: defaults < TOML file < environment, every error names its source.
import Objectives
import XCTest
import Foundation
@testable import Learner

final class LearnerConfigTests: XCTestCase {
    func testFileThenEnvironmentOverride() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("learner-\(UUID().uuidString).toml")
        try """
        [task]
        name = "reverse:digits=4"
        [training]
        groups_per_step = 8
        [admission]
        max_staleness = 3
        [auth]
        worker_tokens = ["w-secret"]
        """.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var c = LearnerConfig()
        XCTAssertEqual(try c.load(file: url), [], "no deprecated keys")
        XCTAssertEqual(c.task, "reverse:digits=4")
        XCTAssertEqual(c.groupsPerStep, 8)
        XCTAssertEqual(c.maxStaleness, 3)
        XCTAssertEqual(c.workerTokens, ["w-secret"])
        try c.load(environment: ["TRIBUTARY_ADMISSION_MAX_STALENESS": "5", "TRIBUTARY_BIN": "/ignored", "PATH": "/bin"])
        XCTAssertEqual(c.maxStaleness, 5)
        XCTAssertEqual(c.groupSize, 8, "untouched keys keep their defaults")
        XCTAssertFalse(c.toml.contains("w-secret"), "tokens are redacted in --print-config")
        // The printed configuration reads back to the same settings (tokens aside).
        var back = LearnerConfig()
        try back.apply(try parseTOML(c.toml).filter { !$0.key.hasPrefix("auth.") }, source: "print-config")
        back.workerTokens = c.workerTokens
        XCTAssertEqual(back, c)
        XCTAssertTrue(c.toml.contains("[admission]\nmax_staleness = 5\n"), c.toml)
        XCTAssertFalse(c.toml.contains("staleness_cap"), "--print-config writes the new name only")
    }

    /// `training.staleness_cap` (the name before `admission.max_staleness`) still works, in a
    /// file and as an environment variable, and each use is returned as a deprecation.
    func testDeprecatedStalenessCapIsReadAndReported() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("learner-\(UUID().uuidString).toml")
        try "[training]\nstaleness_cap = 3\n".write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var c = LearnerConfig()
        let fromFile = try c.load(file: url)
        XCTAssertEqual(c.maxStaleness, 3)
        XCTAssertEqual(fromFile, [ConfigDeprecation(source: url.path, old: "training.staleness_cap", replacement: "admission.max_staleness")])
        XCTAssertEqual(fromFile.first?.description,
                       "\(url.path): 'training.staleness_cap' is deprecated and will be removed; write 'admission.max_staleness' instead (same meaning)")
        let fromEnv = try c.load(environment: ["TRIBUTARY_TRAINING_STALENESS_CAP": "6"])
        XCTAssertEqual(c.maxStaleness, 6)
        XCTAssertEqual(fromEnv, [ConfigDeprecation(source: "environment", old: "TRIBUTARY_TRAINING_STALENESS_CAP",
                                                   replacement: "TRIBUTARY_ADMISSION_MAX_STALENESS")])
        // Both names in one source: refused, nothing changed.
        XCTAssertThrowsError(try c.apply(["training.staleness_cap": .integer(1), "admission.max_staleness": .integer(2)], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("x.toml: both 'training.staleness_cap' (deprecated) and 'admission.max_staleness' are set"), "\($0)")
        }
        XCTAssertEqual(c.maxStaleness, 6)
        // Range errors name the new key.
        XCTAssertThrowsError(try c.apply(["training.staleness_cap": .integer(-1)], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("admission.max_staleness must be ≥ 0"), "\($0)")
        }
    }

    /// The full TOML grammar in a configuration file: a reward list written as `[[task.rewards]]`
    /// tables reaches the task spec like the inline-table form, and a syntax error names the file,
    /// the line and the column.
    func testArrayOfTablesRewardsAndSyntaxErrorLines() throws {
        let tasks = FileManager.default.temporaryDirectory.appendingPathComponent("aot-\(UUID().uuidString).jsonl")
        try #"{"prompt": "1 plus 1", "answer": 2}"#.write(to: tasks, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: tasks) }
        var inline = LearnerConfig(), tables = LearnerConfig()
        try inline.apply(try parseTOML("""
        [task]
        name = "jsonl:path=\(tasks.path)"
        rewards = [{name = "numeric", weight = 0.5}, {name = "format", pattern = "x", weight = 0.5}]
        """), source: "inline.toml")
        try tables.apply(try parseTOML("""
        [task]
        name = "jsonl:path=\(tasks.path)"
        [[task.rewards]]
        name = "numeric"
        weight = 0.5
        [[task.rewards]]
        name = "format"
        pattern = "x"
        weight = 0.5
        """), source: "tables.toml")
        XCTAssertEqual(tables.rewards, #"[{"name":"numeric","weight":0.5},{"name":"format","pattern":"x","weight":0.5}]"#)
        XCTAssertEqual(try tables.taskSpec(), try inline.taskSpec())
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).toml")
        try "[task]\nname = \"reverse\"\n[training\nsteps = 3\n".write(to: bad, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: bad) }
        var c = LearnerConfig()
        XCTAssertThrowsError(try c.load(file: bad)) {
            XCTAssertTrue("\($0)".hasPrefix("\(bad.path): line 3, column 10: "), "\($0)")
        }
    }

    func testErrorsNameTheSourceAndKey() {
        var c = LearnerConfig()
        XCTAssertThrowsError(try c.apply(["training.groups_per_stepp": .integer(3)], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("x.toml: unknown setting 'training.groups_per_stepp'"), "\($0)")
        }
        XCTAssertThrowsError(try c.apply(["training.epochs": .string("two")], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("training.epochs: expected an integer"), "\($0)")
        }
        XCTAssertThrowsError(try c.apply(["rollout.group_size": .integer(1)], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("group_size must be ≥ 2"), "\($0)")
        }
        XCTAssertThrowsError(try c.apply(["task.name": .string("juggle")], source: "env")) {
            XCTAssertTrue("\($0)".contains("juggle"), "\($0)")
        }
        XCTAssertThrowsError(try c.load(file: URL(fileURLWithPath: "/nonexistent/learner.toml"))) {
            XCTAssertTrue("\($0)".contains("/nonexistent/learner.toml"), "\($0)")
        }
        XCTAssertThrowsError(try c.apply(["training.target_metric": .string("median")], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("target_metric must be \"greedy\" or \"sampled\""), "\($0)")
        }
        XCTAssertThrowsError(try c.apply(["training.target_metric": .string("sampled"), "training.eval_sampled": .integer(0)], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("needs training.eval_sampled > 0"), "\($0)")
        }
        XCTAssertThrowsError(try c.apply(["training.eval_sampled": .integer(-1)], source: "x.toml")) {
            XCTAssertTrue("\($0)".contains("eval_sampled must be ≥ 0"), "\($0)")
        }
    }
}

final class ExampleConfigTests: XCTestCase {
    /// deploy/learner.example.toml (the configuration reference's example) parses and validates.
    func testShippedExampleConfigurationLoads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/learner.example.toml")
        var c = LearnerConfig()
        try c.load(file: url)
        XCTAssertEqual(c.workerTokens, ["change-me"])
        XCTAssertEqual(c.groupSize, LearnerConfig().groupSize)
        XCTAssertEqual(c.stateDir, "tributary-state")
    }
}
