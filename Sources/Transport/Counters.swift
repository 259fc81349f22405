// TransportCounters: running totals the server keeps for /metrics — connections,
// RPCs by final status, and every rejection by reason. One locked box per server,
// shared by its connections; readers get a value snapshot.

import NIOConcurrencyHelpers
import Wire

/// Why the server turned something away (a stream, a connection or a request).
public enum TransportRejection: String, Sendable, CaseIterable, Hashable {
    case unsupportedMediaType = "unsupported_media_type"   // HTTP 415
    case methodNotAllowed = "method_not_allowed"           // HTTP 405
    case notFound = "not_found"                            // HTTP 404
    case unimplemented                                     // unknown RPC under the prefix
    case unauthenticated                                   // missing/unknown token
    case permissionDenied = "permission_denied"            // valid token, wrong class
    case messageTooLarge = "message_too_large"             // prefix over the route limit
    case badFraming = "bad_framing"                        // reserved/compressed flags, truncation
    case wrongMessageCount = "wrong_message_count"         // zero or several on a one-message route
    case headerLimit = "header_limit"                      // header list bytes/fields
    case streamOpenedAndClosed = "stream_opened_and_closed" // opened and reset in one read batch
    case connectionCap = "connection_cap"                  // overall cap
    case peerConnectionCap = "peer_connection_cap"         // per-address cap
    case tlsHandshake = "tls_handshake"
    case protocolError = "protocol_error"                  // fatal H2 error (floods, bad preface…)
    case glitchLimit = "glitch_limit"                      // error GOAWAY: glitch bucket or nghttp2 RST rate
    case settingsTimeout = "settings_timeout"
    case headerTimeout = "header_timeout"
    case idleTimeout = "idle_timeout"
    case streamInactive = "stream_inactive"
    case writeStall = "write_stall"
    case streamStalled = "stream_stalled"                  // response flow-control blocked for timeouts.writeStall: stream reset
    case outboundQueueFull = "outbound_queue_full"         // response message over the stream/connection queue cap
    case maxAge = "max_age"
    case shuttingDown = "shutting_down"
}

/// A snapshot of the server's counters.
public struct TransportCounters: Sendable, Equatable {
    /// Connections admitted (below both caps).
    public var connectionsAccepted = 0
    /// Admitted connections that have closed.
    public var connectionsClosed = 0
    /// Admitted connections still open.
    public var connectionsOpen: Int { connectionsAccepted - connectionsClosed }
    /// RPC handlers started.
    public var rpcsStarted = 0
    /// Handler tasks (RPC and GET) still running.
    public var handlersRunning = 0
    /// Final statuses sent, by code (handled RPCs and RPCs refused before a handler ran).
    public var rpcsFinished: [WireStatus: Int] {
        var out: [WireStatus: Int] = [:]
        for c in WireStatus.allCases where finishedByCode[Int(c.rawValue)] > 0 { out[c] = finishedByCode[Int(c.rawValue)] }
        return out
    }
    /// The same, indexed by the code's raw value: counting an RPC hashes nothing.
    private var finishedByCode = [Int](repeating: 0, count: Int(WireStatus.allCases.map(\.rawValue).max()!) + 1)

    /// Counts one RPC ended with `code`.
    mutating func countFinished(_ code: WireStatus) { finishedByCode[Int(code.rawValue)] += 1 }
    /// Requests on plain GET routes.
    public var httpRequests = 0
    /// Everything turned away, by reason.
    public var rejected: [TransportRejection: Int] = [:]
    /// RST_STREAM frames received from peers (cancellations, Rapid Reset).
    public var resetsReceived = 0
    /// Response body bytes queued in the HTTP/2 sessions of all open connections (a gauge, updated
    /// at each timer tick and when a connection closes).
    public var queuedOutboundBytes = 0
    /// Plaintext HTTP/2 bytes read and written on all connections.
    public var bytesRead = 0
    public var bytesWritten = 0
    public init() {}

    /// How many times `reason` happened.
    public func count(_ reason: TransportRejection) -> Int { rejected[reason, default: 0] }

    /// Prometheus text lines (`tributary_transport_*`), for the application's /metrics.
    public func prometheus(prefix: String = "tributary_transport") -> String {
        var out = "# TYPE \(prefix)_connections_accepted_total counter\n"
        out += "\(prefix)_connections_accepted_total \(connectionsAccepted)\n"
        out += "\(prefix)_connections_open \(connectionsOpen)\n"
        out += "\(prefix)_rpcs_started_total \(rpcsStarted)\n"
        for (code, n) in rpcsFinished.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out += "\(prefix)_rpcs_finished_total{code=\"\(code)\"} \(n)\n"
        }
        out += "\(prefix)_http_requests_total \(httpRequests)\n"
        for reason in TransportRejection.allCases {
            out += "\(prefix)_rejected_total{reason=\"\(reason.rawValue)\"} \(count(reason))\n"
        }
        out += "\(prefix)_resets_received_total \(resetsReceived)\n"
        out += "# TYPE \(prefix)_queued_outbound_bytes gauge\n\(prefix)_queued_outbound_bytes \(queuedOutboundBytes)\n"
        out += "\(prefix)_bytes_read_total \(bytesRead)\n\(prefix)_bytes_written_total \(bytesWritten)\n"
        return out
    }
}

/// The shared, locked counters of one server.
final class CounterBox: Sendable {
    private let box = NIOLockedValueBox(TransportCounters())
    var snapshot: TransportCounters { box.withLockedValue { $0 } }
    func reject(_ r: TransportRejection) { box.withLockedValue { $0.rejected[r, default: 0] += 1 } }
    func update(_ f: (inout TransportCounters) -> Void) { box.withLockedValue { f(&$0) } }
}
