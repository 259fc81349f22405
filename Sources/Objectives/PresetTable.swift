// The preset table: every named objective with the paper it implements (title as in the seed
// collection, shared/seeds/papers.txt, or the baseline it is), where its formula is written down,
// whether the update rule is our reconstruction [R], and its builder. Each row is defined in its
// paper's file next to the kernel stage it switches on (`PresetInfo.grpo` in GRPO.swift, …); this
// table lists them in order. `preset(_:)`, `presetNames`, the CLI's help text (`presetHelp`),
// `tributary objectives` and the table in docs/algorithms.md (`presetMarkdown`, checked by
// PresetTableTests) are generated from it.

import Foundation

/// One row of the preset table.
package struct PresetInfo: Codable, Sendable, Equatable {
    /// The `--objective` name.
    package var name: String
    /// The paper's title as in the seed collection, or the baseline's name.
    package var paper: String
    /// Where the formula is: the design section (ALGORITHMS.md §) and the source file.
    package var reference: String
    /// True when the update rule is our reconstruction (docs/algorithms.md gives the reasoning).
    package var reconstructed: Bool
    /// Sets the method's switches on the default configuration (nothing for a decoded row).
    package let build: @Sendable (inout ObjectiveConfig) -> Void

    package init(name: String, paper: String, reference: String, reconstructed: Bool,
                build: @escaping @Sendable (inout ObjectiveConfig) -> Void) {
        self.name = name; self.paper = paper; self.reference = reference; self.reconstructed = reconstructed
        self.build = build
    }

    enum CodingKeys: String, CodingKey { case name, paper, reference, reconstructed }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), paper: try c.decode(String.self, forKey: .paper),
                  reference: try c.decode(String.self, forKey: .reference),
                  reconstructed: try c.decode(Bool.self, forKey: .reconstructed)) { _ in }
    }

    /// Rows are equal when their table entries are (builders are not compared).
    package static func == (a: PresetInfo, b: PresetInfo) -> Bool {
        a.name == b.name && a.paper == b.paper && a.reference == b.reference && a.reconstructed == b.reconstructed
    }
}

extension ObjectiveConfig {
    /// Every preset, in the order `tributary objectives` lists them.
    package static let presetTable: [PresetInfo] = [
        .grpo, .drGRPO, .dapo, .gspo, .rloo, .ppo, .decoupledPPO, .tis, .r2vpo, .r2vpoDecoupled, .alp, .gbpo,
        .mhpo, .etr, .bnpo, .mdpo, .capo, .d3s, .epo, .empg, .safe, .dcpo, .grpoGuard, .calibrationPO, .oblrPO,
        .adora, .pipo, .ghpo, .rpo, .hnpg,
    ]

    /// Names accepted by `preset(_:)`, from `presetTable`.
    package static let presetNames: [String] = presetTable.map(\.name)

    /// The named method's defaults: the default configuration with the row's builder applied.
    package static func preset(_ name: String) throws -> ObjectiveConfig {
        guard let row = presetTable.first(where: { $0.name == name }) else {
            throw ObjectiveError.unknownObjective(name, valid: presetNames)
        }
        var c = ObjectiveConfig()
        c.name = name
        row.build(&c)
        return c
    }

    /// The `--objective` help text: every preset name, and where to read more.
    package static var presetHelp: String {
        "Objective preset (\(presetNames.joined(separator: ", ")); `tributary objectives`, docs/algorithms.md)."
    }

    /// The plain-text table `tributary objectives` prints.
    package static var presetListing: String {
        let w = presetTable.map(\.name.count).max() ?? 0
        var lines = presetTable.map { row in
            "\(row.name.padding(toLength: w, withPad: " ", startingAt: 0))  \(row.reconstructed ? "[R]" : "   ")  \(row.paper)  (\(row.reference))"
        }
        lines.append("[R] = update rule reconstructed from the abstract; reasoning in docs/algorithms.md.")
        return lines.joined(separator: "\n")
    }

    /// The markdown table between `presetMarkdownBegin` and `presetMarkdownEnd` in docs/algorithms.md.
    package static var presetMarkdown: String {
        var lines = ["| preset | paper | formula | [R] |", "|---|---|---|---|"]
        for row in presetTable {
            lines.append("| `\(row.name)` | \(row.paper) | \(row.reference) | \(row.reconstructed ? "[R]" : "") |")
        }
        return lines.joined(separator: "\n")
    }

    /// The marker comments around the generated table in docs/algorithms.md.
    package static let presetMarkdownBegin = "<!-- presets:begin (generated: tributary objectives --update-docs docs/algorithms.md) -->"
    package static let presetMarkdownEnd = "<!-- presets:end -->"

    /// The generated table in `text` (between the markers, trimmed); nil when a marker is missing.
    package static func presetMarkdown(in text: String) -> String? {
        guard let begin = text.range(of: presetMarkdownBegin),
              let end = text.range(of: presetMarkdownEnd, range: begin.upperBound..<text.endIndex) else { return nil }
        return text[begin.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `text` with the lines between the markers replaced by `presetMarkdown`; nil when a marker is missing.
    package static func replacingPresetMarkdown(in text: String) -> String? {
        guard let begin = text.range(of: presetMarkdownBegin),
              let end = text.range(of: presetMarkdownEnd, range: begin.upperBound..<text.endIndex) else { return nil }
        return String(text[..<begin.upperBound]) + "\n" + presetMarkdown + "\n" + String(text[end.lowerBound...])
    }
}
