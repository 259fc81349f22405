// Tokenizer: the character-level vocabulary every task speaks. One token per
// Unicode scalar (what Python's `list(str)` yields), then four special tokens,
// then unused slots that pad the vocabulary to a multiple of 8 (docs/tasks.md).

/// A token id: an index into the model's embedding table.
package typealias TokenID = Int

/// A character-level tokenizer.
///
/// Layout, in id order:
/// 1. the regular characters, in the order given (ids `0..<n`);
/// 2. `begin` = n, `separator` = n + 1, `end` = n + 2, `pad` = n + 3;
/// 3. unused slots `<unusedK>` up to `vocabSize` (a multiple of `padMultiple`, default 8).
///
/// For the digit tasks (characters `0`–`9`) this gives digits 0–9, begin 10,
/// separator 11, end 12, pad 13 and a vocabulary of 16: exactly the layout of the
/// PyTorch reference (`shared/peers/reverse_grpo.py`), so results and checkpoints compare 1:1.
/// Unused slots have no text; a model can still sample them and the verifier
/// then counts them as wrong tokens.
package struct Tokenizer: Sendable, Hashable {
    /// Token strings of the special tokens as they appear in `vocab.json`.
    package static let beginString = "<begin>"
    package static let separatorString = "<sep>"
    package static let endString = "<end>"
    package static let padString = "<pad>"
    static let specialStrings = [beginString, separatorString, endString, padString]

    /// Id → token string (a single character, a special token or `<unusedK>`).
    package let tokens: [String]
    /// The regular characters, indexed by their id.
    package let characters: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: TokenID]

    /// Starts a prompt.
    package var begin: TokenID { characters.count }
    /// Ends the question and starts the completion.
    package var separator: TokenID { characters.count + 1 }
    /// Ends a completion; the sampler stops here.
    package var end: TokenID { characters.count + 2 }
    /// Right-padding in batches; never part of a prompt or a correct completion.
    package var pad: TokenID { characters.count + 3 }
    /// Number of ids, unused slots included (the model's `vocab_size`).
    package var vocabSize: Int { tokens.count }

    /// Builds the vocabulary from an ordered list of distinct characters.
    /// - Parameter padMultiple: round `vocabSize` up to a multiple of this (1 = no padding).
    package init(characters: [Unicode.Scalar], padMultiple: Int = 8) throws {
        guard padMultiple >= 1 else { throw TokenizerError.invalidPadMultiple(padMultiple) }
        var ids: [Unicode.Scalar: TokenID] = [:]
        for (i, c) in characters.enumerated() {
            if let prior = ids[c] {
                throw TokenizerError.duplicateToken(String(c), firstID: prior, secondID: i)
            }
            ids[c] = i
        }
        var tokens = characters.map { String($0) } + Self.specialStrings
        while tokens.count % padMultiple != 0 { tokens.append("<unused\(tokens.count)>") }
        self.init(characters: characters, ids: ids, tokens: tokens)
    }

    /// Rebuilds a tokenizer from a `vocab.json` map (token string → id).
    ///
    /// The ids must be exactly `0..<count` with no duplicates, all four special
    /// tokens must be present right after the characters (in the order begin,
    /// separator, end, pad), every key before them must be one character and
    /// every key after them `<unusedK>`: the layout `init(characters:)` produces.
    package init(vocabulary: [String: Int]) throws {
        var byID = [String?](repeating: nil, count: vocabulary.count)
        for (token, id) in vocabulary.sorted(by: { $0.key < $1.key }) {
            guard id >= 0, id < vocabulary.count else {
                throw TokenizerError.idOutOfRange(token: token, id: id, count: vocabulary.count)
            }
            if let other = byID[id] { throw TokenizerError.duplicateID(id, tokens: [other, token]) }
            byID[id] = token
        }
        // count ids, all distinct and in 0..<count: every slot is filled.
        let order = byID.map { $0! }
        guard let n = vocabulary[Self.beginString] else { throw TokenizerError.missingSpecial(Self.beginString) }
        for (k, special) in Self.specialStrings.enumerated() {
            guard let id = vocabulary[special] else { throw TokenizerError.missingSpecial(special) }
            guard id == n + k else { throw TokenizerError.misplacedSpecial(special, id: id, expected: n + k) }
        }
        var chars: [Unicode.Scalar] = []
        var ids: [Unicode.Scalar: TokenID] = [:]
        for (id, token) in order.enumerated() where id < n || id >= n + 4 {
            let scalars = Array(token.unicodeScalars)
            if id < n, scalars.count == 1 {
                chars.append(scalars[0])
                ids[scalars[0]] = id
            } else if id < n || !(token.hasPrefix("<unused") && token.hasSuffix(">")) {
                throw TokenizerError.invalidToken(token, id: id)
            }
        }
        self.init(characters: chars, ids: ids, tokens: order)
    }

    private init(characters: [Unicode.Scalar], ids: [Unicode.Scalar: TokenID], tokens: [String]) {
        self.characters = characters
        self.ids = ids
        self.tokens = tokens
    }

    /// The `vocab.json` map: token string → id.
    package var vocabulary: [String: Int] {
        Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
    }

    /// The id of a regular character, or nil if it is not in the vocabulary.
    package func id(of character: Unicode.Scalar) -> TokenID? { ids[character] }

    /// Encodes plain text (no special tokens) one token per Unicode scalar.
    package func encode(_ text: String) throws -> [TokenID] {
        try text.unicodeScalars.map { c in
            guard let id = ids[c] else { throw TokenizerError.unknownCharacter(c, text: text) }
            return id
        }
    }

    /// True for begin, separator, end, pad and unused slots.
    package func isSpecial(_ id: TokenID) -> Bool { id >= characters.count }

    /// Renders ids as text for people: characters as themselves, special and
    /// unused ids as their token strings (`<end>`), ids outside the vocabulary as `<invalid:N>`.
    package func decode(_ ids: [TokenID]) -> String {
        var out = ""
        for id in ids {
            if id >= 0, id < characters.count {
                out.unicodeScalars.append(characters[id])
            } else if id >= 0, id < tokens.count {
                out += tokens[id]
            } else {
                out += "<invalid:\(id)>"
            }
        }
        return out
    }

    package static func == (a: Tokenizer, b: Tokenizer) -> Bool { a.tokens == b.tokens }
    package func hash(into h: inout Hasher) { h.combine(tokens) }
}

extension Tokenizer: Codable {
    /// Decodes the `vocab.json` map (token string → id), validated as in `init(vocabulary:)`.
    package init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: Int].self)
        do {
            try self.init(vocabulary: map)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    /// Encodes the `vocab.json` map; use `JSONEncoder.OutputFormatting.sortedKeys` for a stable file.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(vocabulary)
    }
}

/// Why a vocabulary could not be built or a text could not be encoded.
package enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case duplicateToken(String, firstID: Int, secondID: Int)
    case duplicateID(Int, tokens: [String])
    case idOutOfRange(token: String, id: Int, count: Int)
    case missingSpecial(String)
    case misplacedSpecial(String, id: Int, expected: Int)
    case invalidToken(String, id: Int)
    case invalidPadMultiple(Int)
    case unknownCharacter(Unicode.Scalar, text: String)

    package var description: String {
        switch self {
        case let .duplicateToken(t, a, b): return "vocabulary: character \(t.debugDescription) appears twice (ids \(a) and \(b))"
        case let .duplicateID(id, ts): return "vocabulary: id \(id) is used by more than one token: \(ts.map(\.debugDescription).joined(separator: ", "))"
        case let .idOutOfRange(t, id, n): return "vocabulary: token \(t.debugDescription) has id \(id); ids must be 0..<\(n) (one per token, no gaps)"
        case let .missingSpecial(s): return "vocabulary: special token \(s) is missing"
        case let .misplacedSpecial(s, id, e): return "vocabulary: special token \(s) has id \(id), expected \(e) (specials follow the characters in the order <begin> <sep> <end> <pad>)"
        case let .invalidToken(t, id): return "vocabulary: token \(t.debugDescription) (id \(id)) is neither a single character, a special token nor <unusedK>"
        case let .invalidPadMultiple(m): return "vocabulary: pad multiple must be at least 1, got \(m)"
        case let .unknownCharacter(c, text): return "character \(String(c).debugDescription) (U+\(String(c.value, radix: 16, uppercase: true))) in \(text.debugDescription) is not in the vocabulary"
        }
    }
}
