// `tributary objectives [--json | --markdown | --update-docs FILE]`: the preset table (name, paper,
// where the formula is, whether it is a reconstruction), from the same registry as the `--objective`
// help text (Objectives/PresetTable.swift). `--update-docs docs/algorithms.md` rewrites the table
// between the file's preset markers (ObjectivesTests.PresetTableTests fails while they differ).

import ArgumentParser
import Foundation
import Objectives

struct ObjectivesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objectives",
        abstract: "List the objective presets with their papers and formula references (docs/algorithms.md).")

    @Flag(help: "One JSON object per preset (name, paper, reference, reconstructed).")
    var json = false

    @Flag(help: "The markdown table docs/algorithms.md holds between its preset markers.")
    var markdown = false

    @Option(help: "Rewrite the preset table between the markers of this markdown file (docs/algorithms.md).")
    var updateDocs: String?

    func run() throws {
        if let path = updateDocs {
            let url = URL(fileURLWithPath: path)
            let text = try String(contentsOf: url, encoding: .utf8)
            guard let out = ObjectiveConfig.replacingPresetMarkdown(in: text) else {
                throw ValidationError("\(path) has no '\(ObjectiveConfig.presetMarkdownBegin)' … '\(ObjectiveConfig.presetMarkdownEnd)' markers")
            }
            if out != text { try out.write(to: url, atomically: true, encoding: .utf8) }
            print(out == text ? "\(path): preset table up to date" : "\(path): preset table rewritten")
            return
        }
        if markdown {
            print(ObjectiveConfig.presetMarkdown)
            return
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for row in ObjectiveConfig.presetTable { print(String(decoding: try enc.encode(row), as: UTF8.self)) }
            return
        }
        print(ObjectiveConfig.presetListing)
    }
}
