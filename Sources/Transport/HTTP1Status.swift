// HTTP1Status: an optional HTTP/1.1 listener that serves the server's GET routes (`/healthz`,
// `/readyz`, `/status`, `/metrics`, the dashboard) and nothing else. The RPC listeners speak
// HTTP/2 only; Kubernetes `httpGet` probes, Prometheus scrapes and browsers without TLS speak
// HTTP/1.1 (no browser does h2c), so operators get the same routes, the same auth (bearer
// tokens) and the same counters here. Parsing is SwiftNIO's NIOHTTP1 (header size capped
// by its parser); request bodies are discarded; idle connections close after `timeouts.idle`.

import NIOCore
import NIOHTTP1
import NIOPosix

extension TransportServer {
    /// Binds the HTTP/1.1 status listener (called by ``start()`` when configured).
    func startHTTP1(_ address: ListenAddress) async throws -> Channel {
        let c = configuration, router = router, counterBox = counterBox
        return try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                guard let release = admit(channel) else { return channel.close() }
                let counters = counterBox
                channel.closeFuture.whenComplete { _ in
                    release()
                    counters.update { $0.connectionsClosed += 1 }
                }
                let peer = "\(channel.remoteAddress?.ipAddress ?? "?"):\(channel.remoteAddress?.port ?? 0)"
                let idle = TimeAmount.nanoseconds(Int64(c.timeouts.idle * 1e9))
                return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: idle))
                    try sync.addHandler(HTTP1StatusHandler(router: router, tokens: c.tokens, counters: counterBox, peer: peer))
                }
            }
            .bind(host: address.host, port: address.port).get()
    }
}

/// Answers GET/HEAD on the registered GET routes; 404 elsewhere, 405 for other methods,
/// 401/403 without the route's token class.
final class HTTP1StatusHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let tokens: TokenSets
    private let counters: CounterBox
    private let peer: String
    private var head: HTTPRequestHead?

    init(router: Router, tokens: TokenSets, counters: CounterBox, peer: String) {
        self.router = router
        self.tokens = tokens
        self.counters = counters
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            respond(context: context, to: h)
        }
    }

    /// A malformed request (NIO's parser answered 400) or a socket error: counted, closed.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError { counters.reject(.protocolError) }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            counters.reject(.idleTimeout)
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(context: ChannelHandlerContext, to h: HTTPRequestHead) {
        let uri = h.uri
        let path = uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
        let query = uri.firstIndex(of: "?").map { String(uri[uri.index(after: $0)...]) } ?? ""
        let head = h.method == .HEAD
        guard let route = router.get(path) else {
            counters.reject(.notFound)
            return write(context, h, HTTPResponse(status: 404, text: "not found\n"), head: head)
        }
        counters.update { $0.httpRequests += 1 }
        guard h.method == .GET || h.method == .HEAD else {
            counters.reject(.methodNotAllowed)
            return write(context, h, HTTPResponse(status: 405, text: "method not allowed\n"), head: head)
        }
        var metadata = Metadata()
        for (name, value) in h.headers { metadata[name.lowercased()] = value }
        switch Auth.check(metadata["authorization"], route: route.auth, tokens: tokens) {
        case .allowed: break
        case .unauthenticated:
            counters.reject(.unauthenticated)
            var r = HTTPResponse(status: 401, text: "unauthorized\n")
            r.headers = [("www-authenticate", "Bearer")]
            return write(context, h, r, head: head)
        case .permissionDenied:
            counters.reject(.permissionDenied)
            return write(context, h, HTTPResponse(status: 403, text: "forbidden\n"), head: head)
        }
        let request = HTTPRequest(method: head ? "HEAD" : "GET", path: path, query: query, metadata: metadata, peer: peer)
        switch route.handler {
        case .immediate(let handler):
            write(context, h, handler(request), head: head)
        case .async(let handler):
            // NIO's pipelining helper holds the next request until this response ends.
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            counters.update { $0.handlersRunning += 1 }
            let counters = counters
            Task {
                let response = await handler(request)
                loop.execute {
                    let (me, ctx) = bound.value
                    me.write(ctx, h, response, head: head)
                    counters.update { $0.handlersRunning -= 1 }
                }
            }
        }
    }

    private func write(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ response: HTTPResponse, head: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let status = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(status)), promise: nil)
        if !head && !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
