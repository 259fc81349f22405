// A minimal blocking HTTP/2 GET for `tributary status`: one TCP connection, our nghttp2
// session (h2c prior knowledge) or OpenSSL engine (https), one request, the whole body.
// The daemon's status routes are plain HTTP/2 GETs; this avoids depending on curl.

import Foundation
import H2
import Learner
import TLS
import Training

/// The endpoint of a learner given as `http://host:port` (h2c) or `https://host:port` (TLS).
struct LearnerURL {
    var tls: Bool
    var host: String
    var port: Int

    init(_ text: String) throws {
        guard let u = URL(string: text), let scheme = u.scheme, let host = u.host, ["http", "https"].contains(scheme) else {
            throw RunError("'\(text)' is not a learner address: use http://HOST:PORT (h2c) or https://HOST:PORT (TLS)")
        }
        tls = scheme == "https"
        self.host = host
        port = u.port ?? (tls ? 7443 : 7070)
    }
}

enum HTTP2Get {
    /// GETs `path`; returns (HTTP status, body).
    static func fetch(_ url: LearnerURL, path: String, token: String?, caFile: String?, timeout: Double = 10) throws -> (Int, [UInt8]) {
        let fd = try connect(host: url.host, port: url.port, timeout: timeout)
        defer { close(fd) }
        let tls: TLSEngine? = url.tls ? try TLSEngine(context: TLSContext.client(trustRoots: caFile.map { .file($0) }), serverName: url.host) : nil
        let session = try H2Session(role: .client)
        var headers = [H2Header(":method", "GET"), H2Header(":scheme", url.tls ? "https" : "http"), H2Header(":path", path),
                       H2Header(":authority", "\(url.host):\(url.port)")]
        if let token { headers.append(H2Header("authorization", "Bearer \(token)")) }
        let stream = try session.submitRequest(headers: headers, endStream: true)
        var status = 0, body: [UInt8] = [], done = false
        var buf = [UInt8](repeating: 0, count: 64 << 10)
        let deadline = Date().addingTimeInterval(timeout)
        while !done {
            var out = try session.drainOutput()
            if let tls {
                if !out.isEmpty || !tls.isHandshakeComplete { if !out.isEmpty { try tls.writePlaintext(out) }; _ = try tls.advanceHandshake() }
                out = tls.drainCiphertext()
            }
            if !out.isEmpty { try writeAll(fd, out) }
            guard Date() < deadline else { throw RunError("\(url.host):\(url.port): no answer within \(timeout) s") }
            let n = read(fd, &buf, buf.count)
            if n <= 0 { if n < 0 && errno == EAGAIN { continue }; break }
            var plain = Array(buf[0..<n])
            if let tls { tls.feedCiphertext(plain); plain = try tls.readPlaintext() }
            if plain.isEmpty { continue }
            for e in try session.feed(plain) {
                switch e {
                case let .headers(s, h, end) where s == stream:
                    status = Int(h.first { $0.name == ":status" }?.value ?? "") ?? 0
                    if end { done = true }
                case let .data(s, bytes, end) where s == stream:
                    body += bytes
                    session.consume(stream: s, bytes: bytes.count)
                    if end { done = true }
                case let .streamClosed(s, _) where s == stream: done = true
                default: break
                }
            }
        }
        guard status != 0 else { throw RunError("\(url.host):\(url.port) closed the connection without an answer") }
        return (status, body)
    }

    static func connect(host: String, port: Int, timeout: Double) throws -> Int32 {
        var hints = addrinfo(ai_flags: 0, ai_family: AF_UNSPEC, ai_socktype: Int32(SOCK_STREAM.rawValue), ai_protocol: 0,
                             ai_addrlen: 0, ai_addr: nil, ai_canonname: nil, ai_next: nil)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let first = res else {
            throw RunError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(res) }
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 {
                var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
                close(fd)
            }
            ai = a.pointee.ai_next
        }
        throw RunError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw RunError("write failed: \(String(cString: strerror(errno)))") }
            off += n
        }
    }
}
