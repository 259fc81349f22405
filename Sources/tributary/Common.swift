// Shared command-line pieces: option groups, task/preset resolution, JSON lines output,
// and the error type every subcommand reports with.

import ArgumentParser
import Foundation
import Learner
import Policy
import Tasks
import Tensor

/// Options every training command shares.
struct ModelOptions: ParsableArguments {
    @Option(help: "Task spec, e.g. reverse, reverse:digits=6, add:digits=3, jsonl:path=FILE (docs/tasks.md).")
    var task: String = TaskSpec.default.canonical

    @Option(help: "Model preset: tiny, small or base (docs/models.md).")
    var preset: String = "tiny"

    @Option(help: "Random seed (initialisation, prompts, sampling).")
    var seed: UInt64 = 0

    @Option(help: "OpenBLAS threads for training GEMMs.")
    var threads: Int = 2

    func makeTask(maxPositions: Int? = nil) throws -> any VerifiableTask {
        try TaskSpec(parsing: task).makeTask(maxPositions: maxPositions)
    }
}

/// Writes one JSON object per line to a file (metrics) or stdout.
final class JSONLines: @unchecked Sendable {   // one writer at a time (a step callback or a command)
    private let handle: FileHandle?
    init(url: URL?) throws {
        if let url {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            handle = try FileHandle(forWritingTo: url)
            handle?.seekToEndOfFile()
        } else { handle = nil }
    }
    func write<T: Encodable>(_ value: T) throws {
        var data = try JSONEncoder.sortedCompact.encode(value)
        data.append(0x0A)
        if let handle { handle.write(data) } else { FileHandle.standardOutput.write(data) }
    }
    deinit { try? handle?.close() }
}

extension JSONEncoder {
    static var sortedCompact: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
}

func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "—" }
