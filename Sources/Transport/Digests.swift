// The SHA-256 the service uses (OpenSSL's; Wire.SHA256Digest), so that the learner and the
// worker need not import TLS for it.

import TLS
import Wire

/// The digests of the service.
public enum Digests {
    /// SHA-256 of policy blobs and tokens.
    public static let sha256: any SHA256Digest = OpenSSLSHA256()
}
