// The learner's RPCs over HTTP/2 (any `RPCClient`: a TransportClient on h2c or TLS, or the
// in-process transport): encode the request, call, decode the responses. Every call carries
// `authorization: Bearer <token>`. A non-OK status is thrown as the `RPCStatus`.

import Transport
import Wire

package struct RemoteEndpoint: LearnerEndpoint {
    package let client: any RPCClient
    package let token: String?

    package init(client: any RPCClient, token: String?) { self.client = client; self.token = token }

    private var metadata: Metadata { token.map { ["authorization": "Bearer \($0)"] } ?? [:] }

    private func decode<M: WireMessage>(_ type: M.Type, _ bytes: [UInt8]) throws -> M {
        do { return try M.decode(bytes) } catch { throw RPCStatus(.dataLoss, "malformed \(M.self) from the learner: \(error)") }
    }

    package func register(_ request: RegisterRequest) async throws -> Welcome {
        try decode(Welcome.self, try await client.unary(path: RPCMethod.register.path, metadata: metadata, request: request.encoded()))
    }

    package func lease(_ request: LeaseRequest) async throws -> LeaseGrant {
        try decode(LeaseGrant.self, try await client.unary(path: RPCMethod.lease.path, metadata: metadata, request: request.encoded()))
    }

    package func watch(_ request: WatchRequest) async throws -> AsyncThrowingStream<PolicyAnnouncement, any Error> {
        try await stream(RPCMethod.watch, request, as: PolicyAnnouncement.self)
    }

    package func fetchPolicy(_ request: FetchPolicyRequest) async throws -> AsyncThrowingStream<PolicyChunk, any Error> {
        try await stream(RPCMethod.fetchPolicy, request, as: PolicyChunk.self)
    }

    /// A server-streaming call as a stream of decoded messages; a non-OK status ends it with that error.
    private func stream<Req: WireMessage, Resp: WireMessage>(_ method: RPCMethod, _ request: Req,
                                                            as: Resp.Type) async throws -> AsyncThrowingStream<Resp, any Error> {
        let call = try await client.call(path: method.path, metadata: metadata)
        try await call.send(request.encoded())
        try await call.finish()
        return AsyncThrowingStream { cont in
            let t = Task {
                do {
                    for try await bytes in call.responses { cont.yield(try decode(Resp.self, bytes)) }
                    let status = try await call.status
                    if status.code == .ok { cont.finish() } else { cont.finish(throwing: status) }
                } catch { cont.finish(throwing: error) }
            }
            cont.onTermination = { _ in t.cancel(); call.cancel() }
        }
    }

    package func submit(_ groups: [TrajectoryGroup]) async throws -> [SubmitAck] {
        let call = try await client.call(path: RPCMethod.submit.path, metadata: metadata)
        // Send and read concurrently: the learner acknowledges each group as it is logged.
        async let acks: [SubmitAck] = {
            var out: [SubmitAck] = []
            for try await bytes in call.responses { out.append(try decode(SubmitAck.self, bytes)) }
            return out
        }()
        for g in groups { try await call.send(g.encoded()) }
        try await call.finish()
        let result = try await acks
        let status = try await call.status
        guard status.code == .ok else { throw status }
        guard result.count == groups.count else {
            throw RPCStatus(.dataLoss, "the learner acknowledged \(result.count) of \(groups.count) groups")
        }
        return result
    }

    /// `/Goodbye`: the learner re-issues this worker's leases now.
    package func goodbye(workerID: UInt64, reason: String) async throws {
        let call = try await client.call(path: RPCMethod.goodbye.path, metadata: metadata)
        try await call.send(Goodbye(workerId: workerID, reason: reason).encoded())
        try await call.finish()
        let status = try await call.status
        guard status.code == .ok else { throw status }
    }
}
