// SHA-256 through OpenSSL (EVP), for the policy blobs the learner publishes and the workers
// verify every version: several times faster than the portable Swift implementation in
// `Wire` (which stays as the dependency-free reference the protocol tests use). Both conform
// to `Wire.SHA256Digest`.

import COpenSSL
import Wire

/// SHA-256 computed by OpenSSL.
public struct OpenSSLSHA256: SHA256Digest {
    public init() {}

    /// SHA-256 of `bytes` (32 bytes).
    public func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                EVP_Digest(src.baseAddress, src.count, dst.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest with the built-in SHA-256 fails only on allocation failure.
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return out
    }
}
