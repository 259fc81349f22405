// PEMSource: where certificates and keys come from (a file path or bytes in memory),
// and the loaders that turn them into OpenSSL objects through a memory/file BIO.

import COpenSSL

/// PEM-encoded material: a path to read, or the bytes themselves.
public enum PEMSource: Sendable, Hashable, CustomStringConvertible {
    case file(String)
    case bytes([UInt8])

    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .bytes(let b): "PEM bytes (\(b.count) bytes)"
        }
    }

    /// Runs `body` with a read BIO over the source (bytes are copied into a memory BIO);
    /// the BIO is freed afterwards.
    func withBIO<R>(_ body: (OpaquePointer) throws(TLSError) -> R) throws(TLSError) -> R {
        ERR_clear_error()
        var bio: OpaquePointer?
        switch self {
        case .file(let path):
            bio = BIO_new_file(path, "r")
        case .bytes(let bytes):
            bio = BIO_new(BIO_s_mem())
            if let bio, bytes.withUnsafeBytes({ BIO_write(bio, $0.baseAddress, Int32($0.count)) }) != Int32(bytes.count) {
                BIO_free(bio)
                throw .invalidPEM(source: description, reason: "cannot buffer bytes")
            }
        }
        guard let bio else {
            throw .invalidPEM(source: description, reason: OpenSSLErrors.drain("cannot open"))
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }

    /// Every certificate in the source, in order (caller frees with X509_free).
    func certificates() throws(TLSError) -> [OpaquePointer] {
        let certs: [OpaquePointer] = try withBIO { bio in
            var certs: [OpaquePointer] = []
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) { certs.append(cert) }
            ERR_clear_error() // the loop ends with a "no start line" error
            return certs
        }
        if certs.isEmpty { throw .invalidPEM(source: description, reason: "no CERTIFICATE block found") }
        return certs
    }

    /// The private key in the source (caller frees with EVP_PKEY_free).
    func privateKey() throws(TLSError) -> OpaquePointer {
        try withBIO { bio throws(TLSError) in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                throw .invalidPEM(source: description, reason: "no private key: " + OpenSSLErrors.drain())
            }
            return key
        }
    }
}
