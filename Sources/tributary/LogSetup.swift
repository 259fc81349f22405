// Structured logging for the daemons (swift-log): `--log-format human` (the default; one
// readable line per event with its metadata as key=value) or `--log-format json` (one JSON
// object per line: ts, level, label, message and every metadata key such as request-id and
// worker-id), both on standard error; `--log-level` sets the threshold.

import ArgumentParser
import Foundation
import Logging

enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable { case human, json }

/// The log options shared by `learner` and `worker`.
struct LogOptions: ParsableArguments {
    @Option(help: "Log format: human or json (one JSON object per line).") var logFormat: LogFormat = .human
    @Option(help: "Lowest level logged: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func bootstrap() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var h = LineLogHandler(label: label, format: format)
            h.logLevel = level
            return h
        }
    }
}

/// Writes each event as one line on standard error.
struct LineLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let m = event.metadata { all.merge(m) { $1 } }
        let ts = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        let line: String
        switch format {
        case .json:
            var obj: [String: Any] = ["ts": ts, "level": event.level.rawValue, "label": label, "message": "\(event.message)"]
            for (k, v) in all { obj[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            line = String(decoding: data, as: UTF8.self)
        case .human:
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(ts) \(event.level.rawValue.uppercased()) \(label): \(event.message)\(meta.isEmpty ? "" : " " + meta)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
