// Plain HTTP/2 GETs on a client connection: the learner's status routes (`/status`,
// `/metrics`, `/history`) as `tributary status`, the bench and loadgen read them. The same
// connection, TLS and `:authority` as RPC calls; the answer is plain HTTP (status, headers,
// whole body), not RPC framing. The request ends with its HEADERS frame (END_STREAM).

import H2
import NIOCore
import Wire

/// The answer to a plain HTTP/2 GET (``TransportClient/get(path:metadata:timeout:maxBodyBytes:)``).
public struct HTTPGetResponse: Sendable {
    /// The response's `:status` (200, 401, 404…).
    public var status: Int
    /// The response header fields, pseudo-headers (`:status`) left out.
    public var headers: [H2Header]
    /// The whole body.
    public var body: [UInt8]

    /// The first value of the header field `name` (lowercase), if present.
    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// One GET in flight on a ``ClientConnection``.
final class PlainGETStream {
    let promise: EventLoopPromise<HTTPGetResponse>
    let maxBodyBytes: Int
    var timeout: Scheduled<Void>?
    var response = HTTPGetResponse(status: 0, headers: [], body: [])

    init(promise: EventLoopPromise<HTTPGetResponse>, maxBodyBytes: Int) {
        self.promise = promise
        self.maxBodyBytes = maxBodyBytes
    }
}

extension ClientConnection {
    /// Sends `GET path` (with `metadata` as extra header fields); the future completes with the
    /// whole response, or fails with an ``RPCStatus`` (`deadlineExceeded` after `timeout`
    /// seconds, `resourceExhausted` past `maxBodyBytes`, `unavailable` when the stream or the
    /// connection ends first). On the event loop.
    func startGET(path: String, metadata: Metadata, timeout: Double, maxBodyBytes: Int) throws -> EventLoopFuture<HTTPGetResponse> {
        guard isUsable else { throw TransportError.connectionClosed }
        var headers = [H2Header(":method", "GET"), H2Header(":scheme", scheme), H2Header(":path", path),
                       H2Header(":authority", authority)]
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { headers.append(H2Header(k.lowercased(), v)) }
        let id = try session.submitRequest(headers: headers, endStream: true)
        let get = PlainGETStream(promise: eventLoop.makePromise(), maxBodyBytes: maxBodyBytes)
        get.timeout = eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout * 1e9))) { [self] in
            try? session.resetStream(id, errorCode: .cancel)
            finishGET(id, .failure(RPCStatus(.deadlineExceeded, "GET \(path): no whole answer within \(timeout) s")))
            scheduleFlush()
        }
        plainGETs[id] = get
        scheduleFlush()
        return get.promise.futureResult
    }

    /// Takes `event` when it belongs to a plain GET (returns true); false leaves it to the RPC
    /// streams. A GOAWAY fails the GETs it did not process and is left to the RPC streams too.
    func handlePlainGET(_ event: H2Event) -> Bool {
        switch event {
        case .headers(let id, let headers, let endStream):
            guard let get = plainGETs[id] else { return false }
            if get.response.status == 0 {
                get.response.status = Int(headers.first { $0.name == ":status" }?.value ?? "") ?? 0
                get.response.headers = headers.filter { !$0.name.hasPrefix(":") }
            }
            if endStream { finishGET(id, .success(get.response)) }
        case .data(let id, let bytes, let endStream):
            guard let get = plainGETs[id] else { return false }
            session.consume(stream: id, bytes: bytes.count)
            guard get.response.body.count + bytes.count <= get.maxBodyBytes else {
                try? session.resetStream(id, errorCode: .cancel)
                finishGET(id, .failure(RPCStatus(.resourceExhausted, "GET response body above \(get.maxBodyBytes) bytes")))
                return true
            }
            get.response.body += bytes
            if endStream { finishGET(id, .success(get.response)) }
        case .trailers(let id, _):
            guard let get = plainGETs[id] else { return false }
            finishGET(id, .success(get.response))
        case .streamClosed(let id, let code):
            guard plainGETs[id] != nil else { return false }
            finishGET(id, .failure(RPCStatus(.unavailable, "the GET's stream ended before its answer (\(code))")))
        case .goAway(let last, let code, _):
            for id in plainGETs.keys where id > last {
                finishGET(id, .failure(RPCStatus(.unavailable, "connection going away (\(code)): \(notProcessed)")))
            }
            return false
        default:
            return false
        }
        return true
    }

    /// Fails every GET in flight (the connection closed).
    func failPlainGETs(_ status: RPCStatus) {
        for id in Array(plainGETs.keys) { finishGET(id, .failure(status)) }
    }

    private func finishGET(_ id: Int32, _ result: Result<HTTPGetResponse, any Error>) {
        guard let get = plainGETs.removeValue(forKey: id) else { return }
        get.timeout?.cancel()
        if case .success(let r) = result, r.status == 0 {
            return get.promise.fail(RPCStatus(.internal, "the GET's answer carried no :status"))
        }
        get.promise.completeWith(result)
    }
}

extension TransportClient {
    /// A plain HTTP/2 `GET path` on this client's connection (connecting first when needed),
    /// e.g. a learner's `/status` or `/metrics`, with `metadata` as extra header fields (such as
    /// `authorization: Bearer …`). Any HTTP status is an answer; read ``HTTPGetResponse/status``.
    /// - Parameters:
    ///   - timeout: seconds for the whole answer once connected (connecting has its own
    ///     ``Configuration/connectTimeout``).
    ///   - maxBodyBytes: the largest body accepted. Default 64 MiB.
    /// - Throws: ``TransportError`` when connecting fails; ``RPCStatus`` when the answer does
    ///   not arrive whole (`deadlineExceeded`, `resourceExhausted`, `unavailable`).
    public func get(path: String, metadata: Metadata = [:], timeout: Double = 10,
                    maxBodyBytes: Int = 64 << 20) async throws -> HTTPGetResponse {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await connection()
            do {
                return try await connection.eventLoop.flatSubmit {
                    do {
                        return try connection.startGET(path: path, metadata: metadata, timeout: timeout, maxBodyBytes: maxBodyBytes)
                    } catch {
                        return connection.eventLoop.makeFailedFuture(error)
                    }
                }.get()
            } catch TransportError.connectionClosed where attempt < 3 {
                continue // GOAWAY or close raced with us: the next connection() makes a new one
            } catch let s as RPCStatus where s.code == .unavailable && s.message.hasSuffix(notProcessed) && attempt < 3 {
                continue // the server did not process it (GOAWAY below our stream): safe to repeat
            }
        }
    }
}
