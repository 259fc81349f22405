// jsonl: a user's own problems, one `{"prompt": "…", "answer": "…"}` object per
// line. The vocabulary is the set of characters in the file; reward is exact match
// (partial credit optional), or the spec's composite reward, which sees each row's metadata;
// the held-out split is chosen by a hash of each prompt.

import Foundation
import Rewards
import Tensor

/// A task read from a JSON Lines file.
///
/// * Blank lines are skipped. Without `rewards` other fields are ignored; with them the
///   `answer` may be any JSON (its text form is the demonstration) and every other field
///   reaches the reward functions as metadata.
/// * Vocabulary: every Unicode scalar of every prompt and answer, sorted by code point,
///   then the special tokens (see `Tokenizer`).
/// * Split: a prompt is held out iff `HeldOut.split(of: prompt) == .eval`, so lines with
///   equal prompts share a split. If that leaves a split empty, the distinct prompt with
///   the smallest CRC-32 (ties: smallest string) is moved to it; fewer than two distinct
///   prompts is an error.
/// * `prompt(index:split:.eval)` is the `index % count`-th held-out line in file order.
///   Training prompts run in epochs of `count` indices; each epoch visits every training
///   line once, in an order permuted by `(seed, epoch)` (an affine permutation).
package struct JSONLTask: VerifiableTask {
    /// One line of the file.
    package struct Example: Sendable, Hashable {
        /// 1-based line number in the file.
        package var line: Int
        package var prompt: String
        package var answer: String
    }

    package let path: String
    /// All examples in file order.
    package let examples: [Example]
    package let partialCredit: Bool
    package let tokenizer: Tokenizer
    package let spec: TaskSpec
    package let maxPromptTokens: Int
    package let maxCompletionTokens: Int
    /// The spec's composite reward, if it names one.
    package let rewards: CompositeReward?
    /// Every row as the reward functions see it (prompt, answer, metadata), aligned with `examples`.
    package let rows: [Rewards.Row]
    /// Indices into `examples`, per split, in file order.
    private let members: [Split: [Int]]

    /// Reads and validates `path`.
    /// - Parameter maxPositions: the model's `n_positions`, if known; longer lines are errors.
    /// - Parameter rewards: the composite reward, with `rewardOptions` its spec options (`rewards`, `correct`).
    package init(path: String, partialCredit: Bool = false, maxPositions: Int? = nil, maxNewTokens: Int? = nil,
                rewards: CompositeReward? = nil, rewardOptions: [String: String] = [:]) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw JSONLError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw JSONLError.notUTF8(path: path) }
        try self.init(contents: text, path: path, partialCredit: partialCredit, maxPositions: maxPositions,
                      maxNewTokens: maxNewTokens, rewards: rewards, rewardOptions: rewardOptions)
    }

    /// Parses file contents; `path` is used in messages and recorded in the spec.
    /// - Parameter maxNewTokens: the completion limit; nil = the longest answer plus the end token.
    package init(contents: String, path: String, partialCredit: Bool = false, maxPositions: Int? = nil,
                maxNewTokens: Int? = nil, rewards: CompositeReward? = nil, rewardOptions: [String: String] = [:]) throws {
        var examples: [Example] = [], rows: [Rewards.Row] = []
        for (i, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy(\.isWhitespace) { continue }
            let example: Example
            if rewards != nil {
                let row = try Self.parseRow(line: String(line), number: i + 1, path: path)
                guard case let .text(prompt) = row.prompt else { throw JSONLError.messagesNeedChat(path: path, line: i + 1) }
                example = Example(line: i + 1, prompt: prompt, answer: row.answer?.textForm ?? "")
                rows.append(row)
            } else {
                example = try Self.parse(line: String(line), number: i + 1, path: path)
                rows.append(Rewards.Row(prompt: .text(example.prompt), answer: .string(example.answer), line: i + 1))
            }
            let needed = example.prompt.unicodeScalars.count + example.answer.unicodeScalars.count + 3
            if let limit = maxPositions, needed > limit {
                throw JSONLError.tooLong(path: path, line: i + 1, tokens: needed, positions: limit)
            }
            examples.append(example)
        }
        guard !examples.isEmpty else { throw JSONLError.emptyFile(path: path) }

        let characters = Set(examples.flatMap { Array($0.prompt.unicodeScalars) + Array($0.answer.unicodeScalars) })
        self.tokenizer = try Tokenizer(characters: characters.sorted { $0.value < $1.value })
        self.path = path
        self.examples = examples
        self.partialCredit = partialCredit
        self.rewards = rewards
        self.rows = rows
        var options = rewardOptions.merging(["path": path, "partial": String(partialCredit)]) { $1 }
        if let maxNewTokens { options["max_new_tokens"] = String(maxNewTokens) }
        self.spec = try TaskSpec(name: "jsonl", options: options)
        self.maxPromptTokens = examples.map { $0.prompt.unicodeScalars.count + 2 }.max()!
        self.maxCompletionTokens = maxNewTokens ?? examples.map { $0.answer.unicodeScalars.count + 1 }.max()!
        self.members = try Self.partition(examples, path: path)
    }

    package var name: String { "jsonl" }
    package func count(of split: Split) -> Int? { members[split]!.count }

    package func prompt(seed: UInt64, index: Int, split: Split) -> Prompt {
        let r = Self.row(of: members[split]!, seed: seed, index: index, split: split)
        let example = examples[r]
        let answerTokens = encodeOwn(example.answer)
        return Prompt(index: index, split: split, question: example.prompt, answer: example.answer,
                      tokens: [tokenizer.begin] + encodeOwn(example.prompt) + [tokenizer.separator],
                      answerTokens: answerTokens, row: r)
    }

    /// Exact match (`Verifier.judge`), or the composite reward when the spec names one.
    package func verify(prompt: Prompt, completion: [TokenID]) -> Verdict {
        if let rewards { return verifyWithRewards(rewards, prompt: prompt, completion: completion) }
        return Verifier.judge(answer: prompt.answerTokens, completion: completion, end: tokenizer.end, partialCredit: partialCredit)
    }

    /// The completion's text and the prompt's row with its metadata.
    package func rewardInput(prompt: Prompt, completion: [TokenID]) -> RewardInput {
        let produced = Array(completion.prefix { $0 != tokenizer.end })
        let row = prompt.row.flatMap { rows.indices.contains($0) ? rows[$0] : nil }
            ?? Rewards.Row(prompt: .text(prompt.question), answer: .string(prompt.answer))
        return RewardInput(completion: tokenizer.decode(produced), completionTokens: produced.count, row: row)
    }

    /// The row behind `index` of a split whose rows are `lines`: held-out rows in file order; training
    /// rows in epochs, each visiting every row once in an order permuted by `(seed, epoch)`.
    static func row(of lines: [Int], seed: UInt64, index: Int, split: Split) -> Int {
        let n = lines.count
        let (epoch, position) = (index.euclideanDiv(n), index.euclideanMod(n))
        var slot = position
        if split == .train, n > 1 {
            // i ↦ (a·i + b) mod n is a bijection of 0..<n when gcd(a, n) = 1.
            var rng = SplitMix64(seed: SplitMix64.mix(seed, 0x6A73_6F6E_6C, UInt64(bitPattern: Int64(epoch))))
            var a = 1 + Int(rng.next() % UInt64(n - 1))
            while gcd(a, n) != 1 { a = 1 + Int(rng.next() % UInt64(n - 1)) }
            slot = (a * position + Int(rng.next() % UInt64(n))) % n
        }
        return lines[slot]
    }

    /// Text from the file is in the file's vocabulary by construction.
    private func encodeOwn(_ text: String) -> [TokenID] {
        text.unicodeScalars.map { c in
            guard let id = tokenizer.id(of: c) else { preconditionFailure("\(c) missing from the file's vocabulary") }
            return id
        }
    }

    // MARK: - Loading

    /// Reads a row with metadata (tasks with rewards); errors name the file and line.
    static func parseRow(line: String, number: Int, path: String) throws -> Rewards.Row {
        do { return try Rewards.Row.parse(line: line, number: number) } catch {
            switch error {
            case let .invalidJSON(e): throw JSONLError.invalidJSON(path: path, line: number, reason: e.description)
            case let .notAnObject(_, found): throw JSONLError.notAnObject(path: path, line: number, found: found)
            case .missingPrompt: throw JSONLError.missingField(path: path, line: number, field: "prompt\" or \"messages")
            case let .badPrompt(_, found): throw JSONLError.nonStringField(path: path, line: number, field: "prompt", found: found)
            case .promptAndMessages:
                throw JSONLError.badMessages(path: path, line: number, reason: "a row has \"prompt\" or \"messages\", not both")
            case .badMessages:
                throw JSONLError.badMessages(path: path, line: number, reason: error.description)
            }
        }
    }

    private static func parse(line: String, number: Int, path: String) throws -> Example {
        let fields = try JSONValue.parse(line: line, number: number, path: path)
        func string(_ field: String) throws -> String {
            guard let v = fields[field] else { throw JSONLError.missingField(path: path, line: number, field: field) }
            guard case let .string(s) = v else {
                throw JSONLError.nonStringField(path: path, line: number, field: field, found: v.kindName)
            }
            return s
        }
        return Example(line: number, prompt: try string("prompt"), answer: try string("answer"))
    }

    private static func partition(_ examples: [Example], path: String) throws -> [Split: [Int]] {
        try partition(keys: examples.map(\.prompt), path: path)
    }

    /// Splits rows by a hash of their prompt key (rows with equal keys share a split); see the type's doc.
    static func partition(keys: [String], path: String) throws -> [Split: [Int]] {
        let distinct = Set(keys)
        guard distinct.count >= 2 else { throw JSONLError.tooFewPrompts(path: path, distinct: distinct.count) }
        var splitOf = Dictionary(uniqueKeysWithValues: distinct.map { ($0, HeldOut.split(of: $0)) })
        for split in Split.allCases where !splitOf.values.contains(split) {
            let moved = distinct.min { (HeldOut.crc32(Array($0.utf8)), $0) < (HeldOut.crc32(Array($1.utf8)), $1) }!
            splitOf[moved] = split
        }
        var members: [Split: [Int]] = [.train: [], .eval: []]
        for (i, key) in keys.enumerated() { members[splitOf[key]!]!.append(i) }
        return members
    }
}

/// Just enough of JSON for task rows: strings, numbers (kept as their shortest text),
/// arrays and objects, and a name for what was found in error messages.
enum JSONValue: Decodable {
    case string(String), number(Double), bool(Bool), null, array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses one JSONL line; errors name the file and line.
    static func parse(line: String, number: Int, path: String) throws -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            let reason = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            throw JSONLError.invalidJSON(path: path, line: number, reason: reason)
        } catch {
            throw JSONLError.invalidJSON(path: path, line: number, reason: "\(error)")
        }
        guard case let .object(fields) = value else {
            throw JSONLError.notAnObject(path: path, line: number, found: value.kindName)
        }
        return fields
    }

    var kindName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

extension Int {
    fileprivate func euclideanMod(_ n: Int) -> Int { ((self % n) + n) % n }
    fileprivate func euclideanDiv(_ n: Int) -> Int { (self - euclideanMod(n)) / n }
}
