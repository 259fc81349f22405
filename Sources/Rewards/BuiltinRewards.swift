// The built-in reward functions: exact, numeric, regex, format and length. Each is a small
// value type; `RewardSpec` (RewardSpec.swift) builds them from configuration.

/// 1 when the completion equals the reference (the row's `answer`, or a metadata `field`),
/// after optional trimming and case folding; else 0. A non-string reference is compared as
/// its JSON text (`42`, `[1,2]`).
package struct ExactReward: RewardFunction {
    package var trim: Bool
    package var ignoreCase: Bool
    package var field: String
    package var name: String { "exact" }
    package var range: ClosedRange<Double> { 0...1 }

    package init(trim: Bool = true, ignoreCase: Bool = false, field: String = "answer") {
        self.trim = trim
        self.ignoreCase = ignoreCase
        self.field = field
    }

    package func score(_ input: RewardInput) throws(RewardError) -> Double {
        guard let target = input.row.field(field) else {
            throw .missingField(reward: name, field: field, row: input.row.line)
        }
        return normalise(input.completion) == normalise(target.textForm) ? 1 : 0
    }

    func normalise(_ s: String) -> String {
        var t = trim ? s.trimmingCharacters(in: .whitespacesAndNewlines) : s
        if ignoreCase { t = t.lowercased() }
        return t
    }
}

/// 1 when a number in the completion (chosen by `source`) equals the reference number within
/// tolerance: `|a - b| <= max(absoluteTolerance, relativeTolerance * max(|a|, |b|))`; else 0.
/// The reference is the `answer` (or a metadata `field`): a JSON number, or a string holding
/// a number, `#### N` or `\boxed{N}`.
package struct NumericReward: RewardFunction {
    package var source: NumberSource
    package var relativeTolerance: Double
    package var absoluteTolerance: Double
    package var field: String
    package var name: String { "numeric" }
    package var range: ClosedRange<Double> { 0...1 }

    package init(source: NumberSource = .auto, relativeTolerance: Double = 1e-6, absoluteTolerance: Double = 1e-9,
                field: String = "answer") {
        self.source = source
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.field = field
    }

    package func score(_ input: RewardInput) throws(RewardError) -> Double {
        guard let target = input.row.field(field) else {
            throw .missingField(reward: name, field: field, row: input.row.line)
        }
        guard let expected = Numbers.answer(target) else {
            throw .unusableField(reward: name, field: field, row: input.row.line,
                                 reason: "is not a number (found \(target.kindName) \(target.serialized().prefix(60)))")
        }
        let found = Numbers.candidates(in: input.completion, source: source)
        let hit = found.contains { Numbers.close($0, expected, relative: relativeTolerance, absolute: absoluteTolerance) }
        return hit ? 1 : 0
    }
}

/// Which capture group `regex` compares.
package enum CaptureGroup: Sendable, Hashable {
    case index(Int)
    case named(String)
}

/// Without `group`: 1 when `pattern` matches somewhere in the completion, else 0.
/// With `group`: 1 when the pattern matches and that capture (trimmed) equals the reference
/// (`answer` or a metadata `field`, trimmed; compared as its text form), else 0.
package struct RegexReward: RewardFunction {
    package let pattern: String
    package let group: CaptureGroup?
    package let field: String
    package let ignoreCase: Bool
    private let regex: CompiledPattern
    package var name: String { "regex" }
    package var range: ClosedRange<Double> { 0...1 }

    /// Throws `RewardSpecError.badRegex` when `pattern` does not compile or lacks the group.
    package init(pattern: String, group: CaptureGroup? = nil, field: String = "answer", ignoreCase: Bool = false) throws(RewardSpecError) {
        self.pattern = pattern
        self.group = group
        self.field = field
        self.ignoreCase = ignoreCase
        self.regex = try CompiledPattern(pattern, reward: "regex", ignoreCase: ignoreCase)
        if let g = group { try regex.check(group: g, reward: "regex") }
    }

    package func score(_ input: RewardInput) throws(RewardError) -> Double {
        guard let g = group else { return regex.firstMatch(in: input.completion) != nil ? 1 : 0 }
        guard let target = input.row.field(field) else {
            throw .missingField(reward: name, field: field, row: input.row.line)
        }
        guard let m = regex.firstMatch(in: input.completion), let captured = m.capture(g) else { return 0 }
        let a = captured.trimmingCharacters(in: .whitespacesAndNewlines)
        let b = target.textForm.trimmingCharacters(in: .whitespacesAndNewlines)
        return (ignoreCase ? a.lowercased() == b.lowercased() : a == b) ? 1 : 0
    }
}

/// 1 when the whole completion (trimmed of surrounding whitespace when `trim`) matches
/// `pattern`, else 0. Needs nothing from the row.
package struct FormatReward: RewardFunction {
    package let pattern: String
    package let trim: Bool
    private let regex: CompiledPattern
    package var name: String { "format" }
    package var range: ClosedRange<Double> { 0...1 }

    /// Throws `RewardSpecError.badRegex` when `pattern` does not compile.
    package init(pattern: String, trim: Bool = true) throws(RewardSpecError) {
        self.pattern = pattern
        self.trim = trim
        self.regex = try CompiledPattern(pattern, reward: "format", ignoreCase: false)
    }

    package func score(_ input: RewardInput) throws(RewardError) -> Double {
        let text = trim ? input.completion.trimmingCharacters(in: .whitespacesAndNewlines) : input.completion
        return regex.wholeMatch(text) ? 1 : 0
    }
}

/// A penalty for completions longer than `budget` tokens: 0 up to the budget, then falling
/// linearly to `-maxPenalty` at `budget + ramp` tokens and staying there.
package struct LengthReward: RewardFunction {
    package let budget: Int
    package let ramp: Int
    package let maxPenalty: Double
    package var name: String { "length" }
    package var range: ClosedRange<Double> { -maxPenalty...0 }

    /// `budget >= 0`, `ramp >= 1`, `maxPenalty >= 0` (RewardSpec checks them; here they are clamped).
    package init(budget: Int, ramp: Int? = nil, maxPenalty: Double = 1) {
        self.budget = max(0, budget)
        self.ramp = max(1, ramp ?? max(1, budget))
        self.maxPenalty = max(0, maxPenalty)
    }

    package func score(_ input: RewardInput) throws(RewardError) -> Double {
        let over = max(0, input.completionTokens - budget)
        return -maxPenalty * min(1, Double(over) / Double(ramp))
    }
}
