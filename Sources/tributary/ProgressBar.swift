// A one-line progress bar for terminals, and plain log lines otherwise (CI, pipes).
// Redraws at most ten times a second; `finish` leaves the last state on screen.

import Foundation

/// Renders progress towards a step budget with a few named figures.
struct ProgressBar {
    let total: Int
    let label: String
    let isTerminal: Bool
    /// Plain-mode output every `logEvery` updates.
    let logEvery: Int
    private var lastDraw = Date.distantPast
    private var updates = 0
    private let start = Date()

    init(total: Int, label: String, logEvery: Int = 10, forceTerminal: Bool? = nil) {
        self.total = max(1, total)
        self.label = label
        self.logEvery = max(1, logEvery)
        self.isTerminal = forceTerminal ?? (isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["CI"] == nil)
    }

    /// Shows `current` of `total` with `fields` (name, formatted value) in order.
    mutating func update(_ current: Int, _ fields: [(String, String)], force: Bool = false) {
        updates += 1
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(current) / elapsed : 0
        let text = fields.map { "\($0.0) \($0.1)" }.joined(separator: "  ")
        if isTerminal {
            guard force || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = Date()
            let width = 24
            let filled = min(width, Int(Double(width) * Double(current) / Double(total)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let line = String(format: "\r\u{1B}[2K%@ %@ %d/%d  %@  %.1f/s", label, bar, current, total, text, rate)
            FileHandle.standardError.write(Data(line.utf8))
        } else if force || updates % logEvery == 0 {
            let line = String(format: "%@ %d/%d  %@  %.1f/s  %.1fs\n", label, current, total, text, rate, elapsed)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Ends the bar with a newline (terminal mode).
    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
