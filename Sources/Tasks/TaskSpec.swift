// TaskSpec: the registry. Parses strings like `reverse:digits=6` or
// `jsonl:path=/data/qa.jsonl`, checks them against each task's option schema,
// normalises them (canonical string, defaults dropped) and builds the task.

/// A validated, normalised description of a task; Codable as its canonical string.
///
/// Grammar (whitespace around names, keys and values is ignored):
/// ```
/// spec   := name [ ":" option ( "," option )* ]
/// option := key "=" value          (value: everything after the first "=")
/// ```
/// Values cannot contain `,`, except a value starting with `[` (a JSON list), which runs to its
/// matching `]`. Names and options:
///
/// | name | options (default) |
/// |---|---|
/// | `copy`, `reverse`, `sort` | `digits` (6), `min_digits` (= digits), `partial` (false) |
/// | `add` | `digits` (3), `pad` (true), `partial` (false) |
/// | `jsonl` | `path` (required), `partial` (false), `chat` (false), `max_new_tokens`, `rewards` (a JSON reward list), `correct` (all) |
///
/// The canonical form lists the options that differ from their defaults, sorted by key:
/// `reverse:digits=6` and `reverse` are the same spec, written `reverse`.
package struct TaskSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The task's registry name.
    package let name: String
    /// Options that differ from the defaults, with normalised values (`07` → `7`, `TRUE` → `true`).
    package let options: [String: String]

    /// The task `make run` trains by default: `reverse` with 6 digits.
    package static let `default` = try! TaskSpec(parsing: "reverse")  // a literal the tests parse too
    /// Every task name the registry knows.
    package static var names: [String] { schemas.keys.sorted() }

    /// Parses and validates a spec string (see the grammar above).
    package init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace
        guard !trimmed.isEmpty else { throw TaskSpecError.emptySpec }
        let head = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(head[0]).trimmingWhitespace
        var options: [String: String] = [:]
        if head.count == 2 {
            for item in try Self.splitOptions(head[1], spec: text) {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(pair[0]).trimmingWhitespace
                guard pair.count == 2, !key.isEmpty else {
                    throw TaskSpecError.malformedOption(spec: text, option: String(item))
                }
                guard options[key] == nil else { throw TaskSpecError.duplicateOption(task: name, option: key) }
                options[key] = String(pair[1]).trimmingWhitespace
            }
        }
        try self.init(name: name, options: options)
    }

    /// Splits `key=value,key=value` at the commas that separate options. A value that starts
    /// with `[` (a JSON list, e.g. `rewards=[…]`) runs to its matching `]`, so it may contain
    /// commas; brackets inside JSON strings do not count.
    static func splitOptions(_ text: Substring, spec: String) throws -> [Substring] {
        var items: [Substring] = []
        var start = text.startIndex, i = text.startIndex
        var depth = 0, inString = false, escaped = false, valueStart = true
        while i < text.endIndex {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if depth > 0 {
                if c == "\"" { inString = true } else if c == "[" || c == "{" { depth += 1 } else if c == "]" || c == "}" { depth -= 1 }
            } else if c == "," {
                items.append(text[start..<i]); start = text.index(after: i); valueStart = true
            } else if c == "=" && valueStart {
                valueStart = false
                // The value begins after "=" (and any spaces): a "[" there opens a JSON list.
                var j = text.index(after: i)
                while j < text.endIndex, text[j] == " " { j = text.index(after: j) }
                if j < text.endIndex, text[j] == "[" { depth = 1; i = j }
            }
            i = text.index(after: i)
        }
        if depth > 0 || inString {
            throw TaskSpecError.malformedOption(spec: spec, option: String(text[start...]) + " (unbalanced [ or \")")
        }
        items.append(text[start...])
        return items
    }

    /// Validates `options` against the schema of task `name` and normalises them.
    package init(name: String, options: [String: String]) throws {
        guard let schema = Self.schemas[name] else {
            throw TaskSpecError.unknownTask(name, valid: Self.names)
        }
        var normal: [String: String] = [:]
        for (key, raw) in options {
            guard let option = schema.first(where: { $0.key == key }) else {
                throw TaskSpecError.unknownOption(task: name, option: key, valid: schema.map(\.key))
            }
            let value = try option.kind.normalise(raw, task: name, option: key)
            if value != option.defaultValue { normal[key] = value }
        }
        if let rule = normal["correct"] {
            normal["correct"] = try Self.normaliseCorrect(rule, rewards: normal["rewards"], task: name)
            if normal["correct"] == "all" { normal["correct"] = nil }
        }
        for option in schema where option.required && normal[option.key] == nil {
            throw TaskSpecError.missingOption(task: name, option: option.key)
        }
        // `min_digits` defaults to `digits`: it may not exceed it, and is dropped when equal.
        if let minimum = normal["min_digits"], let digits = Int(normal["digits"] ?? "6") {
            if Int(minimum)! > digits {
                throw TaskSpecError.invalidValue(task: name, option: "min_digits", value: minimum,
                                                 expected: "an integer in 1...\(digits) (at most digits)")
            }
            if Int(minimum)! == digits { normal["min_digits"] = nil }
        }
        self.name = name
        self.options = normal
    }

    /// `name[:key=value,…]` with the non-default options sorted by key; parsing it gives back `self`.
    package var canonical: String {
        options.isEmpty ? name : name + ":" + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    package var description: String { canonical }

    /// Builds the task. With `maxPositions` (the model's `n_positions`), a task whose
    /// longest prompt plus completion does not fit is rejected (for `jsonl`, naming the line).
    package func makeTask(maxPositions: Int? = nil) throws -> any VerifiableTask {
        let task: any VerifiableTask
        switch name {
        case "copy", "reverse", "sort":
            task = try DigitStringTask(kind: DigitStringTask.Kind(rawValue: name)!, digits: int("digits", 6),
                                       minDigits: options["min_digits"].flatMap { Int($0) }, partialCredit: bool("partial", false))
        case "add":
            task = try AdditionTask(digits: int("digits", 3), pad: bool("pad", true), partialCredit: bool("partial", false))
        default:  // "jsonl"; the initialiser accepted no other name
            if bool("chat", false) { throw TaskSpecError.needsModelTokenizer(task: canonical, option: "chat=true") }
            task = try JSONLTask(path: options["path"]!, partialCredit: bool("partial", false), maxPositions: maxPositions,
                                 maxNewTokens: options["max_new_tokens"].flatMap { Int($0) }, rewards: try makeRewards(),
                                 rewardOptions: rewardOptions)
        }
        if let limit = maxPositions, task.maxSequenceTokens > limit {
            throw TaskSpecError.tooLongForModel(task: canonical, tokens: task.maxSequenceTokens, positions: limit)
        }
        return task
    }

    /// Builds the task in a pretrained model's own vocabulary. Only text tasks (`jsonl`) can be:
    /// the digit tasks define their own character vocabulary.
    package func makeTask<V: ChatTokenizer>(tokenizer: V, maxPositions: Int? = nil) throws -> any VerifiableTask {
        guard name == "jsonl" else { throw TaskSpecError.ownVocabulary(task: canonical) }
        let task = try TextTask(path: options["path"]!, tokenizer: tokenizer, chat: bool("chat", false),
                                maxNewTokens: options["max_new_tokens"].flatMap { Int($0) },
                                partialCredit: bool("partial", false), maxPositions: maxPositions,
                                rewards: try makeRewards(), rewardOptions: rewardOptions)
        if let limit = maxPositions, task.maxSequenceTokens > limit {
            throw TaskSpecError.tooLongForModel(task: canonical, tokens: task.maxSequenceTokens, positions: limit)
        }
        return task
    }

    /// The `rewards` and `correct` options, as a task records them in its own spec.
    private var rewardOptions: [String: String] { options.filter { $0.key == "rewards" || $0.key == "correct" } }

    private func int(_ key: String, _ fallback: Int) -> Int { options[key].flatMap { Int($0) } ?? fallback }
    private func bool(_ key: String, _ fallback: Bool) -> Bool { options[key].map { $0 == "true" } ?? fallback }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "task spec \(text.debugDescription): \(error)"))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(canonical)
    }
}

// MARK: - Option schemas

/// One option a task accepts.
struct OptionSchema: Sendable {
    enum Kind: Sendable {
        case int(ClosedRange<Int>)
        case bool
        case path
        /// A JSON list of reward objects (TaskRewards.swift).
        case rewards
        /// A `correct` rule; checked against `rewards` once every option is read.
        case correct

        /// Checks a raw value and returns its normal form.
        func normalise(_ raw: String, task: String, option: String) throws -> String {
            switch self {
            case let .int(range):
                guard let v = Int(raw), range.contains(v) else {
                    throw TaskSpecError.invalidValue(task: task, option: option, value: raw,
                                                     expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
                }
                return String(v)
            case .bool:
                switch raw.lowercased() {
                case "true": return "true"
                case "false": return "false"
                default: throw TaskSpecError.invalidValue(task: task, option: option, value: raw, expected: "true or false")
                }
            case .path:
                guard !raw.isEmpty, !raw.contains(",") else {
                    throw TaskSpecError.invalidValue(task: task, option: option, value: raw,
                                                     expected: "a non-empty file path without \",\"")
                }
                return raw
            case .rewards:
                return try TaskSpec.normaliseRewards(raw, task: task)
            case .correct:
                return raw
            }
        }
    }

    var key: String
    var kind: Kind
    /// Normal form of the default; nil when it depends on other options or the option is required.
    var defaultValue: String?
    var required = false
}

extension TaskSpec {
    static let schemas: [String: [OptionSchema]] = {
        let digitString: [OptionSchema] = [
            .init(key: "digits", kind: .int(1...DigitStringTask.maxDigits), defaultValue: "6"),
            .init(key: "min_digits", kind: .int(1...DigitStringTask.maxDigits), defaultValue: nil),
            .init(key: "partial", kind: .bool, defaultValue: "false"),
        ]
        return [
            "copy": digitString, "reverse": digitString, "sort": digitString,
            "add": [
                .init(key: "digits", kind: .int(1...AdditionTask.maxDigits), defaultValue: "3"),
                .init(key: "pad", kind: .bool, defaultValue: "true"),
                .init(key: "partial", kind: .bool, defaultValue: "false"),
            ],
            "jsonl": [
                .init(key: "path", kind: .path, defaultValue: nil, required: true),
                .init(key: "partial", kind: .bool, defaultValue: "false"),
                // Render prompts with the model's chat template (needs a pretrained model's tokenizer).
                .init(key: "chat", kind: .bool, defaultValue: "false"),
                // Completion limit; default: longest answer + end (character tasks), 64 (text tasks).
                .init(key: "max_new_tokens", kind: .int(1...32_768), defaultValue: nil),
                // A weighted list of reward functions, e.g. [{"name":"numeric","weight":0.5}] (docs/rewards.md).
                .init(key: "rewards", kind: .rewards, defaultValue: nil),
                // When a sample counts as correct: all | LABEL | LABEL>=X | total>=X (default all).
                .init(key: "correct", kind: .correct, defaultValue: "all"),
            ],
        ]
    }()
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
