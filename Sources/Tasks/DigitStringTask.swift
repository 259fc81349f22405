// copy, reverse and sort: a digit string in, the same digits copied, reversed
// or sorted ascending out. `reverse` with 6 digits is Tributary's default task
// and reproduces the PyTorch reference (shared/peers/reverse_grpo.py) token for token.

import Tensor

/// A task over digit strings: `begin d1…dn separator` → `f(d1…dn) end`.
package struct DigitStringTask: VerifiableTask, ProblemGenerator {
    /// What the answer does to the question's digits.
    package enum Kind: String, Sendable, Codable, CaseIterable {
        case copy, reverse, sort
    }

    /// Longest question length supported (keeps the sequence within a 64- or 128-position model).
    package static let maxDigits = 60

    package let kind: Kind
    /// Longest question, in digits.
    package let digits: Int
    /// Shortest question, in digits (equal to `digits` for a fixed length).
    package let minDigits: Int
    package let partialCredit: Bool
    package let tokenizer: Tokenizer
    package let spec: TaskSpec
    private let counts: SplitCounts

    /// - Parameters:
    ///   - digits: question length (the maximum one if `minDigits` is smaller), 1…`maxDigits`.
    ///   - minDigits: shortest question; lengths are drawn uniformly from `minDigits…digits`,
    ///     then the digits uniformly. Defaults to `digits` (fixed length, as in the reference).
    ///   - partialCredit: reward wrong answers by the fraction of positions right (default off:
    ///     the reference rewards exact matches only).
    package init(kind: Kind, digits: Int = 6, minDigits: Int? = nil, partialCredit: Bool = false) throws {
        let minDigits = minDigits ?? digits
        guard (1...Self.maxDigits).contains(digits) else {
            throw TaskSpecError.invalidValue(task: kind.rawValue, option: "digits", value: String(digits),
                                             expected: "an integer in 1...\(Self.maxDigits)")
        }
        guard (1...digits).contains(minDigits) else {
            throw TaskSpecError.invalidValue(task: kind.rawValue, option: "min_digits", value: String(minDigits),
                                             expected: "an integer in 1...\(digits) (at most digits)")
        }
        self.kind = kind
        self.digits = digits
        self.minDigits = minDigits
        self.partialCredit = partialCredit
        self.tokenizer = try Tokenizer(characters: digitCharacters)
        var options: [String: String] = ["digits": String(digits), "partial": String(partialCredit)]
        if minDigits != digits { options["min_digits"] = String(minDigits) }
        self.spec = try TaskSpec(name: kind.rawValue, options: options)
        self.counts = try SplitCounts(task: kind.rawValue) { Self.enumerate($0, minDigits: minDigits, digits: digits) }
    }

    package var name: String { kind.rawValue }
    package var maxPromptTokens: Int { digits + 2 }
    package var maxCompletionTokens: Int { digits + 1 }
    package func count(of split: Split) -> Int? { counts.count(of: split) }

    package func prompt(seed: UInt64, index: Int, split: Split) -> Prompt {
        makePrompt(seed: seed, index: index, split: split)
    }

    func sampleQuestion(_ rng: inout SplitMix64) -> String {
        let length = minDigits + Int(rng.next() % UInt64(digits - minDigits + 1))
        return randomDigits(length, &rng)
    }

    func answer(to question: String) -> String {
        switch kind {
        case .copy: return question
        case .reverse: return String(question.reversed())
        case .sort: return String(question.sorted())
        }
    }

    /// The k-th question of the whole space: shorter strings first, within a length in numeric order.
    static func enumerate(_ k: Int, minDigits: Int, digits: Int) -> String? {
        var k = k
        for length in minDigits...digits {
            if length >= 18 { return zeroPadded(k, width: length) }  // 10^18 exceeds any k we scan
            let size = power10(length)
            if k < size { return zeroPadded(k, width: length) }
            k -= size
        }
        return nil
    }
}

/// 10^n for n ≤ 18.
func power10(_ n: Int) -> Int { (0..<n).reduce(1) { acc, _ in acc * 10 } }
