// One task row as users write them in JSONL: a `prompt` string or a chat `messages` list,
// an `answer` of any JSON type, and every other field kept, in order, as metadata that
// reaches the reward functions unchanged.

/// Why a JSONL row could not be read. Every case names the line.
package enum RowError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    case notAnObject(line: Int, found: String)
    case missingPrompt(line: Int)
    case promptAndMessages(line: Int)
    case badPrompt(line: Int, found: String)
    case badMessages(line: Int, reason: String)

    package var description: String {
        switch self {
        case let .invalidJSON(e): return "invalid JSON at \(e)"
        case let .notAnObject(l, found): return "line \(l): a row must be a JSON object, found \(found)"
        case let .missingPrompt(l): return "line \(l): a row needs \"prompt\" (a string) or \"messages\" (a list)"
        case let .promptAndMessages(l): return "line \(l): a row has both \"prompt\" and \"messages\"; give one"
        case let .badPrompt(l, found): return "line \(l): \"prompt\" must be a string, found \(found)"
        case let .badMessages(l, reason): return "line \(l): \"messages\" \(reason)"
        }
    }
}

/// One chat message.
package struct ChatMessage: Sendable, Hashable, Codable {
    package var role: String
    package var content: String

    package init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// One task row.
package struct Row: Sendable, Hashable {
    /// What the policy is asked.
    package enum Prompt: Sendable, Hashable {
        case text(String)
        case messages([ChatMessage])
    }

    /// 1-based line in its file, when it came from one (used in error messages).
    package var line: Int?
    package var prompt: Prompt
    /// The reference answer, any JSON; nil when the row has none (rewards that need it say so).
    package var answer: JSONValue?
    /// Every other field of the row, in file order, unchanged.
    package var metadata: JSONObject

    package init(prompt: Prompt, answer: JSONValue?, metadata: JSONObject = JSONObject(), line: Int? = nil) {
        self.prompt = prompt
        self.answer = answer
        self.metadata = metadata
        self.line = line
    }

    /// The field a reward reads: `answer`, or a metadata field by name.
    package func field(_ name: String) -> JSONValue? {
        name == "answer" ? answer : metadata[name]
    }

    /// The prompt as JSON: a string, or a list of `{"role", "content"}` objects.
    package var promptJSON: JSONValue {
        switch prompt {
        case let .text(s): return .string(s)
        case let .messages(ms): return .array(ms.map { .object(["role": .string($0.role), "content": .string($0.content)]) })
        }
    }

    /// The row back as a JSON object: `prompt` or `messages`, `answer`, then the metadata.
    package var json: JSONObject {
        var o = JSONObject()
        switch prompt {
        case .text: o["prompt"] = promptJSON
        case .messages: o["messages"] = promptJSON
        }
        if let a = answer { o["answer"] = a }
        for (k, v) in metadata { o[k] = v }
        return o
    }

    /// Reads one JSONL line (`number` is its 1-based line in the file).
    ///
    /// `messages` entries need string `role` and `content`; their other keys are ignored.
    package static func parse(line text: String, number: Int) throws(RowError) -> Row {
        let value: JSONValue
        do { value = try JSONValue.parse(text, line: number) } catch { throw .invalidJSON(error) }
        guard case var .object(fields) = value else { throw .notAnObject(line: number, found: value.kindName) }
        let prompt: Prompt
        switch (fields["prompt"], fields["messages"]) {
        case (nil, nil): throw .missingPrompt(line: number)
        case (.some, .some): throw .promptAndMessages(line: number)
        case let (.some(p), nil):
            guard case let .string(s) = p else { throw .badPrompt(line: number, found: p.kindName) }
            prompt = .text(s)
            fields["prompt"] = nil
        case let (nil, .some(m)):
            guard case let .array(items) = m else { throw .badMessages(line: number, reason: "must be a list, found \(m.kindName)") }
            guard !items.isEmpty else { throw .badMessages(line: number, reason: "is empty") }
            var messages: [ChatMessage] = []
            for (i, item) in items.enumerated() {
                guard case let .object(o) = item else {
                    throw .badMessages(line: number, reason: "item \(i) must be an object, found \(item.kindName)")
                }
                guard let role = o["role"]?.stringValue, let content = o["content"]?.stringValue else {
                    throw .badMessages(line: number, reason: "item \(i) needs string \"role\" and \"content\"")
                }
                messages.append(ChatMessage(role: role, content: content))
            }
            prompt = .messages(messages)
            fields["messages"] = nil
        }
        let answer = fields["answer"]
        fields["answer"] = nil
        return Row(prompt: prompt, answer: answer, metadata: fields, line: number)
    }

    /// Reads a JSONL text: one row per non-blank line (a trailing `\r` is ignored).
    package static func parseJSONL(_ text: String) throws(RowError) -> [Row] {
        var rows: [Row] = []
        // Split bytes, not Characters: "\r\n" is a single Character in Swift.
        for (i, raw) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = raw.last == 0x0D ? raw.dropLast() : raw[...]
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            rows.append(try parse(line: String(decoding: line, as: UTF8.self), number: i + 1))
        }
        return rows
    }
}
