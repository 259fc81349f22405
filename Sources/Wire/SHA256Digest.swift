// The one shape every SHA-256 of the protocol goes through (policy blob digests,
// proto/PROTOCOL.md §6.3.1; token digests): a small protocol with two implementations —
// `PortableSHA256` here (plain Swift, the dependency-free reference the protocol tests use) and
// `OpenSSLSHA256` in TLS (several times faster; what the learner and the worker use, through
// `Transport.Digests`).

/// A SHA-256 implementation.
public protocol SHA256Digest: Sendable {
    /// SHA-256 of `bytes` (32 bytes).
    func sha256(_ bytes: [UInt8]) -> [UInt8]
}

/// SHA-256 in plain Swift (`SHA256`).
public struct PortableSHA256: SHA256Digest {
    public init() {}
    public func sha256(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes) }
}
