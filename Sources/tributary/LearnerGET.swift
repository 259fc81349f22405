// Reading a learner's status routes (`/status`, `/history`) from the command line — for
// `tributary status`, the e2e bench and loadgen's status probes — with the Transport
// module's HTTP/2 client: h2c with prior knowledge or TLS, an optional bearer token.

import Foundation
import Learner
import Training
import NIOPosix
import TLS
import Transport

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

enum LearnerGET {
    /// GETs `path` on a connection of its own (trusting `caFile` for https, sending `token` as
    /// a bearer token); returns (HTTP status, body). `timeout` bounds the connect and, again,
    /// the answer. `group`: event loops to use (nil: a private thread for this one request).
    static func fetch(_ url: LearnerURL, path: String, token: String?, caFile: String?, timeout: Double = 10,
                      group: MultiThreadedEventLoopGroup? = nil) async throws -> (Int, [UInt8]) {
        let tls: TLSContext? = url.tls ? try TLSContext.client(trustRoots: caFile.map { .file($0) }) : nil
        var c = TransportClient.Configuration(host: url.host, port: url.port, tls: tls)
        c.connectTimeout = timeout
        c.keepaliveInterval = nil
        let client = TransportClient(configuration: c, group: group)
        do {
            let answer = try await client.get(path: path, metadata: token.map { ["authorization": "Bearer \($0)"] } ?? [:],
                                              timeout: timeout)
            await client.close()
            return (answer.status, answer.body)
        } catch {
            await client.close()
            throw error
        }
    }
}
