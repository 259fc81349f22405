// Typed errors for reading Hugging Face model directories: every message names the file (or
// directory) and what is wrong with it.

import Tensor

/// A Hugging Face model directory could not be read or is inconsistent.
package struct ModelDirectoryError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong.
    package enum Kind: Equatable, Sendable {
        /// A file the directory needs is absent.
        case missingFile(String)
        /// The file exists but could not be read (OS message).
        case unreadable(String)
        /// The file is not valid JSON (decoder message).
        case badJSON(String)
        /// The file is JSON but not of the expected form.
        case badContent(String)
        /// The shard index names a shard file that does not exist.
        case missingShard(shard: String, tensor: String)
        /// The shard index lists a tensor that its shard does not hold.
        case tensorNotInShard(tensor: String, shard: String)
        /// A tensor's dtype is not F32, F16 or BF16.
        case notFloat(tensor: String, dtype: String)
        /// The same tensor name appears in two shards.
        case duplicateTensor(tensor: String, shard: String)
        /// A safetensors file failed to parse.
        case safeTensors(SafeTensorsError)
    }

    /// Path of the file or directory concerned.
    package let path: String
    /// The specific problem.
    package let kind: Kind

    package init(path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    package var description: String {
        switch kind {
        case .missingFile(let f): return "model directory \(path) has no \(f)"
        case .unreadable(let m): return "\(path) cannot be read: \(m)"
        case .badJSON(let m): return "\(path) is not valid JSON: \(m)"
        case .badContent(let m): return "\(path) is malformed: \(m)"
        case .missingShard(let s, let t): return "\(path) maps tensor '\(t)' to shard '\(s)', which does not exist"
        case .tensorNotInShard(let t, let s): return "\(path) lists tensor '\(t)' in shard '\(s)', which does not hold it"
        case .notFloat(let t, let d): return "\(path): tensor '\(t)' has dtype \(d); only F32, F16 and BF16 are read"
        case .duplicateTensor(let t, let s): return "\(path): tensor '\(t)' appears again in shard '\(s)'"
        case .safeTensors(let e): return e.description
        }
    }
}
