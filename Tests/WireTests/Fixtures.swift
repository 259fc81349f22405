// Shared test fixtures: one example of every message (these are also the golden vectors
// in proto/vectors/), a seeded RNG, and hex helpers.

import XCTest
@testable import Wire

/// Small deterministic generator (SplitMix64) so failures reproduce.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One named example message with a description of its values (for the vector header).
struct Example {
    var file: String
    var summary: String
    var message: any WireMessage
}

enum Fixtures {
    static let digest: [UInt8] = (0 ..< 32).map { UInt8($0) &* 7 &+ 1 }

    static let register = RegisterRequest(workerName: "host-a/w1", softwareVersion: "tributary 0.1.0",
                                          protocolVersion: 1, samplerThreads: 2)
    /// A GPT-2 `config.json` for the Welcome example (compact; a learner sends `ModelConfig.configJSON()`).
    static let configJSON = #"{"activation_function":"gelu_new","layer_norm_epsilon":1e-05,"model_type":"gpt2","n_embd":64,"n_head":4,"n_layer":2,"n_positions":128,"tie_word_embeddings":true,"vocab_size":14}"#
    static let welcome = Welcome(
        workerId: 42, protocolVersion: 1, taskSpec: "reverse:digits=4",
        model: ModelShape(vocabSize: 14, nPositions: 128, nEmbd: 64, nLayer: 2, nHead: 4),
        groupSize: 8, temperature: 1.0, topK: 0, maxCompletionTokens: 5, maxMessageBytes: 1_048_576,
        maxGroupsPerSubmit: 64, leaseDurationMs: 30_000, policyVersion: 7, promptSeed: 7,
        modelConfigJSON: Array(configJSON.utf8), ghpoStages: 2)
    static let watch = WatchRequest(workerId: 42, lastKnownVersion: 6)
    static let announcement = PolicyAnnouncement(version: 7, digest: digest, sizeBytes: 1_234_567, step: 70)
    static let fetch = FetchPolicyRequest(version: 7, offset: 0)
    static let chunk = PolicyChunk(version: 7, offset: 1_234_560, totalSize: 1_234_567,
                                   data: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D], digest: digest)
    static let leaseRequest = LeaseRequest(workerId: 42, maxPrompts: 4, currentVersion: 7)
    static let unit = WorkUnit(leaseId: 0x0102_0304_0506_0708, promptIndex: 1000, promptTokens: [5, 17, 3],
                               groupSize: 2, temperature: 0.5, topK: 10, maxCompletionTokens: 4,
                               policyVersion: 7, deadlineUnixMs: 1_767_225_600_000)
    static let grant = LeaseGrant(units: [unit, WorkUnit(leaseId: 9, promptIndex: 1001, promptTokens: [],
                                                         groupSize: 2, temperature: 1, topK: 0, maxCompletionTokens: 4,
                                                         policyVersion: 7, deadlineUnixMs: 1_767_225_600_000)])
    static let grantEmpty = LeaseGrant(units: [], retryAfterMs: 250)
    static let group = TrajectoryGroup(
        leaseId: 0x0102_0304_0506_0708, promptIndex: 1000, promptTokens: [5, 17, 3], policyVersion: 7, workerId: 42,
        samples: [
            Sample(tokens: [9, 2, 0], logProbs: [-0.5, -1.25, -0.125], reward: 1, correct: true, finishReason: .end),
            Sample(tokens: [11], logProbs: [-2], reward: 0, correct: false, finishReason: .length),
        ])
    /// Schema 2: two reward components; sample 1's "format" component failed with `row_error` (1).
    static let groupComponents = TrajectoryGroup(
        leaseId: 9, promptIndex: 3, promptTokens: [1, 2], policyVersion: 2, workerId: 5,
        samples: [
            Sample(tokens: [4], logProbs: [-0.25], reward: 1, correct: true, finishReason: .end, components: [1, 1]),
            Sample(tokens: [6, 7], logProbs: [-1, -0.5], reward: 0.5, correct: false, finishReason: .end,
                   components: [1, 0], componentFailures: [0, 1]),
        ], rewardComponents: ["numeric", "format"])
    /// Schema 3: the reference channel. The work unit's prompt [1, 2] plus a one-token hint [8]
    /// (the reference's first token); reference [8, 9, 0] (answer 8 9, end token 0).
    static let groupReference = TrajectoryGroup(
        leaseId: 10, promptIndex: 4, promptTokens: [1, 2, 8], policyVersion: 3, workerId: 5,
        samples: [
            Sample(tokens: [9, 0], logProbs: [-0.5, -0.25], reward: 1, correct: true, finishReason: .end),
            Sample(tokens: [7], logProbs: [-1], reward: 0, correct: false, finishReason: .length),
        ], referenceTokens: [8, 9, 0], hintTokens: 1)
    static let ackAccepted = SubmitAck(leaseId: 0x0102_0304_0506_0708, outcome: .accepted, learnerVersion: 8, bufferedCount: 3)
    static let ackRejected = SubmitAck(leaseId: 9, outcome: .rejected(.staleBeyondCap, message: "staleness 5 > cap 4"),
                                       learnerVersion: 12, bufferedCount: 0)
    static let goodbye = Goodbye(workerId: 42, reason: "shutdown")
    static let envelope = StatusEnvelope(RPCStatus(.resourceExhausted, "message of 2000000 bytes > limit 1048576"))

    static let examples: [Example] = [
        Example(file: "register_request", summary: "RegisterRequest workerName=\"host-a/w1\" softwareVersion=\"tributary 0.1.0\" protocolVersion=1 samplerThreads=2", message: register),
        Example(file: "welcome", summary: "Welcome (schema 3) workerId=42 protocolVersion=1 taskSpec=\"reverse:digits=4\" model={vocab 14, nPositions 128, nEmbd 64, nLayer 2, nHead 4} groupSize=8 temperature=1.0 topK=0 maxCompletionTokens=5 maxMessageBytes=1048576 maxGroupsPerSubmit=64 leaseDurationMs=30000 policyVersion=7 promptSeed=7 modelConfigJSON=<the config.json below, \(configJSON.utf8.count) bytes> ghpoStages=2\n# \(configJSON)", message: welcome),
        Example(file: "watch_request", summary: "WatchRequest workerId=42 lastKnownVersion=6", message: watch),
        Example(file: "policy_announcement", summary: "PolicyAnnouncement version=7 digest=01 08 0f … (byte i = 7i+1) sizeBytes=1234567 step=70", message: announcement),
        Example(file: "fetch_policy_request", summary: "FetchPolicyRequest version=7 offset=0 (field omitted)", message: fetch),
        Example(file: "policy_chunk", summary: "PolicyChunk (last) version=7 offset=1234560 totalSize=1234567 data='{\"a\":1}' digest=as announced", message: chunk),
        Example(file: "lease_request", summary: "LeaseRequest workerId=42 maxPrompts=4 currentVersion=7", message: leaseRequest),
        Example(file: "lease_grant", summary: "LeaseGrant of 2 units: {lease 0x0102030405060708, prompt 1000, tokens [5,17,3], G=2, T=0.5, topK=10, max 4, v7, deadline 1767225600000} and {lease 9, prompt 1001, tokens [], G=2, T=1, topK=0, max 4, v7, same deadline}", message: grant),
        Example(file: "lease_grant_empty", summary: "LeaseGrant units=[] retryAfterMs=250", message: grantEmpty),
        Example(file: "trajectory_group", summary: "TrajectoryGroup (schema 3, no components, no reference) lease 0x0102030405060708 prompt 1000 tokens [5,17,3] v7 worker 42; samples: [9,2,0] logp [-0.5,-1.25,-0.125] reward 1 correct end; [11] logp [-2] reward 0 wrong length", message: group),
        Example(file: "trajectory_group_components", summary: "TrajectoryGroup (schema 3) lease 9 prompt 3 tokens [1,2] v2 worker 5; components [numeric, format]; samples: [4] logp [-0.25] reward 1 correct end components [1, 1]; [6,7] logp [-1,-0.5] reward 0.5 wrong end components [1, 0] failures [0, 1 = row_error]", message: groupComponents),
        Example(file: "trajectory_group_reference", summary: "TrajectoryGroup (schema 3) lease 10 prompt 4 tokens [1,2,8] (leased prompt [1,2] + hint [8]) v3 worker 5; samples: [9,0] logp [-0.5,-0.25] reward 1 correct end; [7] logp [-1] reward 0 wrong length; referenceTokens [8,9,0] hintTokens 1", message: groupReference),
        Example(file: "submit_ack_accepted", summary: "SubmitAck lease 0x0102030405060708 accepted learnerVersion=8 bufferedCount=3", message: ackAccepted),
        Example(file: "submit_ack_rejected", summary: "SubmitAck lease 9 rejected stale_beyond_cap (5) \"staleness 5 > cap 4\" learnerVersion=12 bufferedCount=0", message: ackRejected),
        Example(file: "goodbye", summary: "Goodbye workerId=42 reason=\"shutdown\"", message: goodbye),
        Example(file: "status_envelope", summary: "StatusEnvelope RESOURCE_EXHAUSTED (8) \"message of 2000000 bytes > limit 1048576\"", message: envelope),
    ]
}

enum Hex {
    /// Parses hex text: `#` starts a comment to end of line; whitespace is ignored.
    static func parse(_ text: String) throws -> [UInt8] {
        var digits: [UInt8] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for c in content.utf8 where c != 0x20 && c != 0x09 && c != 0x0D { digits.append(c) }
        }
        guard digits.count % 2 == 0 else { throw HexError.oddDigits }
        var out: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let v = UInt8(String(decoding: digits[i ..< i + 2], as: UTF8.self), radix: 16) else { throw HexError.badDigit }
            out.append(v)
        }
        return out
    }

    static func string(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: " ")
    }

    /// Layout for vector files: the 4-byte header on one line, then one line per top-level
    /// field (7-byte field header | value), long values wrapped at 32 bytes.
    static func annotated(_ bytes: [UInt8]) -> String {
        var lines = [string(bytes[0 ..< 4]) + "   # kind, schema version"]
        var off = 4
        while off + 7 <= bytes.count {
            let id = Int(bytes[off]) | Int(bytes[off + 1]) << 8
            let len = Int(bytes[off + 3]) | Int(bytes[off + 4]) << 8 | Int(bytes[off + 5]) << 16 | Int(bytes[off + 6]) << 24
            let end = min(off + 7 + len, bytes.count)
            lines.append(string(bytes[off ..< off + 7]) + "   # field \(id), wire type \(bytes[off + 2]), length \(len)")
            var v = off + 7
            while v < end {
                lines.append("    " + string(bytes[v ..< min(v + 32, end)]))
                v += 32
            }
            off = end
        }
        if off < bytes.count { lines.append(string(bytes[off...])) }
        return lines.joined(separator: "\n")
    }

    enum HexError: Error { case oddDigits, badDigit }
}
