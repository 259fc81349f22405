// The train / held-out partition and the prompt generator shared by the
// generated tasks (copy, reverse, sort, add). A question is held out iff
// crc32(its UTF-8 bytes) % 20 == 0, the rule of the PyTorch reference
// (shared/peers/reverse_grpo.py), so `reverse` holds out the very same strings.

import Tensor

/// Assigns every question to exactly one split by a hash of its text.
package enum HeldOut {
    /// One question in `modulus` (5 %) is held out for evaluation.
    package static let modulus: UInt32 = 20

    /// `.eval` iff `crc32(question) % modulus == 0`. Equal questions always land in the same split.
    package static func split(of question: String) -> Split {
        crc32(Array(question.utf8)) % modulus == 0 ? .eval : .train
    }

    /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib and Python's `zlib.crc32`.
    package static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}

/// A source of random problems, implemented by the generated tasks.
protocol ProblemGenerator: Sendable {
    var tokenizer: Tokenizer { get }
    /// Draws a question using only `rng` (so prompts are reproducible).
    func sampleQuestion(_ rng: inout SplitMix64) -> String
    /// The reference answer to a question this generator produced.
    func answer(to question: String) -> String
}

/// How many questions of each split a generator's problem space holds.
struct SplitCounts: Sendable, Hashable {
    /// Exact counts when the space has at most `scanLimit` problems, else nil.
    var train: Int?
    var eval: Int?

    /// Spaces up to this size are counted exactly; larger ones are only checked to contain both splits.
    static let scanLimit = 100_000

    /// Scans `enumerate` (the k-th question of the whole problem space, nil past its end)
    /// and throws if either split has no question (the sampler could never finish).
    /// Small spaces are counted in full; in large ones the scan stops once both splits are seen.
    init(task: String, enumerate: (Int) -> String?) throws {
        let small = enumerate(Self.scanLimit) == nil
        var found: [Split: Int] = [.train: 0, .eval: 0]
        var k = 0
        while k < Self.scanLimit, let q = enumerate(k) {
            found[HeldOut.split(of: q)]! += 1
            k += 1
            if !small, found.values.allSatisfy({ $0 > 0 }) { break }
        }
        for split in Split.allCases where found[split] == 0 {
            throw TaskSpecError.emptySplit(task: task, split: split, spaceSize: small ? k : nil)
        }
        train = small ? found[.train] : nil
        eval = small ? found[.eval] : nil
    }

    func count(of split: Split) -> Int? { split == .train ? train : eval }
}

extension ProblemGenerator {
    /// The prompt for `(seed, index, split)`: an independent stream per triple, drawing
    /// questions until one falls in `split` (rejection sampling, so each split is sampled
    /// with the generator's distribution restricted to it). Terminates because
    /// `SplitCounts` checked that both splits are non-empty.
    func makePrompt(seed: UInt64, index: Int, split: Split) -> Prompt {
        let splitWord: UInt64 = split == .train ? 0x7472_6169_6E : 0x6576_616C  // "train", "eval"
        var rng = SplitMix64(seed: SplitMix64.mix(seed, splitWord, UInt64(bitPattern: Int64(index))))
        var question = sampleQuestion(&rng)
        while HeldOut.split(of: question) != split { question = sampleQuestion(&rng) }
        let answer = answer(to: question)
        let t = tokenizer
        return Prompt(index: index, split: split, question: question, answer: answer,
                      tokens: [t.begin] + encodeOwn(question) + [t.separator],
                      answerTokens: encodeOwn(answer))
    }

    /// Encodes text this generator made; its characters are in its own vocabulary by construction.
    func encodeOwn(_ text: String) -> [TokenID] {
        text.unicodeScalars.map { c in
            guard let id = tokenizer.id(of: c) else {
                preconditionFailure("generator produced \(c), which its own vocabulary lacks")
            }
            return id
        }
    }
}

/// A uniform digit string of exactly `length` characters (modulo bias below 1e-18).
func randomDigits(_ length: Int, _ rng: inout SplitMix64) -> String {
    String(String.UnicodeScalarView((0..<length).map { _ in Unicode.Scalar(UInt8(48 + rng.next() % 10)) }))
}

/// `value` in decimal, left-padded with zeros to `width`.
func zeroPadded(_ value: Int, width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// The digits 0–9, ids 0–9 in every digit task.
let digitCharacters: [Unicode.Scalar] = (48...57).map { Unicode.Scalar(UInt8($0)) }
