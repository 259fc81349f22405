// TextTokenizer: the interface every tokenizer offers (text ↔ token ids), so code that
// samples, scores or renders text works the same with the character-level tokenizer of the
// toy tasks and with the byte-level BPE tokenizers of pretrained models.

/// Text ↔ token ids.
///
/// Conforming types need only `vocabSize`, `encode`, `decode`, `tokenString` and `id(of:)`;
/// `bos`, `eos` and `pad` default to nil.
package protocol TextTokenizer: Sendable {
    /// Number of ids (the model's embedding rows the tokenizer can produce), added tokens included.
    var vocabSize: Int { get }
    /// Token ids of `text`. Special and added tokens written literally in the text
    /// (e.g. `<|im_start|>`) become their single ids; nothing is added at the start or end
    /// (Hugging Face `encode(text, add_special_tokens=False)`).
    func encode(_ text: String) -> [Int32]
    /// The text of `ids`, special tokens included as their text (Hugging Face
    /// `decode(ids, skip_special_tokens=False)`). Byte sequences that are not valid UTF-8
    /// become U+FFFD. What happens to ids outside the vocabulary is up to the conforming type.
    func decode(_ ids: [Int32]) -> String
    /// The vocabulary's string for `id` (for byte-level BPE: the byte-mapped form, e.g. `Ġthe`),
    /// or nil when `id` is outside the vocabulary.
    func tokenString(_ id: Int32) -> String?
    /// The id of a vocabulary string (the inverse of `tokenString`), or nil.
    func id(of token: String) -> Int32?
    /// Beginning-of-sequence id, if the tokenizer has one.
    var bos: Int32? { get }
    /// End-of-sequence id (generation stops here), if the tokenizer has one.
    var eos: Int32? { get }
    /// Padding id, if the tokenizer has one.
    var pad: Int32? { get }
}

extension TextTokenizer {
    package var bos: Int32? { nil }
    package var eos: Int32? { nil }
    package var pad: Int32? { nil }
}
