// Typed errors of the task registry and of the jsonl loader, each with a
// message that names the task, option, file and line concerned.

/// Why a task spec was rejected or a task could not be built.
package enum TaskSpecError: Error, Equatable, CustomStringConvertible {
    case emptySpec
    case unknownTask(String, valid: [String])
    case malformedOption(spec: String, option: String)
    case unknownOption(task: String, option: String, valid: [String])
    case duplicateOption(task: String, option: String)
    case invalidValue(task: String, option: String, value: String, expected: String)
    case missingOption(task: String, option: String)
    /// No question of the problem space falls in `split`; `spaceSize` when the space was counted in full.
    case emptySplit(task: String, split: Split, spaceSize: Int?)
    /// The longest prompt plus completion needs more positions than the model has.
    case tooLongForModel(task: String, tokens: Int, positions: Int)
    /// An option that only a pretrained model's tokenizer can honour (e.g. `chat=true`).
    case needsModelTokenizer(task: String, option: String)
    /// A task with its own character vocabulary asked to speak a pretrained model's.
    case ownVocabulary(task: String)
    /// The `rewards` list or the `correct` rule is unusable (the reason names the reward).
    case badRewards(task: String, reason: String)

    package var description: String {
        switch self {
        case .emptySpec:
            return "task spec is empty; expected a name such as \(TaskSpec.default.canonical)"
        case let .unknownTask(name, valid):
            return "unknown task \(name.debugDescription); valid tasks: \(valid.joined(separator: ", "))"
        case let .malformedOption(spec, option):
            return "task spec \(spec.debugDescription): option \(option.debugDescription) is not key=value"
        case let .unknownOption(task, option, valid):
            return "task \(task) has no option \(option.debugDescription); valid options: \(valid.joined(separator: ", "))"
        case let .duplicateOption(task, option):
            return "task \(task): option \(option) is given twice"
        case let .invalidValue(task, option, value, expected):
            return "task \(task): option \(option)=\(value.debugDescription) is invalid; expected \(expected)"
        case let .missingOption(task, option):
            return "task \(task) needs option \(option) (e.g. \(task):\(option)=…)"
        case let .emptySplit(task, split, size):
            let space = size.map { "all \($0) problems" } ?? "the problems scanned"
            return "task \(task): none of \(space) falls in the \(split.rawValue) split; use a larger problem space"
        case let .needsModelTokenizer(task, option):
            return "task \(task): \(option) needs a pretrained model's tokenizer (start from one with --init)"
        case let .ownVocabulary(task):
            return "task \(task) defines its own character vocabulary and cannot run on a pretrained model's tokenizer; use a jsonl task"
        case let .badRewards(task, reason):
            return "task \(task): rewards: \(reason)"
        case let .tooLongForModel(task, tokens, positions):
            return "task \(task) needs \(tokens) positions (longest prompt + completion) but the model has \(positions)"
        }
    }
}

/// Why a jsonl task file could not be loaded. Line numbers are 1-based and count every line.
package enum JSONLError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notUTF8(path: String)
    case emptyFile(path: String)
    case invalidJSON(path: String, line: Int, reason: String)
    case notAnObject(path: String, line: Int, found: String)
    case missingField(path: String, line: Int, field: String)
    case nonStringField(path: String, line: Int, field: String, found: String)
    /// Begin + prompt + separator + answer + end exceeds the model's positions.
    case tooLong(path: String, line: Int, tokens: Int, positions: Int)
    /// Fewer than two distinct prompts: no way to hold any out.
    case tooFewPrompts(path: String, distinct: Int)
    /// A row gives `messages` but the task does not render chats (`chat=false`).
    case messagesNeedChat(path: String, line: Int)
    /// A `messages` field that is not a non-empty list of {role, content} strings.
    case badMessages(path: String, line: Int, reason: String)
    /// The model's tokenizer or chat template could not encode the row.
    case unencodable(path: String, line: Int, reason: String)

    package var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read task file: \(reason)"
        case let .notUTF8(path): return "\(path): task file is not valid UTF-8"
        case let .emptyFile(path): return "\(path): task file has no examples (expected one {\"prompt\": …, \"answer\": …} object per line)"
        case let .invalidJSON(path, line, reason): return "\(path):\(line): not valid JSON: \(reason)"
        case let .notAnObject(path, line, found): return "\(path):\(line): expected a JSON object {\"prompt\": …, \"answer\": …}, found \(found)"
        case let .missingField(path, line, field): return "\(path):\(line): missing field \"\(field)\""
        case let .nonStringField(path, line, field, found): return "\(path):\(line): field \"\(field)\" must be a string, found \(found)"
        case let .tooLong(path, line, tokens, positions):
            return "\(path):\(line): prompt and answer need \(tokens) positions (with begin, separator and end) but the model has \(positions)"
        case let .messagesNeedChat(path, line):
            return "\(path):\(line): the row gives \"messages\"; set chat=true in the task spec to render them with the model's chat template"
        case let .badMessages(path, line, reason): return "\(path):\(line): bad \"messages\": \(reason)"
        case let .unencodable(path, line, reason): return "\(path):\(line): the model's tokenizer cannot encode the prompt: \(reason)"
        case let .tooFewPrompts(path, distinct):
            return "\(path): only \(distinct) distinct prompt(s); at least 2 are needed to hold one out for evaluation"
        }
    }
}
