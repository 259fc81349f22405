// TextTask: a JSONL task spoken in a pretrained model's own tokenizer. Rows carry a string
// `prompt` or a `messages` list of {role, content}, and an `answer` (a string, or a number or
// boolean written as JSON writes it); other fields are ignored here (reward functions read them).
// With `chat=true` prompts go through the model's chat template (a string prompt becomes one
// user turn); otherwise a prompt is the model's BOS (when it adds one) then the text.
// Completions are judged on decoded text, since BPE can spell one answer several ways; with
// `rewards=[…]` by the composite reward, which sees each row's metadata (any JSON answer).

import Foundation
import Rewards

/// A JSONL task tokenized by a model's tokenizer (`jsonl:path=…,chat=true` with `--init` a real model).
package struct TextTask<V: ChatTokenizer>: VerifiableTask {
    /// One row of the file.
    package struct Row: Sendable, Hashable {
        /// 1-based line number in the file.
        package var line: Int
        /// The conversation (a string prompt is one user turn).
        package var turns: [ChatTurn]
        /// True when the row gave `messages` (it then needs `chat=true`).
        package var isConversation: Bool
        package var answer: String
    }

    package let path: String
    package let rows: [Row]
    package let chat: Bool
    package let partialCredit: Bool
    package let tokenizer: V
    package let spec: TaskSpec
    package let maxPromptTokens: Int
    package let maxCompletionTokens: Int
    /// The spec's composite reward, if it names one.
    package let rewards: CompositeReward?
    /// Every row as the reward functions see it (prompt, answer, metadata), aligned with `rows`.
    package let rewardRows: [Rewards.Row]
    private let prompts: [[TokenID]]
    private let members: [Split: [Int]]

    /// The completion limit when the spec does not set `max_new_tokens`.
    package static var defaultMaxNewTokens: Int { 64 }

    /// Reads `path` and encodes every row with `tokenizer` (errors name the line).
    package init(path: String, tokenizer: V, chat: Bool, maxNewTokens: Int? = nil, partialCredit: Bool = false,
                maxPositions: Int? = nil, rewards: CompositeReward? = nil, rewardOptions: [String: String] = [:]) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw JSONLError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw JSONLError.notUTF8(path: path) }
        try self.init(contents: text, path: path, tokenizer: tokenizer, chat: chat, maxNewTokens: maxNewTokens,
                      partialCredit: partialCredit, maxPositions: maxPositions, rewards: rewards, rewardOptions: rewardOptions)
    }

    /// Parses file contents; `path` is used in messages and recorded in the spec.
    package init(contents: String, path: String, tokenizer: V, chat: Bool, maxNewTokens: Int? = nil,
                partialCredit: Bool = false, maxPositions: Int? = nil, rewards: CompositeReward? = nil,
                rewardOptions: [String: String] = [:]) throws {
        var rows: [Row] = [], prompts: [[TokenID]] = [], rewardRows: [Rewards.Row] = []
        let limit = maxNewTokens ?? Self.defaultMaxNewTokens
        for (i, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy(\.isWhitespace) { continue }
            let row: Row
            if rewards != nil {
                let r = try JSONLTask.parseRow(line: String(line), number: i + 1, path: path)
                row = Self.row(r, number: i + 1)
                rewardRows.append(r)
            } else {
                row = try Self.parse(line: String(line), number: i + 1, path: path)
                rewardRows.append(Rewards.Row(prompt: row.isConversation ? .messages(row.turns.map { ChatMessage(role: $0.role, content: $0.content) })
                                                                          : .text(row.turns[0].content),
                                              answer: .string(row.answer), line: i + 1))
            }
            if row.isConversation, !chat { throw JSONLError.messagesNeedChat(path: path, line: i + 1) }
            let tokens: [TokenID]
            do {
                tokens = chat ? try tokenizer.encodeChat(row.turns) : try tokenizer.encodePrompt(row.turns[0].content)
            } catch {
                throw JSONLError.unencodable(path: path, line: i + 1, reason: "\(error)")
            }
            if let positions = maxPositions, tokens.count + limit > positions {
                throw JSONLError.tooLong(path: path, line: i + 1, tokens: tokens.count + limit, positions: positions)
            }
            rows.append(row); prompts.append(tokens)
        }
        guard !rows.isEmpty else { throw JSONLError.emptyFile(path: path) }
        self.path = path
        self.rows = rows
        self.prompts = prompts
        self.chat = chat
        self.partialCredit = partialCredit
        self.tokenizer = tokenizer
        self.rewards = rewards
        self.rewardRows = rewardRows
        var options = rewardOptions.merging(["path": path, "partial": String(partialCredit), "chat": String(chat)]) { $1 }
        if let maxNewTokens { options["max_new_tokens"] = String(maxNewTokens) }
        self.spec = try TaskSpec(name: "jsonl", options: options)
        self.maxPromptTokens = prompts.map(\.count).max()!
        self.maxCompletionTokens = limit
        self.members = try JSONLTask.partition(keys: rows.map(Self.key), path: path)
    }

    package var name: String { "jsonl" }
    package func count(of split: Split) -> Int? { members[split]!.count }

    package func prompt(seed: UInt64, index: Int, split: Split) -> Prompt {
        let r = JSONLTask.row(of: members[split]!, seed: seed, index: index, split: split)
        let answerTokens = (try? tokenizer.encode(rows[r].answer)) ?? []
        return Prompt(index: index, split: split, question: Self.key(rows[r]), answer: rows[r].answer,
                      tokens: prompts[r], answerTokens: answerTokens, row: r)
    }

    /// The completion's decoded text and the prompt's row with its metadata.
    package func rewardInput(prompt: Prompt, completion: [TokenID]) -> RewardInput {
        let produced = Array(completion.prefix { $0 != tokenizer.end })
        let row = prompt.row.flatMap { rewardRows.indices.contains($0) ? rewardRows[$0] : nil }
            ?? Rewards.Row(prompt: .text(prompt.question), answer: .string(prompt.answer))
        return RewardInput(completion: tokenizer.decode(produced), completionTokens: produced.count, row: row)
    }

    /// Correct ⇔ the decoded completion (cut at `end`, whitespace trimmed) equals the answer (trimmed).
    /// With partial credit a wrong answer earns the share of matching characters (as `Verifier.judge`).
    /// With `rewards=[…]`: the composite reward's total and `correct` rule instead.
    package func verify(prompt: Prompt, completion: [TokenID]) -> Verdict {
        if let rewards { return verifyWithRewards(rewards, prompt: prompt, completion: completion) }
        let text = tokenizer.decode(Array(completion.prefix { $0 != tokenizer.end })).trimmingWhitespace
        let answer = prompt.answer.trimmingWhitespace
        if text == answer { return Verdict(reward: 1, correct: true) }
        guard partialCredit else { return Verdict(reward: 0, correct: false) }
        let (a, b) = (Array(answer.unicodeScalars), Array(text.unicodeScalars))
        let matches = zip(a, b).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return Verdict(reward: Float(matches) / Float(max(a.count, b.count, 1)), correct: false)
    }

    /// The question text: a string prompt as is; a conversation as `role: content` lines.
    static func key(_ row: Row) -> String {
        row.isConversation ? row.turns.map { "\($0.role): \($0.content)" }.joined(separator: "\n") : row.turns[0].content
    }

    /// A row read with metadata (tasks with rewards): any JSON answer, as its text form ("" when absent).
    static func row(_ r: Rewards.Row, number: Int) -> Row {
        switch r.prompt {
        case let .text(p):
            return Row(line: number, turns: [ChatTurn(role: "user", content: p)], isConversation: false, answer: r.answer?.textForm ?? "")
        case let .messages(ms):
            return Row(line: number, turns: ms.map { ChatTurn(role: $0.role, content: $0.content) }, isConversation: true,
                       answer: r.answer?.textForm ?? "")
        }
    }

    static func parse(line: String, number: Int, path: String) throws -> Row {
        let fields = try JSONValue.parse(line: line, number: number, path: path)
        let turns: [ChatTurn], isConversation: Bool
        switch (fields["prompt"], fields["messages"]) {
        case (.string(let p)?, nil):
            turns = [ChatTurn(role: "user", content: p)]; isConversation = false
        case (nil, .array(let items)?):
            turns = try items.enumerated().map { k, item in
                guard case let .object(o) = item, case let .string(role)? = o["role"], case let .string(content)? = o["content"] else {
                    throw JSONLError.badMessages(path: path, line: number,
                                                 reason: "message \(k) is not an object with string \"role\" and \"content\"")
                }
                return ChatTurn(role: role, content: content)
            }
            guard !turns.isEmpty else { throw JSONLError.badMessages(path: path, line: number, reason: "the list is empty") }
            isConversation = true
        case (nil, nil): throw JSONLError.missingField(path: path, line: number, field: "prompt\" or \"messages")
        case (.some, .some): throw JSONLError.badMessages(path: path, line: number, reason: "a row has \"prompt\" or \"messages\", not both")
        case (.some(let v), nil): throw JSONLError.nonStringField(path: path, line: number, field: "prompt", found: v.kindName)
        case (nil, .some(let v)):
            throw JSONLError.badMessages(path: path, line: number, reason: "\"messages\" must be a list, found \(v.kindName)")
        }
        let answer: String
        switch fields["answer"] {
        case .string(let s)?: answer = s
        case .number(let d)?: answer = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b)?: answer = String(b)
        case nil: throw JSONLError.missingField(path: path, line: number, field: "answer")
        case let v?: throw JSONLError.nonStringField(path: path, line: number, field: "answer", found: v.kindName)
        }
        return Row(line: number, turns: turns, isConversation: isConversation, answer: answer)
    }
}
