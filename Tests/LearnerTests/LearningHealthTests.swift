// The learner's configuration carries LearningHealth's settings (training.no_signal_batches,
// stop_on_no_signal, collapse_drop, stop_on_collapse): validated, read, written and defaulted
// to the shared defaults. LearningHealth itself is tested in TrainingTests.

import XCTest
import Training
@testable import Learner

final class LearningHealthTests: XCTestCase {
    func testSettingsAreValidatedAndReadFromTheConfiguration() throws {
        XCTAssertThrowsError(try HealthSettings(noSignalBatches: -1, collapseDrop: 0.1).validate())
        XCTAssertThrowsError(try HealthSettings(noSignalBatches: 5, collapseDrop: 1.5).validate())
        XCTAssertNoThrow(try HealthSettings().validate())
        var c = LearnerConfig()
        try c.apply(["training.no_signal_batches": .integer(7), "training.stop_on_no_signal": .bool(false),
                     "training.collapse_drop": .float(0.25), "training.stop_on_collapse": .bool(false)], source: "test")
        XCTAssertEqual(c.health, HealthSettings(noSignalBatches: 7, stopOnNoSignal: false, collapseDrop: 0.25, stopOnCollapse: false))
        XCTAssertTrue(c.toml.contains("no_signal_batches = 7"))
        var round = LearnerConfig()
        try round.apply(try parseTOML(c.toml), source: "round trip")
        XCTAssertEqual(round.health, c.health)
        XCTAssertThrowsError(try c.apply(["training.no_signal_batches": .integer(-2)], source: "test")) { e in
            XCTAssertTrue("\(e)".contains("no_signal_batches"), "\(e)")
        }
        XCTAssertEqual(LearnerConfig().health, HealthSettings(), "the daemon's defaults are the shared defaults")
    }
}
