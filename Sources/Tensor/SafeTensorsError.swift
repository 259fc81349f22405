// Typed errors for reading and validating safetensors files. Every message names
// the file and what exactly is wrong with it.

/// A safetensors file could not be read, or does not hold what the caller expected.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The file could not be opened or read (OS message).
        case unreadable(String)
        /// The file ends before the 8-byte header length, the header, or the data it declares.
        case truncated(String)
        /// The JSON header is not valid JSON, not an object, or has malformed entries.
        case badHeader(String)
        /// A tensor's declared byte range lies outside the data section or disagrees with its shape.
        case offsetsOutOfRange(tensor: String, detail: String)
        /// The dtype string is not one this reader supports.
        case unsupportedDType(tensor: String, dtype: String)
        /// A tensor the caller needs is absent.
        case missingTensor(String)
        /// A tensor has a different dtype than the caller needs.
        case wrongDType(tensor: String, expected: String, found: String)
        /// A tensor has a different shape than the caller needs.
        case wrongShape(tensor: String, expected: [Int], found: [Int])
        /// The file holds a tensor the caller does not know.
        case unexpectedTensor(String)
        /// The file could not be written (OS message).
        case unwritable(String)
    }

    /// Path (or label) of the file concerned.
    public let file: String
    /// The specific problem.
    public let kind: Kind

    public init(file: String, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        let what: String
        switch kind {
        case .unreadable(let m): what = "cannot be read: \(m)"
        case .truncated(let m): what = "is truncated: \(m)"
        case .badHeader(let m): what = "has a bad header: \(m)"
        case .offsetsOutOfRange(let t, let d): what = "tensor '\(t)' has bad data_offsets: \(d)"
        case .unsupportedDType(let t, let d): what = "tensor '\(t)' has unsupported dtype '\(d)'"
        case .missingTensor(let t): what = "is missing tensor '\(t)'"
        case .wrongDType(let t, let e, let f): what = "tensor '\(t)' has dtype \(f), expected \(e)"
        case .wrongShape(let t, let e, let f): what = "tensor '\(t)' has shape \(f), expected \(e)"
        case .unexpectedTensor(let t): what = "holds unexpected tensor '\(t)'"
        case .unwritable(let m): what = "cannot be written: \(m)"
        }
        return "safetensors file \(file) \(what)"
    }
}
