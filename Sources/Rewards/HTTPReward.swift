// External rewards from a reward server: the batch request object of the line protocol is
// POSTed as the body (Content-Type: application/json), the body of a 2xx answer is read as
// the batch response. Timeouts, unreachable servers and 5xx/429 answers are retried with
// back-off up to `retries` times; every failed try is counted.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A reward server.
package actor HTTPReward: BatchRewardSource {
    package nonisolated let label: String
    package nonisolated let config: HTTPRewardConfig
    private let session: URLSession
    private let sleep: @Sendable (Duration) async -> Void
    private var counts = FailureCounts()
    private var nextID = 0
    /// Requests sent so far (tries included).
    package private(set) var requests = 0

    /// - Parameter sleep: how back-off delays between tries are waited.
    package init(label: String = "http", config: HTTPRewardConfig,
                sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }) {
        self.label = label
        self.config = config
        self.sleep = sleep
        // The session's own timers are a backstop only: swift-corelibs-foundation rounds them
        // down to whole seconds (0.5 s fires at once). `Deadline.race` enforces `timeout`.
        let backstop = (config.timeout.seconds + 1).rounded(.up)
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = backstop
        c.timeoutIntervalForResource = backstop
        c.httpMaximumConnectionsPerHost = 4
        self.session = URLSession(configuration: c)
    }

    package func score(_ inputs: [RewardInput]) async -> [ExternalOutcome] {
        let (outcomes, events) = await BatchDriver.run(inputs, maxBatch: config.maxBatch, policy: config.policy) { chunk in
            await self.attempt(chunk)
        }
        counts.merge(events)
        return outcomes
    }

    package func failureCounts() -> FailureCounts { counts }

    package func shutdown() { session.invalidateAndCancel() }

    private func attempt(_ chunk: ArraySlice<RewardInput>) async -> AttemptResult {
        nextID += 1
        let id = nextID
        guard let url = URL(string: config.url) else {
            return .callFailed(RewardFailure(kind: .unreachable, message: "reward \(label): bad URL \(config.url)"), count: chunk.count)
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = (config.timeout.seconds + 1).rounded(.up)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (k, v) in config.headers { request.setValue(v, forHTTPHeaderField: k) }
        var body = ExternalWire.batchRequest(id: id, inputs: chunk)
        body.removeLast()  // the line protocol's newline
        request.httpBody = Data(body)

        var events = FailureCounts()
        var tryIndex = 0
        while true {
            if tryIndex > 0 { await sleep(config.backoff.delay(afterFailures: tryIndex)) }
            requests += 1
            switch await post(request) {
            case let .success(data):
                var result = ExternalWire.decode(Array(data), id: id, count: chunk.count, source: label,
                                                 rows: chunk.map(\.row.line))
                result.events.merge(events)
                return result
            case let .failure(f):
                events.record(f)
                guard f.retryable, tryIndex < config.retries else {
                    var result = AttemptResult.callFailed(f, count: chunk.count)
                    result.events = events
                    return result
                }
                tryIndex += 1
            }
        }
    }

    /// One POST, bounded by the timeout even if the session's own timer does not fire.
    private func post(_ request: URLRequest) async -> Result<Data, RewardFailure> {
        let session = self.session, label = self.label, timeout = config.timeout, url = config.url
        return await Deadline.race(timeout: timeout, onTimeout: .failure(HTTPFailure.timeout(label, timeout))) {
            do {
                let (data, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                guard (200..<300).contains(status) else {
                    let retry = status >= 500 || status == 429
                    return .failure(RewardFailure(kind: .httpStatus, message: "reward \(label): \(url) answered HTTP \(status)"
                                                  + (retry ? "" : " (not retried)")))
                }
                return .success(data)
            } catch let e as URLError where e.code == .timedOut {
                return .failure(HTTPFailure.timeout(label, timeout))
            } catch {
                let why = error.localizedDescription
                return .failure(RewardFailure(kind: .unreachable, message: "reward \(label): \(url) unreachable: \(why)"))
            }
        }
    }
}

enum HTTPFailure {
    static func timeout(_ label: String, _ t: Duration) -> RewardFailure {
        RewardFailure(kind: .timeout, message: "reward \(label): no HTTP answer within \(t)")
    }
}

extension RewardFailure {
    /// Whether another HTTP try may help: timeouts, unreachable servers, 5xx and 429.
    var retryable: Bool {
        switch kind {
        case .timeout, .unreachable: return true
        case .httpStatus: return !message.hasSuffix("(not retried)")
        default: return false
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

/// Runs an operation with a deadline: whichever finishes first, the operation or the timer,
/// gives the result; the loser is cancelled (best effort) and its result dropped.
enum Deadline {
    static func race<T: Sendable>(timeout: Duration, onTimeout: T, _ operation: @escaping @Sendable () async -> T) async -> T {
        await withCheckedContinuation { cont in
            let once = ResumeOnce(cont)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { once.resume(onTimeout) }
            }
            Task {
                let value = await operation()
                if once.resume(value) { timer.cancel() }
            }
        }
    }
}

/// A continuation resumed by whichever caller comes first.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var cont: CheckedContinuation<T, Never>?

    init(_ c: CheckedContinuation<T, Never>) { cont = c }

    /// Resumes if nobody has; returns whether this call did.
    @discardableResult
    func resume(_ value: T) -> Bool {
        let c: CheckedContinuation<T, Never>? = lock.withLock {
            defer { cont = nil }
            return cont
        }
        c?.resume(returning: value)
        return c != nil
    }
}
