// The worker RPCs served in-process by a LearnerNode: the same semantics as the HTTP/2
// handlers (which call the same actor methods), without sockets. Used by `tributary run`
// tests and by the RPC server binding.

import Foundation
import Wire

public struct LocalEndpoint: LearnerEndpoint {
    public let node: LearnerNode
    /// Peer address recorded for registered workers.
    public let address: String

    public init(node: LearnerNode, address: String = "in-process") { self.node = node; self.address = address }

    public func register(_ request: RegisterRequest) async throws -> Welcome {
        guard request.protocolVersion == WireProtocol.version else {
            throw RPCStatus(.failedPrecondition, "protocol version \(request.protocolVersion) is not supported; this learner speaks \(WireProtocol.version)")
        }
        let id = await node.ingest.register(name: request.workerName, address: address)
        return await node.welcome(workerID: id)
    }

    public func watch(_ request: WatchRequest) async throws -> AsyncThrowingStream<PolicyAnnouncement, any Error> {
        let stream = await node.ingest.watch()
        return AsyncThrowingStream { cont in
            let t = Task {
                for await a in stream { cont.yield(a) }
                cont.finish()
            }
            cont.onTermination = { _ in t.cancel() }
        }
    }

    public func fetchPolicy(_ request: FetchPolicyRequest) async throws -> AsyncThrowingStream<PolicyChunk, any Error> {
        guard let p = await node.ingest.policy(version: Int(request.version)) else {
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

    public func lease(_ request: LeaseRequest) async throws -> LeaseGrant {
        let units = await node.ingest.lease(worker: request.workerId, max: Int(request.maxPrompts),
                                            workerVersion: Int(request.currentVersion))
        return LeaseGrant(units: units, retryAfterMs: units.isEmpty ? 200 : nil)
    }

    public func submit(_ groups: [TrajectoryGroup]) async throws -> [SubmitAck] {
        var acks: [SubmitAck] = []
        for g in groups { acks.append(await node.ingest.submit(g, from: g.workerId)) }
        return acks
    }
}
