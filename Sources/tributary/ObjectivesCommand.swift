// `tributary objectives [--json]`: the preset table (name, paper, where the formula is, whether
// it is a reconstruction), from the same registry as the `--objective` help text.

import ArgumentParser
import Foundation
import Objectives

struct ObjectivesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objectives",
        abstract: "List the objective presets with their papers and formula references (docs/algorithms.md).")

    @Flag(help: "One JSON object per preset (name, paper, reference, reconstructed).")
    var json = false

    func run() throws {
        let table = ObjectiveConfig.presetTable
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for row in table { print(String(decoding: try enc.encode(row), as: UTF8.self)) }
            return
        }
        let w = table.map(\.name.count).max() ?? 0
        for row in table {
            let name = row.name.padding(toLength: w, withPad: " ", startingAt: 0)
            print("\(name)  \(row.reconstructed ? "[R]" : "   ")  \(row.paper)  (\(row.reference))")
        }
        print("[R] = update rule reconstructed from the abstract; reasoning in docs/algorithms.md.")
    }
}
