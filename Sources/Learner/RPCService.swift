// The learner's RPCs on the HTTP/2 transport (proto/PROTOCOL.md §4): each handler decodes
// the wire messages, calls the same LocalEndpoint / ingest methods the in-process tests
// use, and encodes the answers. A malformed message is `invalidArgument` naming the field.

import Foundation
import Logging
import Transport
import Wire

package enum LearnerRPC {
    /// Interval at which an idle watch stream re-sends the current announcement (keep-alive).
    package static let watchHeartbeat: Double = 15
    /// Most groups of one Submit stream logged with one fsync (those already received).
    static let submitBatchLimit = 64

    /// Structured log of the RPCs: every line carries `rpc`, `request-id` and, once known, `worker-id`.
    static let logger = Logger(label: "tributary.learner.rpc")
    private static let requests = RequestCounter()

    /// A logger for one call: a fresh request id, the method and the peer.
    static func callLogger(_ rpc: String, _ req: RPCRequest) -> Logger {
        var l = logger
        l[metadataKey: "request-id"] = "\(requests.next())"
        l[metadataKey: "rpc"] = "\(rpc)"
        l[metadataKey: "peer"] = "\(req.peer)"
        return l
    }

    /// Registers the six worker RPCs of `node` on `server` (worker tokens).
    package static func register(on server: TransportServer, node: LearnerNode) throws {
        try server.register(path: RPCMethod.register.path, maxMessageBytes: RPCMethod.register.maxRequestBytes,
                            requestMessages: .one, responseMessages: .one) { req, out in
            let r = try decode(RegisterRequest.self, try await req.message())
            let welcome = try await LocalEndpoint(node: node, address: req.peer, token: bearer(req)).register(r)
            callLogger("register", req).info("worker registered", metadata: ["worker-id": "\(welcome.workerId)", "worker-name": "\(r.workerName)"])
            try await out.send(welcome.encoded())
            return RPCStatus(.ok)
        }
        try server.register(path: RPCMethod.watch.path, maxMessageBytes: RPCMethod.watch.maxRequestBytes,
                            requestMessages: .one, responseMessages: .many, inactivityTimeout: 4 * watchHeartbeat) { req, out in
            let w = try decode(WatchRequest.self, try await req.message())
            try await LocalEndpoint(node: node, token: bearer(req)).checkWorker(w.workerId)
            let stream = await node.ingest.watch(lastKnownVersion: w.lastKnownVersion)
            // Forward announcements; re-send the latest one as a heartbeat when idle.
            let current = await node.ingest.currentAnnouncement
            try await withThrowingTaskGroup(of: Void.self) { group in
                let latest = LatestBox()
                // Not sent at once when the worker holds it, but still the heartbeat's repeat.
                if let current, current.version == w.lastKnownVersion { latest.set(current) }
                group.addTask {
                    for await a in stream { latest.set(a); try await out.send(a.encoded()) }
                }
                group.addTask {
                    let clock = node.ingest.clock
                    while true {
                        try await clock.sleep(until: clock.now() + watchHeartbeat)
                        if let a = latest.get() { try await out.send(a.encoded()) }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
            // The announcements end only when the learner stops (shutdown, or training reached its
            // step budget or target and the process exits): PROTOCOL.md §3 says UNAVAILABLE.
            return RPCStatus(.unavailable, "the learner is shutting down")
        }
        try server.register(path: RPCMethod.fetchPolicy.path, maxMessageBytes: RPCMethod.fetchPolicy.maxRequestBytes,
                            requestMessages: .one, responseMessages: .many) { req, out in
            let r = try decode(FetchPolicyRequest.self, try await req.message())
            for try await chunk in try await LocalEndpoint(node: node).fetchPolicy(r) { try await out.send(chunk.encoded()) }
            return RPCStatus(.ok)
        }
        try server.register(path: RPCMethod.lease.path, maxMessageBytes: RPCMethod.lease.maxRequestBytes,
                            requestMessages: .one, responseMessages: .one) { req, out in
            let r = try decode(LeaseRequest.self, try await req.message())
            try await out.send(try await LocalEndpoint(node: node, token: bearer(req)).lease(r).encoded())
            return RPCStatus(.ok)
        }
        try server.register(path: RPCMethod.submit.path, maxMessageBytes: RPCMethod.submit.maxRequestBytes,
                            requestMessages: .many, responseMessages: .many) { req, out in
            // One ack per group, in order. The groups that have arrived are submitted together
            // (one fsync for all of them); more are read only after they are durable and
            // acknowledged, so a full buffer slows the sender through HTTP/2 flow control.
            let log = callLogger("submit", req)
            let endpoint = LocalEndpoint(node: node, token: bearer(req))
            while let first = try await req.messages.next() {
                var groups: [TrajectoryGroup] = []
                var malformed: Error?
                for bytes in [first] + req.messages.available(max: Self.submitBatchLimit - 1) {
                    do { groups.append(try decode(TrajectoryGroup.self, bytes)) } catch { malformed = error; break }
                }
                // The groups before a malformed one, or before one naming an unknown worker id,
                // are still logged and acknowledged; then the stream ends with that status. Each
                // run of groups naming the same worker is one submission (leases are checked per worker).
                var acks: [SubmitAck] = []
                var start = 0
                while start < groups.count {
                    let worker = groups[start].workerId
                    do { try await endpoint.checkWorker(worker) } catch {
                        malformed = error
                        groups.removeSubrange(start...)
                        break
                    }
                    let end = groups[start...].firstIndex { $0.workerId != worker } ?? groups.count
                    acks += await node.ingest.submit(Array(groups[start..<end]), from: worker)
                    start = end
                }
                for (g, ack) in zip(groups, acks) {
                    switch ack.outcome {
                    case .accepted:
                        log.debug("group accepted", metadata: ["worker-id": "\(g.workerId)", "lease-id": "\(g.leaseId)"])
                    case let .rejected(reason, message):
                        log.warning("group rejected", metadata: ["worker-id": "\(g.workerId)", "lease-id": "\(g.leaseId)",
                                                                 "reason": "\(reason.name)", "detail": "\(message)"])
                    }
                    try await out.send(ack.encoded())
                }
                if let malformed { throw malformed }
            }
            return RPCStatus(.ok)
        }
        try server.register(path: RPCMethod.goodbye.path, maxMessageBytes: RPCMethod.goodbye.maxRequestBytes,
                            requestMessages: .one, responseMessages: .none) { req, _ in
            let g = try decode(Goodbye.self, try await req.message())
            try await LocalEndpoint(node: node, token: bearer(req)).goodbye(g)
            callLogger("goodbye", req).info("worker left", metadata: ["worker-id": "\(g.workerId)", "reason": "\(g.reason)"])
            return RPCStatus(.ok)
        }
    }
}

/// The bearer token of a request (what the transport authenticated), nil without one.
func bearer(_ req: RPCRequest) -> String? {
    guard let h = req.metadata["authorization"], h.hasPrefix("Bearer ") else { return nil }
    return String(h.dropFirst("Bearer ".count))
}

/// Decodes a request message; a malformed one is `invalidArgument` naming what is wrong.
func decode<M: WireMessage>(_ type: M.Type, _ bytes: [UInt8]) throws -> M {
    do { return try M.decode(bytes) } catch { throw RPCStatus(.invalidArgument, "\(error)") }
}

/// The latest announcement seen by one watch stream (shared by its two tasks).
final class LatestBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: PolicyAnnouncement?
    func set(_ a: PolicyAnnouncement) { lock.withLock { value = a } }
    func get() -> PolicyAnnouncement? { lock.withLock { value } }
}

/// Request ids for log lines: a process-wide counter.
final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n: UInt64 = 0
    func next() -> UInt64 { lock.withLock { n += 1; return n } }
}
