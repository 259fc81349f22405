// TaskTokenizer: what a task, the sampler and the learner need from a vocabulary — the
// character tokenizer of the built-in tasks (Tokenizer.swift) or a pretrained model's own
// tokenizer (Pretrained/ModelTokenizer.swift). Nothing outside Tasks needs to know which.

import Foundation

/// A vocabulary a task speaks.
package protocol TaskTokenizer: Sendable {
    /// Number of ids (the model's `vocab_size` must be at least this).
    var vocabSize: Int { get }
    /// Ends a completion: the sampler stops after it and the verifier cuts there.
    var end: TokenID { get }
    /// Right-padding in batches; never part of a prompt or a correct completion.
    var pad: TokenID { get }
    /// Token string → id: the identity of the vocabulary (a checkpoint's `vocab.json`).
    var vocabulary: [String: Int] { get }
    /// Encodes plain text; throws when the text cannot be expressed.
    func encode(_ text: String) throws -> [TokenID]
    /// Renders ids as text for people (special tokens as their strings).
    func decode(_ ids: [TokenID]) -> String
    /// Files that describe the vocabulary beside a checkpoint's weights (file name → bytes), besides
    /// the `vocab.json` every checkpoint has: a pretrained model's Hugging Face tokenizer files.
    func checkpointFiles() throws -> [String: Data]
}

extension Tokenizer: TaskTokenizer {
    /// A character vocabulary is fully described by `vocab.json`.
    package func checkpointFiles() throws -> [String: Data] { [:] }
}
