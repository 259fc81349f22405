// Through the real binary: `train` and `run` on a task where no sample can be correct (an
// untrained model on `add`, no warm start worth the name) stop within the configured number
// of batches without reward signal, with the cause and the remedy and exit code 4, instead of
// spinning to the step budget; with partial credit (signal in every batch) training goes on.

import Foundation
import XCTest

final class CannotLearnTests: XCTestCase {
    /// A checkpoint on `add` after one supervised step: it never samples a whole correct sum.
    private func untrained(_ dir: URL) throws -> String {
        let pre = dir.appendingPathComponent("pre")
        let r = try Binary.run(["pretrain", "--task", "add", "--out", pre.path, "--target-accuracy", "0", "--max-steps", "1", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return pre.path
    }

    private func lines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testTrainStopsWhenNoSampleCanBeCorrect() throws {
        let dir = Binary.tempDir(self)
        let pre = try untrained(dir)
        let out = dir.appendingPathComponent("train")
        let r = try Binary.run(["train", "--init", pre, "--out", out.path, "--steps", "200", "--no-signal-batches", "3",
                                "--prompts-per-step", "4", "--group-size", "4", "--eval-every", "100", "--eval-size", "50", "--threads", "1"])
        XCTAssertEqual(r.status, 4, "exit code 4 when learning cannot work\n\(r.stdout)\n\(r.stderr)")
        XCTAssertTrue(r.stdout.contains("train: stopped after 3 steps"), r.stdout)
        XCTAssertTrue(r.stdout.contains("never solves the task"), r.stdout)
        XCTAssertTrue(r.stderr.contains("train: warning: no reward signal in the last 3 batches"), r.stderr)
        let rows = try lines(out.appendingPathComponent("metrics.jsonl"))
        XCTAssertEqual(rows.count, 3)
        XCTAssertTrue(rows.allSatisfy { $0["updated"] as? Bool == false && $0["tokensPerSecond"] == nil })
        XCTAssertEqual(rows.last?["batchesWithoutSignal"] as? Int, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint/model.safetensors").path))
    }

    func testTrainGoesOnWhileBatchesHaveSignal() throws {
        let dir = Binary.tempDir(self)
        let pre = try untrained(dir)
        let out = dir.appendingPathComponent("train")
        let r = try Binary.run(["train", "--init", pre, "--task", "add:partial=true", "--out", out.path, "--steps", "6",
                                "--no-signal-batches", "3", "--prompts-per-step", "4", "--group-size", "4",
                                "--eval-every", "100", "--eval-size", "50", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse(r.stderr.contains("warning"), r.stderr)
        let rows = try lines(out.appendingPathComponent("metrics.jsonl"))
        XCTAssertEqual(rows.count, 6, "ran to the step budget")
        XCTAssertTrue(rows.contains { ($0["tokensPerSecond"] as? Double ?? 0) > 0 })
    }

    func testRunStopsWithTheMessageAndReportsIt() throws {
        let dir = Binary.tempDir(self)
        let pre = try untrained(dir)
        let out = dir.appendingPathComponent("run")
        let r = try Binary.run(["run", "--task", "add", "--init", pre, "--out", out.path, "--workers", "1", "--steps", "300",
                                "--no-signal-batches", "3"])
        XCTAssertEqual(r.status, 4, "exit code 4 when learning cannot work\n\(r.stdout)\n\(r.stderr)")
        XCTAssertTrue(r.stdout.contains("run: stopped at step 3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("never solves the task"), r.stdout)
        XCTAssertTrue(r.stderr.contains("run: warning: no reward signal"), r.stderr)
        let rows = try lines(out.appendingPathComponent("metrics.jsonl"))
        XCTAssertEqual(rows.count, 3)
        XCTAssertTrue(rows.allSatisfy { $0["updated"] as? Bool == false && $0["tokensPerSecond"] == nil })
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("No reward signal at step 3; training stopped"), "report.html names the problem")
        XCTAssertTrue(html.contains("3 of 3 steps had no update"))
    }
}
