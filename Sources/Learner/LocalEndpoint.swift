// The worker RPCs served in-process by a LearnerNode: the same semantics as the HTTP/2
// handlers (which call the same actor methods), without sockets. Used by `tributary run`
// tests and by the RPC server binding.

import Foundation
import Rollout
import Wire

package struct LocalEndpoint: LearnerEndpoint {
    package let node: LearnerNode
    /// Peer address recorded for registered workers.
    package let address: String
    /// The caller's bearer token (nil in process): a worker id is bound to the token that
    /// registered it, and calls naming it with another token get NOT_FOUND.
    package let token: String?

    package init(node: LearnerNode, address: String = "in-process", token: String? = nil) {
        self.node = node; self.address = address; self.token = token
    }

    /// Throws NOT_FOUND unless `id` is a live worker registered with this endpoint's token.
    package func checkWorker(_ id: UInt64) async throws {
        if let status = await node.ingest.checkWorker(id, token: token) { throw status }
    }

    package func register(_ request: RegisterRequest) async throws -> Welcome {
        guard request.protocolVersion == WireProtocol.version else {
            throw RPCStatus(.failedPrecondition, "protocol version \(request.protocolVersion) is not supported; this learner speaks \(WireProtocol.version)")
        }
        let id = await node.ingest.register(name: request.workerName, address: address, token: token)
        return await node.welcome(workerID: id)
    }

    package func watch(_ request: WatchRequest) async throws -> AsyncThrowingStream<PolicyAnnouncement, any Error> {
        try await checkWorker(request.workerId)
        let stream = await node.ingest.watch(lastKnownVersion: request.lastKnownVersion)
        return AsyncThrowingStream { cont in
            let t = Task {
                for await a in stream { cont.yield(a) }
                cont.finish()
            }
            cont.onTermination = { _ in t.cancel() }
        }
    }

    package func fetchPolicy(_ request: FetchPolicyRequest) async throws -> AsyncThrowingStream<PolicyChunk, any Error> {
        guard let p = await node.ingest.policy(version: PolicyVersion(wire: request.version)) else {
            throw RPCStatus(.notFound, "policy version \(request.version) is no longer kept; watch for the current one")
        }
        guard request.offset <= UInt64(p.bytes.count) else {
            throw RPCStatus(.outOfRange, "offset \(request.offset) is past the end (\(p.bytes.count) bytes)")
        }
        let chunks = p.chunks(from: Int(request.offset))
        return AsyncThrowingStream { cont in
            for c in chunks { cont.yield(c) }
            cont.finish()
        }
    }

    /// How long a lease request that finds no work is held open before it is answered empty.
    package static let leaseLongPollSeconds = 1.0

    /// Grants work units. When there is none (the buffer is full, or in sync mode the batch is
    /// being trained) the request is held open — a long poll — until work may exist or
    /// `leaseLongPollSeconds` pass on the learner's clock, so a worker starts sampling as soon
    /// as it can rather than after a fixed back-off. An empty grant says to ask again almost at once.
    package func lease(_ request: LeaseRequest) async throws -> LeaseGrant {
        guard request.maxPrompts >= 1 else { throw RPCStatus(.invalidArgument, "LeaseRequest.maxPrompts must be ≥ 1, got 0") }
        try await checkWorker(request.workerId)
        let ingest = node.ingest
        let worker = request.workerId, max = Int(request.maxPrompts), version = PolicyVersion(wire: request.currentVersion)
        var units = await ingest.lease(worker: worker, max: max, workerVersion: version)
        let end = ingest.clock.now() + Self.leaseLongPollSeconds
        while units.isEmpty, !Task.isCancelled, await ingest.worthWaitingForWork(workerVersion: version) {
            let left = end - ingest.clock.now()
            guard left > 0 else { break }
            await ingest.waitForWork(timeout: left)
            units = await ingest.lease(worker: worker, max: max, workerVersion: version)
        }
        return LeaseGrant(units: units, retryAfterMs: units.isEmpty ? 10 : nil)
    }

    /// One ack per group in order; a group naming an unknown worker id ends the call with
    /// NOT_FOUND (the groups before it were processed, as on the wire).
    package func submit(_ groups: [TrajectoryGroup]) async throws -> [SubmitAck] {
        var acks: [SubmitAck] = []
        for g in groups {
            try await checkWorker(g.workerId)
            acks.append(await node.ingest.submit(g, from: g.workerId))
        }
        return acks
    }

    /// `/Goodbye`: the worker's leases are re-issued now and its id is retired.
    package func goodbye(_ request: Goodbye) async throws {
        try await checkWorker(request.workerId)
        await node.ingest.goodbye(worker: request.workerId)
    }
}
