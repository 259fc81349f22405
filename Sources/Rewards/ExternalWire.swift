// The external reward protocol on the wire: request lines (batched, or today's one-sample
// lines) and the strict reading of responses, where every deviation — not JSON, wrong id,
// wrong count, NaN, a verifier-reported error — becomes a typed, counted failure.
//
// Batch request:   {"id": 7, "samples": [{"completion": "…", "completion_tokens": 12,
//                   "prompt": "…" or [{"role", "content"}…], "answer": <any JSON>, "metadata": {…}}, …]}
// Batch response:  {"id": 7, "rewards": [1.0, 0.0, …], "correct": [true, false, …], "errors": [null, "…", …]}
//                  (`correct` optional: reward ≥ 1; `errors` optional: a string fails that sample)
// Single request:  {"id": 7, "prompt": "…", "answer": "…", "completion": "…"}   (protocol = "single")
// Single response: {"id": 7, "reward": 1.0, "correct": true}

/// The verifier's judgement of one sample.
struct ExternalVerdict: Sendable, Hashable {
    var reward: Double
    var correct: Bool

    init(reward: Double, correct: Bool) {
        self.reward = reward
        self.correct = correct
    }
}

/// What one call produced: per-sample results, and the failures to count (a failed call
/// counts once, however many samples it carried; per-sample failures count once each).
struct AttemptResult: Sendable {
    var results: [Result<ExternalVerdict, RewardFailure>]
    var events = FailureCounts()
    /// Set when the whole call failed (every result is this failure).
    var callFailure: RewardFailure?

    /// Every sample failed with the same call failure.
    static func callFailed(_ f: RewardFailure, count: Int) -> AttemptResult {
        var events = FailureCounts()
        events.record(f)
        return AttemptResult(results: Array(repeating: .failure(f), count: count), events: events, callFailure: f)
    }
}

enum ExternalWire {
    static func sample(_ input: RewardInput) -> JSONValue {
        .object([
            "completion": .string(input.completion),
            "completion_tokens": .int(input.completionTokens),
            "prompt": input.row.promptJSON,
            "answer": input.row.answer ?? .null,
            "metadata": .object(input.row.metadata),
        ])
    }

    /// One batch request line, newline included.
    static func batchRequest(id: Int, inputs: ArraySlice<RewardInput>) -> [UInt8] {
        let line = JSONValue.object(["id": .int(id), "samples": .array(inputs.map(sample))]).serialized()
        return Array(line.utf8) + [0x0A]
    }

    /// Today's one-sample line: prompt as text (messages as JSON text), answer as text.
    static func singleRequest(id: Int, input: RewardInput) -> [UInt8] {
        let prompt: String
        if case let .text(s) = input.row.prompt { prompt = s } else { prompt = input.row.promptJSON.serialized() }
        let line = JSONValue.object([
            "id": .int(id), "prompt": .string(prompt),
            "answer": .string(input.row.answer?.textForm ?? ""), "completion": .string(input.completion),
        ]).serialized()
        return Array(line.utf8) + [0x0A]
    }

    /// Reads a response to request `id` carrying `count` samples. `source` names the reward
    /// in messages; `rows` give the row lines of the samples for per-sample messages.
    static func decode(_ bytes: [UInt8], id: Int, count: Int, source: String, rows: [Int?]) -> AttemptResult {
        let shown = String(decoding: bytes.prefix(120), as: UTF8.self)
        func call(_ kind: FailureKind, _ message: String) -> AttemptResult {
            .callFailed(RewardFailure(kind: kind, message: "reward \(source): \(message)"), count: count)
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, allowNonFinite: true) } catch {
            return call(.garbage, "response is not JSON (\(error)): \(shown)")
        }
        guard case let .object(o) = value else { return call(.garbage, "response is \(value.kindName), not an object: \(shown)") }
        guard let got = o["id"] else { return call(.garbage, "response has no \"id\": \(shown)") }
        guard got.intValue == id else { return call(.badID, "response id \(got.serialized()) does not match request id \(id)") }

        let rewards: [JSONValue]
        if let r = o["rewards"] {
            guard let a = r.arrayValue else { return call(.garbage, "\"rewards\" is \(r.kindName), not a list") }
            rewards = a
        } else if let r = o["reward"], count == 1 {
            rewards = [r]  // a one-sample response
        } else {
            return call(.garbage, "response has no \"rewards\": \(shown)")
        }
        guard rewards.count == count else {
            return call(.wrongCount, "sent \(count) samples, got \(rewards.count) rewards")
        }
        var correct: [Bool]?
        if let c = o["correct"] {
            if let b = c.boolValue, count == 1 { correct = [b] } else {
                guard let a = c.arrayValue else { return call(.garbage, "\"correct\" is \(c.kindName), not a list") }
                guard a.count == count else { return call(.wrongCount, "sent \(count) samples, got \(a.count) \"correct\" values") }
                var bs: [Bool] = []
                for v in a {
                    guard let b = v.boolValue else { return call(.garbage, "\"correct\" holds \(v.kindName), not booleans") }
                    bs.append(b)
                }
                correct = bs
            }
        }
        var errors: [String?] = Array(repeating: nil, count: count)
        if let e = o["errors"] {
            guard let a = e.arrayValue else { return call(.garbage, "\"errors\" is \(e.kindName), not a list") }
            guard a.count == count else { return call(.wrongCount, "sent \(count) samples, got \(a.count) \"errors\"") }
            errors = a.map { $0 == .null ? nil : $0.textForm }
        }

        var out = AttemptResult(results: [])
        for i in 0..<count {
            let at = rows.indices.contains(i) ? rows[i].map { " (row at line \($0))" } ?? "" : ""
            func fail(_ kind: FailureKind, _ message: String) {
                let f = RewardFailure(kind: kind, message: "reward \(source): sample \(i)\(at): \(message)")
                out.results.append(.failure(f))
                out.events.record(f)
            }
            if let message = errors[i] { fail(.verifierError, "the verifier reported: \(message)"); continue }
            guard let r = rewards[i].doubleValue else { fail(.garbage, "reward is \(rewards[i].kindName), not a number"); continue }
            guard r.isFinite else { fail(.nonFinite, "reward is \(r)"); continue }
            out.results.append(.success(ExternalVerdict(reward: r, correct: correct?[i] ?? (r >= 1))))
        }
        return out
    }
}
