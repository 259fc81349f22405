// Typed errors for reading GGUF files and turning their contents into Hugging Face form. Every
// message names the file and says what is wrong and where (byte offset, key or tensor).

/// A GGUF file could not be read, is malformed, or lacks what the caller asked for.
package struct GGUFError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong.
    package enum Kind: Equatable, Sendable {
        /// The file could not be opened or mapped (OS message).
        case unreadable(String)
        /// The file ends at `offset` + `available` bytes while `expected` was being read.
        case truncated(offset: Int, expected: String, available: Int)
        /// The first four bytes are not "GGUF".
        case badMagic(found: [UInt8])
        /// A GGUF version other than 2 or 3 (v1 used 32-bit counts and is not read).
        case unsupportedVersion(UInt32)
        /// A metadata value (or array element) type id that GGUF does not define.
        case unknownValueType(key: String, type: UInt32, offset: Int)
        /// A count (tensors, keys, array elements, dimensions) that cannot fit in the rest of the file.
        case countTooLarge(offset: Int, what: String, count: UInt64)
        /// A string that is not valid UTF-8.
        case invalidString(offset: Int, what: String)
        /// Arrays nested deeper than the reader accepts.
        case nestingTooDeep(key: String, offset: Int)
        /// A metadata key that appears twice.
        case duplicateKey(String)
        /// A metadata value that is present but unusable (wrong type, out of range).
        case badValue(key: String, detail: String)
        /// A required metadata key is absent.
        case missingKey(String)
        /// A tensor info entry that is malformed (dimensions, alignment, duplicate name).
        case badTensorInfo(tensor: String, detail: String)
        /// A tensor type id that ggml does not define.
        case unknownTensorType(tensor: String, type: UInt32)
        /// A tensor's bytes lie (partly) outside the file.
        case tensorOutOfBounds(tensor: String, start: Int, byteCount: Int, fileSize: Int)
        /// A known ggml type that this reader cannot dequantise (e.g. Q4_K).
        case unsupportedTensorType(tensor: String, type: String)
        /// The caller asked for a tensor the file does not have.
        case missingTensor(String)
        /// `general.architecture` is one the Hugging Face mapping does not know.
        case unsupportedArchitecture(String)
    }

    /// Path (or label) of the file concerned.
    package let file: String
    /// The specific problem.
    package let kind: Kind

    package init(file: String, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    package var description: String {
        let what: String
        switch kind {
        case .unreadable(let m): what = "cannot be read: \(m)"
        case .truncated(let o, let e, let a):
            what = "is truncated: at offset \(o) expected \(e), but only \(a) bytes remain"
        case .badMagic(let f):
            what = "is not GGUF: magic bytes are \(f.map { String($0, radix: 16) }), expected 47 47 55 46 (\"GGUF\")"
        case .unsupportedVersion(let v): what = "has unsupported GGUF version \(v) (versions 2 and 3 are read)"
        case .unknownValueType(let k, let t, let o): what = "metadata '\(k)' has unknown value type \(t) at offset \(o)"
        case .countTooLarge(let o, let w, let c):
            what = "declares \(c) \(w) at offset \(o), more than the rest of the file can hold"
        case .invalidString(let o, let w): what = "has a string that is not valid UTF-8 (\(w)) at offset \(o)"
        case .nestingTooDeep(let k, let o): what = "metadata '\(k)' nests arrays too deeply at offset \(o)"
        case .duplicateKey(let k): what = "has metadata key '\(k)' twice"
        case .badValue(let k, let d): what = "metadata '\(k)' is unusable: \(d)"
        case .missingKey(let k): what = "lacks metadata key '\(k)'"
        case .badTensorInfo(let t, let d): what = "tensor '\(t)' has a bad info entry: \(d)"
        case .unknownTensorType(let t, let ty): what = "tensor '\(t)' has unknown ggml type id \(ty)"
        case .tensorOutOfBounds(let t, let s, let n, let size):
            what = "tensor '\(t)' data [\(s), \(s + n)) lies outside the \(size)-byte file"
        case .unsupportedTensorType(let t, let ty):
            what = "tensor '\(t)' has type \(ty), which is not dequantised (F32, F16, BF16, Q8_0, Q4_0, Q4_1 are)"
        case .missingTensor(let t): what = "has no tensor '\(t)'"
        case .unsupportedArchitecture(let a):
            what = "has architecture '\(a)'; the Hugging Face mapping knows llama and qwen2"
        }
        return "GGUF file \(file) \(what)"
    }
}
