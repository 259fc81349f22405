// The reward-function contract: a small value type that scores one completion of one row,
// the input it sees, and the typed errors and failure kinds every reward (local or external)
// reports so they can be counted in metrics.

/// What a reward function scores: the completion, its length in tokens, and the row
/// (prompt, answer and metadata).
package struct RewardInput: Sendable, Hashable {
    /// The decoded completion text (cut at the end token).
    package var completion: String
    /// Number of completion tokens (end token excluded).
    package var completionTokens: Int
    package var row: Row

    package init(completion: String, completionTokens: Int, row: Row) {
        self.completion = completion
        self.completionTokens = completionTokens
        self.row = row
    }
}

/// A named reward on one completion.
package protocol RewardFunction: Sendable {
    /// The registry name (`exact`, `numeric`, …).
    var name: String { get }
    /// The least and greatest score it gives; "at its max" means `score >= range.upperBound`.
    var range: ClosedRange<Double> { get }
    /// Scores one completion. Throws `RewardError` when the row lacks what it needs.
    func score(_ input: RewardInput) throws(RewardError) -> Double
}

/// Why a built-in reward could not score a row. Each case names the reward and the row line.
package enum RewardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The row has no `answer` (or no metadata `field`) that the reward compares with.
    case missingField(reward: String, field: String, row: Int?)
    /// The field is there but unusable (e.g. `numeric` with an answer that is not a number).
    case unusableField(reward: String, field: String, row: Int?, reason: String)

    package var description: String {
        let at: (Int?) -> String = { $0.map { "row at line \($0)" } ?? "row" }
        switch self {
        case let .missingField(r, f, row): return "reward \(r): \(at(row)) has no \"\(f)\""
        case let .unusableField(r, f, row, why): return "reward \(r): \(at(row)) field \"\(f)\" \(why)"
        }
    }
}

/// The kinds of reward failure, for counting (`/metrics` label `kind`).
package enum FailureKind: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// A built-in reward could not use the row (missing or unusable field).
    case rowError = "row_error"
    /// A reward (local or external) produced NaN or ±infinity.
    case nonFinite = "non_finite"
    /// The reward program could not be started.
    case launchFailed = "launch_failed"
    /// No answer within the per-call timeout (the program is killed and restarted).
    case timeout
    /// The reward program exited or was killed (crash, CPU or memory limit).
    case crashed
    /// A response line or body that is not the protocol's JSON.
    case garbage
    /// A response with a different number of rewards than samples sent.
    case wrongCount = "wrong_count"
    /// A response whose id is not the id of the request.
    case badID = "bad_id"
    /// The verifier itself reported an error for a sample (`errors` in the response).
    case verifierError = "verifier_error"
    /// The reward server answered with a non-2xx HTTP status.
    case httpStatus = "http_status"
    /// The reward server could not be reached (connection refused, DNS, reset).
    case unreachable

    package static func < (a: FailureKind, b: FailureKind) -> Bool { a.rawValue < b.rawValue }
}

/// One failure, typed by kind, with a message naming the reward (and the row when known).
package struct RewardFailure: Error, Hashable, Sendable, CustomStringConvertible {
    package var kind: FailureKind
    package var message: String

    package init(kind: FailureKind, message: String) {
        self.kind = kind
        self.message = message
    }

    package init(_ error: RewardError) {
        self.init(kind: .rowError, message: error.description)
    }

    package var description: String { "\(kind.rawValue): \(message)" }
}

/// Failure counts per kind (a value; merge several with `merge`).
package struct FailureCounts: Sendable, Hashable, Codable {
    package private(set) var counts: [FailureKind: Int] = [:]

    package init() {}

    package mutating func record(_ kind: FailureKind, count: Int = 1) { counts[kind, default: 0] += count }
    package mutating func record(_ failure: RewardFailure) { record(failure.kind) }
    package mutating func merge(_ other: FailureCounts) {
        for (k, n) in other.counts { record(k, count: n) }
    }

    package subscript(kind: FailureKind) -> Int { counts[kind] ?? 0 }
    package var total: Int { counts.values.reduce(0, +) }
}
