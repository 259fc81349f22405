// TLSError: the typed errors of the TLS module, each carrying OpenSSL's own
// explanation (ERR_error_string_n over the thread's error queue).

import COpenSSL

/// What went wrong in ``TLSContext`` or ``TLSEngine``. Messages name the file or field and
/// include OpenSSL's error strings.
public enum TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A PEM source could not be read or parsed (`source` names the file, or "PEM bytes").
    case invalidPEM(source: String, reason: String)
    /// The private key does not belong to the certificate.
    case keyMismatch(String)
    /// The context could not be set up (OpenSSL refused a setting).
    case configuration(String)
    /// The handshake failed: bad certificate, wrong CA, host name mismatch, protocol version,
    /// missing client certificate, no common ALPN protocol, or an alert from the peer.
    case handshakeFailed(String)
    /// The handshake finished but the negotiated application protocol is not `h2`.
    case alpnMismatch(negotiated: String?)
    /// A record-layer failure after the handshake (corrupt data, unexpected alert…).
    case protocolError(String)

    public var description: String {
        switch self {
        case .invalidPEM(let s, let r): "cannot load PEM from \(s): \(r)"
        case .keyMismatch(let m): "private key does not match certificate: \(m)"
        case .configuration(let m): "TLS configuration failed: \(m)"
        case .handshakeFailed(let m): "TLS handshake failed: \(m)"
        case .alpnMismatch(let p): "peer did not agree on ALPN h2 (negotiated: \(p ?? "none"))"
        case .protocolError(let m): "TLS error: \(m)"
        }
    }
}

enum OpenSSLErrors {
    /// Drains the calling thread's OpenSSL error queue into one readable string.
    static func drain(_ fallback: String = "unknown OpenSSL error") -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }
}
