// The preset table (PresetTable.swift): it agrees with the presets, and docs/algorithms.md and the
// CLI text are generated from it.
import XCTest
import Foundation
@testable import Objectives

final class PresetTableTests: XCTestCase {
    /// The registry and the preset switch agree, names are unique, and every paper named in the
    /// table for a new preset is the title as written in the seed collection.
    func testTableMatchesThePresets() throws {
        let names = ObjectiveConfig.presetTable.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(ObjectiveConfig.presetNames, names)
        for n in names { XCTAssertEqual(try ObjectiveConfig.preset(n).name, n) }
        let epo = try XCTUnwrap(ObjectiveConfig.presetTable.first { $0.name == "epo" })
        XCTAssertEqual(epo.paper, "EPO: Entropy-regularized Policy Optimization for LLM Agents Reinforcement Learning")
        XCTAssertTrue(epo.reconstructed)
    }

    /// docs/algorithms.md's preset table is the generated one (`tributary objectives --markdown`).
    func testDocsTableIsTheGeneratedOne() throws {
        let doc = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/algorithms.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let table = try XCTUnwrap(ObjectiveConfig.presetMarkdown(in: text), "no preset markers in \(doc.path)")
        let expected = ObjectiveConfig.presetMarkdown
        XCTAssertEqual(table, expected, """
            \(doc.path) differs from the preset table: run `swift run tributary objectives --update-docs \
            docs/algorithms.md`, or replace the lines between the markers with
            \(expected)
            """)
        // Regenerating is idempotent and keeps the text around the markers.
        let again = try XCTUnwrap(ObjectiveConfig.replacingPresetMarkdown(in: text))
        XCTAssertEqual(ObjectiveConfig.presetMarkdown(in: again), expected)
        XCTAssertEqual(again.prefix(200), text.prefix(200))
        XCTAssertNil(ObjectiveConfig.replacingPresetMarkdown(in: "no markers"))
    }

    /// The CLI texts come from the table: every preset (r2vpo-decoupled included) is named once.
    func testHelpAndListingNameEveryPreset() throws {
        let help = ObjectiveConfig.presetHelp, listing = ObjectiveConfig.presetListing.split(separator: "\n")
        for row in ObjectiveConfig.presetTable {
            XCTAssertTrue(help.contains(row.name + ",") || help.contains(row.name + ";"), row.name)
            XCTAssertEqual(listing.filter { $0.hasPrefix(row.name + " ") }.count, 1, row.name)
            XCTAssertTrue(ObjectiveConfig.presetMarkdown.contains("| `\(row.name)` | \(row.paper) |"), row.name)
        }
        XCTAssertTrue(help.contains("r2vpo-decoupled"))
        XCTAssertEqual(listing.count, ObjectiveConfig.presetTable.count + 1)
    }

    /// A row decoded from `tributary objectives --json` equals the table's (builders are not data).
    func testRowsRoundTripThroughJSON() throws {
        for row in ObjectiveConfig.presetTable {
            let back = try JSONDecoder().decode(PresetInfo.self, from: try JSONEncoder().encode(row))
            XCTAssertEqual(back, row)
            var c = ObjectiveConfig()
            back.build(&c)
            XCTAssertEqual(c, ObjectiveConfig(), "a decoded row builds nothing")
        }
        let dict = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PresetInfo.tis)) as? [String: Any]
        XCTAssertEqual(Set(dict?.keys.map { $0 } ?? []), ["name", "paper", "reference", "reconstructed"])
    }
}
