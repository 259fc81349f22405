// add: two decimal operands in, their sum out. Fixed-width (zero-padded)
// layout by default so every answer position means the same digit place.

import Tensor

/// `begin a + b separator` → `a+b end`, operands uniform in `0..<10^digits`.
///
/// With `pad` (default) operands are written with exactly `digits` digits and
/// the sum with `digits + 1` (`007+095` → `0102`); without it all numbers are
/// written plainly (`7+95` → `102`).
package struct AdditionTask: VerifiableTask, ProblemGenerator {
    /// Operand width limit (sums stay far inside `Int`, sequences inside 64 positions).
    package static let maxDigits = 9

    package let digits: Int
    package let pad: Bool
    package let partialCredit: Bool
    package let tokenizer: Tokenizer
    package let spec: TaskSpec
    private let counts: SplitCounts

    /// - Parameters:
    ///   - digits: digits per operand, 1…`maxDigits` (default 3).
    ///   - pad: zero-pad operands and answer to fixed widths (default true).
    ///   - partialCredit: fraction-of-positions reward for wrong answers (default off).
    package init(digits: Int = 3, pad: Bool = true, partialCredit: Bool = false) throws {
        guard (1...Self.maxDigits).contains(digits) else {
            throw TaskSpecError.invalidValue(task: "add", option: "digits", value: String(digits),
                                             expected: "an integer in 1...\(Self.maxDigits)")
        }
        self.digits = digits
        self.pad = pad
        self.partialCredit = partialCredit
        // Digits keep ids 0–9 as in every digit task; "+" is id 10.
        self.tokenizer = try Tokenizer(characters: digitCharacters + ["+"])
        self.spec = try TaskSpec(name: "add", options: [
            "digits": String(digits), "pad": String(pad), "partial": String(partialCredit),
        ])
        let space = Space(digits: digits, pad: pad, tokenizer: tokenizer)
        self.counts = try SplitCounts(task: "add") { space.enumerated($0) }
    }

    package var name: String { "add" }
    package var maxPromptTokens: Int { 2 * digits + 3 }
    package var maxCompletionTokens: Int { digits + 2 }
    package func count(of split: Split) -> Int? { counts.count(of: split) }

    package func prompt(seed: UInt64, index: Int, split: Split) -> Prompt {
        makePrompt(seed: seed, index: index, split: split)
    }

    func sampleQuestion(_ rng: inout SplitMix64) -> String { space.sampleQuestion(&rng) }
    func answer(to question: String) -> String { space.answer(to: question) }
    private var space: Space { Space(digits: digits, pad: pad, tokenizer: tokenizer) }

    /// The problem space without the task's bookkeeping.
    struct Space: ProblemGenerator {
        let digits: Int
        let pad: Bool
        let tokenizer: Tokenizer

        func format(_ a: Int, _ b: Int) -> String {
            pad ? zeroPadded(a, width: digits) + "+" + zeroPadded(b, width: digits) : "\(a)+\(b)"
        }
        func sampleQuestion(_ rng: inout SplitMix64) -> String {
            let size = UInt64(power10(digits))
            let a = Int(rng.next() % size)
            return format(a, Int(rng.next() % size))
        }
        func answer(to question: String) -> String {
            let parts = question.split(separator: "+").map { Int($0) ?? 0 }
            let sum = parts.reduce(0, +)
            return pad ? zeroPadded(sum, width: digits + 1) : String(sum)
        }
        /// Pairs `(a, b)` in row-major order.
        func enumerated(_ k: Int) -> String? {
            let size = power10(digits)
            return k < size * size ? format(k / size, k % size) : nil
        }
    }
}
