// Learner configuration: defaults < TOML file < environment, every error names its source.
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
        staleness_cap = 3
        [auth]
        worker_tokens = ["w-secret"]
        """.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var c = LearnerConfig()
        try c.load(file: url)
        XCTAssertEqual(c.task, "reverse:digits=4")
        XCTAssertEqual(c.groupsPerStep, 8)
        XCTAssertEqual(c.stalenessCap, 3)
        XCTAssertEqual(c.workerTokens, ["w-secret"])
        try c.load(environment: ["TRIBUTARY_TRAINING_STALENESS_CAP": "5", "TRIBUTARY_BIN": "/ignored", "PATH": "/bin"])
        XCTAssertEqual(c.stalenessCap, 5)
        XCTAssertEqual(c.groupSize, 8, "untouched keys keep their defaults")
        XCTAssertFalse(c.toml.contains("w-secret"), "tokens are redacted in --print-config")
        // The printed configuration reads back to the same settings (tokens aside).
        var back = LearnerConfig()
        try back.apply(try parseTOML(c.toml).filter { !$0.key.hasPrefix("auth.") }, source: "print-config")
        back.workerTokens = c.workerTokens
        XCTAssertEqual(back, c)
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
