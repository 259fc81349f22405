// The learner's RPCs as a Swift protocol (proto/PROTOCOL.md §3), so the worker's logic is
// written once and runs against an in-process learner (tests, `tributary run`) or a remote
// one over HTTP/2 (the transport binding). No I/O here.

/// The five RPCs a worker uses.
public protocol LearnerEndpoint: Sendable {
    /// `/Register` (unary).
    func register(_ request: RegisterRequest) async throws -> Welcome
    /// `/Watch` (server-streaming): the current version first, then each new one.
    func watch(_ request: WatchRequest) async throws -> AsyncThrowingStream<PolicyAnnouncement, any Error>
    /// `/FetchPolicy` (server-streaming): the safetensors bytes of one version as chunks.
    func fetchPolicy(_ request: FetchPolicyRequest) async throws -> AsyncThrowingStream<PolicyChunk, any Error>
    /// `/Lease` (unary).
    func lease(_ request: LeaseRequest) async throws -> LeaseGrant
    /// `/Submit` (bidirectional): one ack per group, in order.
    func submit(_ groups: [TrajectoryGroup]) async throws -> [SubmitAck]
}
