// PreTokenizer: splits text into the pieces BPE runs on, exactly as the regexes of GPT-2,
// SmolLM2 (digits isolated, then GPT-2), Llama 3 and Qwen2 do, but as hand-written scanners
// over Unicode scalars (the regexes need lookahead; Swift Regex is slow for this).

/// The pre-tokenizer splits this module implements.
package enum PreTokenizerKind: String, Sendable, CaseIterable, Codable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM2 / StarCoder style: every `\p{N}` scalar is its own piece, GPT-2 on the rest.
    case smollm
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// Qwen2: as Llama 3 but `\p{N}` (one digit per piece).
    case qwen2

    /// The kind for a GGUF `tokenizer.ggml.pre` name, or nil if not implemented.
    package init?(ggufName: String) {
        switch ggufName {
        case "gpt2", "gpt-2": self = .gpt2
        case "smollm": self = .smollm
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "qwen2": self = .qwen2
        default: return nil
        }
    }

    /// The GGUF `tokenizer.ggml.pre` name llama.cpp uses for this split.
    package var ggufName: String {
        switch self {
        case .gpt2: return "gpt2"
        case .smollm: return "smollm"
        case .llama3: return "llama-bpe"
        case .qwen2: return "qwen2"
        }
    }

    /// The regex of the `Split` step (Llama 3, Qwen2) or of GPT-2's ByteLevel step.
    package var pattern: String {
        let tail = "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
        switch self {
        case .gpt2, .smollm: return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
        case .llama3: return "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}" + tail
        case .qwen2: return "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}" + tail
        }
    }
}

/// Scalar classes the scanners test.
enum CharClass {
    static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 3, other: UInt8 = 4

    /// Classes of the Basic Multilingual Plane (surrogates: other), computed once (64 KiB).
    static let bmp: [UInt8] = (0..<0x10000).map { v in Unicode.Scalar(UInt32(v)).map(classify) ?? other }

    @inline(__always) static func of(_ v: UInt32) -> UInt8 {
        if v < 0x10000 { return bmp[Int(v)] }
        guard let s = Unicode.Scalar(v) else { return other }
        return classify(s)
    }

    static func classify(_ s: Unicode.Scalar) -> UInt8 {
        if s.properties.isWhitespace { return space }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }
}

/// Text as scalars with their classes, split into pieces (scalar index ranges).
struct ScalarText {
    var values: [UInt32] = []
    var classes: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, byteStarts: inout [Int32]) {
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        byteStarts.removeAll(keepingCapacity: true)
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = UInt32(bytes[i])
            var v = b0, len = 1
            if b0 >= 0xF0, i + 3 < n {
                v = (b0 & 0x07) << 18 | (UInt32(bytes[i + 1]) & 0x3F) << 12 | (UInt32(bytes[i + 2]) & 0x3F) << 6 | (UInt32(bytes[i + 3]) & 0x3F)
                len = 4
            } else if b0 >= 0xE0, i + 2 < n {
                v = (b0 & 0x0F) << 12 | (UInt32(bytes[i + 1]) & 0x3F) << 6 | (UInt32(bytes[i + 2]) & 0x3F)
                len = 3
            } else if b0 >= 0xC0, i + 1 < n {
                v = (b0 & 0x1F) << 6 | (UInt32(bytes[i + 1]) & 0x3F)
                len = 2
            }
            byteStarts.append(Int32(i))
            values.append(v)
            classes.append(CharClass.of(v))
            i += len
        }
        byteStarts.append(Int32(n))
    }

    /// Appends the end index of every piece of `self[start..<end]` to `ends`.
    func split(_ kind: PreTokenizerKind, _ start: Int, _ end: Int, into ends: inout [Int32]) {
        switch kind {
        case .gpt2: gpt2(start, end, &ends)
        case .smollm:
            var i = start
            while i < end {
                if classes[i] == CharClass.number {
                    i += 1
                    ends.append(Int32(i))
                    continue
                }
                var j = i
                while j < end, classes[j] != CharClass.number { j += 1 }
                gpt2(i, j, &ends)
                i = j
            }
        case .llama3: llama(start, end, maxDigits: 3, &ends)
        case .qwen2: llama(start, end, maxDigits: 1, &ends)
        }
    }

    /// Length of `'s|'t|'re|'ve|'m|'ll|'d` at `i` (0 if none), optionally case-insensitive.
    @inline(__always) private func contraction(_ i: Int, _ end: Int, ignoreCase: Bool) -> Int {
        guard values[i] == 0x27, i + 1 < end else { return 0 }
        @inline(__always) func fold(_ v: UInt32) -> UInt32 {
            guard ignoreCase else { return v }
            if v >= 0x41 && v <= 0x5A { return v + 32 }
            if v == 0x17F { return 0x73 }  // ſ folds to s
            return v
        }
        let a = fold(values[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // r v + e
            return i + 2 < end && fold(values[i + 2]) == 0x65 ? 3 : 0
        case 0x6C:  // l l
            return i + 2 < end && fold(values[i + 2]) == 0x6C ? 3 : 0
        default: return 0
        }
    }

    @inline(__always) private func run(_ i: Int, _ end: Int, _ cls: UInt8) -> Int {
        var j = i
        while j < end, classes[j] == cls { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at whitespace `i`: the run, minus its last scalar when a non-space follows.
    @inline(__always) private func spaces(_ i: Int, _ end: Int) -> Int {
        let k = run(i, end, CharClass.space)
        if k < end, k - i >= 2 { return k - 1 }
        return k
    }

    private func gpt2(_ start: Int, _ end: Int, _ ends: inout [Int32]) {
        var i = start
        while i < end {
            var j: Int
            let c = contraction(i, end, ignoreCase: false)
            if c > 0 {
                j = i + c
            } else {
                var k = i
                if values[i] == 0x20, i + 1 < end, classes[i + 1] != CharClass.space { k = i + 1 }
                let cls = classes[k]
                if cls == CharClass.space {
                    j = spaces(i, end)
                } else {
                    j = run(k, end, cls)
                }
            }
            ends.append(Int32(j))
            i = j
        }
    }

    private func llama(_ start: Int, _ end: Int, maxDigits: Int, _ ends: inout [Int32]) {
        let L = CharClass.letter, N = CharClass.number, S = CharClass.space, O = CharClass.other
        @inline(__always) func isNewline(_ k: Int) -> Bool { values[k] == 0x0A || values[k] == 0x0D }
        var i = start
        while i < end {
            var j: Int
            let c = contraction(i, end, ignoreCase: true)
            let cls = classes[i]
            if c > 0 {
                j = i + c
            } else if cls == L {
                j = run(i, end, L)
            } else if cls != N, !isNewline(i), i + 1 < end, classes[i + 1] == L {
                j = run(i + 1, end, L)
            } else if cls == N {
                j = min(run(i, end, N), i + maxDigits)
            } else if cls == O || (values[i] == 0x20 && i + 1 < end && classes[i + 1] == O) {
                j = run(cls == O ? i : i + 1, end, O)
                while j < end, isNewline(j) { j += 1 }
            } else {
                // whitespace: \s*[\r\n]+ (up to the run's last newline), else \s+(?!\S), else \s+
                let k = run(i, end, S)
                var p = k - 1
                while p >= i, !isNewline(p) { p -= 1 }
                j = p >= i ? p + 1 : spaces(i, end)
            }
            ends.append(Int32(j))
            i = j
        }
    }
}
