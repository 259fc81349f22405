// TransportBench workloads: the bench server and its routes, unary latency loops,
// streaming throughput, and the h2load runs against our server and nghttpd.

import Foundation
import NIOConcurrencyHelpers
import TLS
import Transport
import Wire

struct BenchServer {
    let server: TransportServer

    static func start(pki: BenchPKI?, threads: Int = 1) async throws -> BenchServer {
        var c = ServerConfiguration()
        c.eventLoopThreads = threads
        c.rpcPathPrefix = "/bench.v1/"
        if let pki {
            let context = try TLSContext.server(certificateChain: .file(pki.cert), privateKey: .file(pki.key))
            c.tls = TLSListener(address: ListenAddress(), context: context)
        }
        let server = try TransportServer(configuration: c)
        let echo: RPCHandler = { request, responder in
            try await responder.send(try await request.message())
            return .ok
        }
        // The same handler twice: on the global concurrency pool (the default) and on the event loop.
        try server.register(path: "/bench.v1/Echo", options: RouteOptions(auth: .none, requestMessages: .one, responseMessages: .one),
                            handler: echo)
        try server.register(path: "/bench.v1/EchoOnLoop", options: RouteOptions(auth: .none, requestMessages: .one, responseMessages: .one,
                                                                                runsOnEventLoop: true), handler: echo)
        // And as an immediate unary route: called in place on the loop, no task (the floor of a call).
        try server.registerImmediateUnary(path: "/bench.v1/EchoImmediate", auth: .none) { call in .success(call.message) }
        try server.register(path: "/bench.v1/Upload", auth: .none, maxMessageBytes: 1 << 20, responseMessages: .one) { request, responder in
            var total = 0
            for try await m in request.messages { total += m.count }
            try await responder.send(Array(String(total).utf8))
            return .ok
        }
        // Request: "size count"; response: count messages of size bytes.
        try server.register(path: "/bench.v1/Download", auth: .none, requestMessages: .one) { request, responder in
            let words = String(decoding: try await request.message(), as: UTF8.self).split(separator: " ")
            guard words.count == 2, let size = Int(words[0]), let count = Int(words[1]) else {
                return RPCStatus(.invalidArgument, "expected 'size count'")
            }
            let payload = [UInt8](repeating: 0x5A, count: size)
            for _ in 0..<count { try await responder.send(payload) }
            return .ok
        }
        let body = [UInt8](repeating: 0x61, count: 1024)
        try server.registerImmediateGET(path: "/bench/1k", handler: { _ in HTTPResponse(contentType: "application/octet-stream", body: body) })
        try await server.start()
        return BenchServer(server: server)
    }

    func h2cClient() -> TransportClient {
        var c = TransportClient.Configuration(host: "127.0.0.1", port: server.cleartextPort!)
        c.maxResponseBytes = 1 << 20
        return TransportClient(configuration: c)
    }

    func tlsClient(pki: BenchPKI) throws -> TransportClient {
        let context = try TLSContext.client(trustRoots: .file(pki.ca))
        var c = TransportClient.Configuration(host: "127.0.0.1", port: server.tlsPort!, tls: context, serverName: "localhost")
        c.maxResponseBytes = 1 << 20
        return TransportClient(configuration: c)
    }
}

extension TransportBench {
    static func unary(_ client: TransportClient, transport: String, concurrency: Int,
                      seconds: Double) async throws -> TransportBenchReport.Unary {
        let payload = [UInt8](repeating: 1, count: 64)
        _ = try await client.unary(path: "/bench.v1/Echo", request: payload) // connect + warm up
        let start = Date()
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine: [Double] = []
                    while Date().timeIntervalSince(start) < seconds {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        _ = try await client.unary(path: "/bench.v1/Echo", request: payload)
                        mine.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
                    }
                    return mine
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        let elapsed = Date().timeIntervalSince(start)
        return .init(transport: transport, concurrency: concurrency, calls: latencies.count,
                     callsPerSecond: Double(latencies.count) / elapsed,
                     p50Microseconds: percentile(latencies, 0.5), p99Microseconds: percentile(latencies, 0.99))
    }

    static func stream(_ client: TransportClient, transport: String, upload: Bool, messageBytes: Int,
                       totalBytes: Int) async throws -> TransportBenchReport.Streaming {
        let count = max(1, totalBytes / messageBytes)
        let start = Date()
        if upload {
            let call = try await client.call(path: "/bench.v1/Upload", metadata: [:])
            let payload = [UInt8](repeating: 0x33, count: messageBytes)
            for _ in 0..<count { try await call.send(payload) }
            try await call.finish()
            for try await _ in call.responses {}
        } else {
            let call = try await client.call(path: "/bench.v1/Download", metadata: [:])
            try await call.send(Array("\(messageBytes) \(count)".utf8))
            try await call.finish()
            var received = 0
            for try await m in call.responses { received += m.count }
            guard received == count * messageBytes else {
                throw RPCStatus(.dataLoss, "download received \(received) of \(count * messageBytes) bytes")
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        let bytes = count * messageBytes
        return .init(transport: transport, direction: upload ? "upload" : "download", messageBytes: messageBytes,
                     totalBytes: bytes, megabytesPerSecond: Double(bytes) / 1e6 / elapsed)
    }
}
