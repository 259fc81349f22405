// Codec tests: round trips (empty and MiB-sized arrays), forward compatibility, named
// missing fields, typed errors for malformed input, and random mutations that must
// never crash.

import XCTest
@testable import Wire

final class CodecTests: XCTestCase {
    private func roundTrip<M: WireMessage>(_ m: M, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = m.encoded()
        XCTAssertEqual(Array(bytes[0 ..< 2]), [UInt8(M.kind.rawValue & 0xFF), UInt8(M.kind.rawValue >> 8)], file: file, line: line)
        XCTAssertEqual(try M.decode(bytes), m, file: file, line: line)
        let any = try decodeAnyMessage(bytes)
        XCTAssertEqual(any as? M, m, file: file, line: line)
    }

    func testEveryExampleRoundTrips() throws {
        for ex in Fixtures.examples { try roundTrip(ex.message) }
        XCTAssertEqual(Set(Fixtures.examples.map { type(of: $0.message).kind }), Set(MessageKind.allCases))
    }

    func testEmptyArraysAndDefaults() throws {
        let g = TrajectoryGroup(leaseId: 1, promptIndex: 0, promptTokens: [], policyVersion: 0, workerId: 0, samples: [])
        try roundTrip(g)
        let g2 = TrajectoryGroup(leaseId: 1, promptIndex: 0, promptTokens: [], policyVersion: 0, workerId: 0,
                                 samples: [Sample(tokens: [], logProbs: [], reward: 0, correct: false, finishReason: .error)])
        try roundTrip(g2)
        try roundTrip(PolicyChunk(version: 1, offset: 0, totalSize: 0, data: [], digest: SHA256.hash([])))
        try roundTrip(WatchRequest(workerId: 3, lastKnownVersion: nil))
        try roundTrip(WatchRequest(workerId: 3, lastKnownVersion: 0))
        try roundTrip(Goodbye(workerId: 1))
        try roundTrip(StatusEnvelope(.ok))
        try roundTrip(SubmitAck(leaseId: 1, outcome: .rejected(RejectionReason(rawValue: 999), message: ""), learnerVersion: 0, bufferedCount: 0))
        // Optional fields default when absent.
        var w = FieldWriter()
        w.header(kind: .registerRequest, schemaVersion: 1)
        w.string(1, "n"); w.string(2, "v"); w.u16(3, 1)
        XCTAssertEqual(try RegisterRequest.decode(w.bytes).samplerThreads, 1)
    }

    func testLargeGroupRoundTripsAndIsTooBigToFrame() throws {
        var rng = TestRNG(seed: 3)
        let samples = (0 ..< 16).map { _ in
            Sample(tokens: (0 ..< 8192).map { _ in Int32.random(in: 0 ..< 50_257, using: &rng) },
                   logProbs: (0 ..< 8192).map { _ in -Float.random(in: 0 ..< 20, using: &rng) },
                   reward: Float.random(in: 0 ... 1, using: &rng), correct: Bool.random(using: &rng), finishReason: .length)
        }
        let g = TrajectoryGroup(leaseId: 7, promptIndex: 8, promptTokens: [1, 2], policyVersion: 3, workerId: 4, samples: samples)
        let bytes = g.encoded()
        XCTAssertGreaterThan(bytes.count, 1 << 20)
        let back = try TrajectoryGroup.decode(bytes)
        XCTAssertEqual(back, g)
        XCTAssertEqual(back.samples, samples)
        XCTAssertEqual(back.sampleOffsets.last, 16 * 8192)
        XCTAssertThrowsError(try g.framed(maxMessageBytes: WireProtocol.maxBulkMessageBytes))
    }

    func testLargestPolicyChunkFitsTheBulkLimit() throws {
        let data = [UInt8](repeating: 0xAB, count: WireProtocol.maxPolicyChunkDataBytes)
        let c = PolicyChunk(version: UInt64.max, offset: UInt64.max - UInt64(data.count), totalSize: UInt64.max, data: data,
                            digest: Fixtures.digest)
        let framed = try c.framed(maxMessageBytes: WireProtocol.maxBulkMessageBytes)
        var d = Deframer(maxMessageBytes: RPCMethod.fetchPolicy.maxResponseBytes)
        let frames = try d.feed(framed)
        XCTAssertEqual(try PolicyChunk.decode(frames[0].payload), c)
        var tooBig = c
        tooBig.data.append(0)
        tooBig.offset -= 1
        XCTAssertThrowsError(try PolicyChunk.decode(tooBig.encoded())) {
            guard case .invalidValue(_, "data", _)? = $0 as? WireError else { return XCTFail("\($0)") }
        }
    }

    func testUnknownFieldsAreSkipped() throws {
        // A "newer" peer: schema version 2, an extra field of every wire type, placed
        // before, between and after the known ones.
        var w = FieldWriter()
        w.header(kind: .leaseRequest, schemaVersion: 2)
        w.rawField(100, wireType: WireType.bytes.rawValue, value: Array("future".utf8))
        w.u64(1, 42)
        w.rawField(101, wireType: WireType.message.rawValue, value: [1, 0, 1, 1, 0, 0, 0, 9])
        w.u32(2, 4)
        w.rawField(102, wireType: WireType.fixed64.rawValue, value: [1, 2, 3])   // unknown ids are not validated
        w.u64(3, 7)
        w.rawField(103, wireType: WireType.array32.rawValue, value: [])
        XCTAssertEqual(try LeaseRequest.decode(w.bytes), Fixtures.leaseRequest)

        // Extra fields inside a nested message too.
        var n = FieldWriter()
        n.header(kind: .leaseGrant, schemaVersion: 3)
        var unit = FieldWriter()
        Fixtures.unit.encodeFields(into: &unit)
        unit.rawField(50, wireType: WireType.fixed32.rawValue, value: [0, 0, 0, 0])
        n.rawField(1, wireType: WireType.message.rawValue, value: unit.bytes)
        n.rawField(9, wireType: WireType.fixed8.rawValue, value: [1])
        XCTAssertEqual(try LeaseGrant.decode(n.bytes), LeaseGrant(units: [Fixtures.unit]))
    }

    func testMissingRequiredFieldIsNamed() {
        var w = FieldWriter()
        w.header(kind: .leaseRequest, schemaVersion: 1)
        w.u64(1, 42)
        w.u64(3, 7)
        XCTAssertThrowsError(try LeaseRequest.decode(w.bytes)) { error in
            XCTAssertEqual(error as? WireError, .missingField(message: "LeaseRequest", field: "maxPrompts", id: 2))
            XCTAssertTrue("\(error)".contains("'maxPrompts'"))
        }
        var g = FieldWriter()
        g.header(kind: .leaseGrant, schemaVersion: 1)
        g.rawField(1, wireType: WireType.message.rawValue, value: [])
        XCTAssertThrowsError(try LeaseGrant.decode(g.bytes)) {
            XCTAssertEqual($0 as? WireError, .missingField(message: "WorkUnit", field: "leaseId", id: 1))
        }
    }

    func testMalformedInputGivesTypedErrors() {
        func err(_ bytes: [UInt8]) -> WireError? {
            do { _ = try LeaseRequest.decode(bytes); return nil } catch { return error }
        }
        XCTAssertEqual(err([7, 0]), .truncated(message: "message header", offset: 0, need: 4, have: 2))
        XCTAssertEqual(err([8, 0, 1, 0]), .wrongKind(expected: .leaseRequest, got: 8))
        XCTAssertEqual(err([7, 0, 0, 0]), .invalidSchemaVersion(message: "LeaseRequest", version: 0))
        XCTAssertEqual(err([7, 0, 1, 0, 1, 0, 4]), .truncated(message: "LeaseRequest", offset: 4, need: 7, have: 3))
        XCTAssertEqual(err([7, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0]), .invalidFieldID(message: "LeaseRequest", offset: 4))
        XCTAssertEqual(err([7, 0, 1, 0, 1, 0, 9, 0, 0, 0, 0]), .unknownWireType(message: "LeaseRequest", fieldID: 1, wireType: 9))
        XCTAssertEqual(err([7, 0, 1, 0, 1, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF, 1]),
                       .truncated(message: "LeaseRequest", offset: 11, need: 0xFFFF_FFFF, have: 1))

        var w = FieldWriter()
        w.header(kind: .leaseRequest, schemaVersion: 1)
        w.u32(1, 42)
        XCTAssertEqual(err(w.bytes), .wrongWireType(message: "LeaseRequest", field: "workerId", expected: .fixed64, got: .fixed32))
        var l = FieldWriter()
        l.header(kind: .leaseRequest, schemaVersion: 1)
        l.rawField(1, wireType: WireType.fixed64.rawValue, value: [1, 2, 3])
        XCTAssertEqual(err(l.bytes), .badFieldLength(message: "LeaseRequest", field: "workerId", length: 3))
        var d = FieldWriter()
        d.header(kind: .leaseRequest, schemaVersion: 1)
        d.u64(1, 1); d.u64(1, 2)
        XCTAssertEqual(err(d.bytes), .duplicateField(message: "LeaseRequest", field: "workerId"))

        var s = FieldWriter()
        s.header(kind: .goodbye, schemaVersion: 1)
        s.u64(1, 1)
        s.rawField(2, wireType: WireType.bytes.rawValue, value: [0xC3, 0x28])
        XCTAssertThrowsError(try Goodbye.decode(s.bytes)) { XCTAssertEqual($0 as? WireError, .invalidUTF8(message: "Goodbye", field: "reason")) }

        var a = FieldWriter()
        a.header(kind: .policyAnnouncement, schemaVersion: 1)
        a.u64(1, 1); a.bytes(2, [1, 2]); a.u64(3, 1); a.u64(4, 1)
        XCTAssertThrowsError(try PolicyAnnouncement.decode(a.bytes)) {
            guard case .invalidValue("PolicyAnnouncement", "digest", _)? = $0 as? WireError else { return XCTFail("\($0)") }
        }
    }

    func testInconsistentGroupShapesAreDecodeErrors() {
        func mutated(_ edit: (inout FieldWriter) -> Void) -> WireError? {
            var w = FieldWriter()
            w.header(kind: .trajectoryGroup, schemaVersion: 1)
            w.u64(1, 1); w.u64(2, 2); w.int32s(3, [1]); w.u64(4, 0); w.u64(5, 0)
            edit(&w)
            do { _ = try TrajectoryGroup.decode(w.bytes); return nil } catch { return error }
        }
        let ok = mutated { w in
            w.uint32s(6, [2]); w.int32s(7, [1, 2]); w.float32s(8, [-1, -1]); w.float32s(9, [1]); w.bytes(10, [1]); w.bytes(11, [1])
        }
        XCTAssertNil(ok)
        let cases: [(String, (inout FieldWriter) -> Void)] = [
            ("completionTokens", { w in w.uint32s(6, [3]); w.int32s(7, [1, 2]); w.float32s(8, [-1, -1]); w.float32s(9, [1]); w.bytes(10, [1]); w.bytes(11, [1]) }),
            ("logProbs", { w in w.uint32s(6, [2]); w.int32s(7, [1, 2]); w.float32s(8, [-1]); w.float32s(9, [1]); w.bytes(10, [1]); w.bytes(11, [1]) }),
            ("rewards", { w in w.uint32s(6, [2]); w.int32s(7, [1, 2]); w.float32s(8, [-1, -1]); w.float32s(9, []); w.bytes(10, [1]); w.bytes(11, [1]) }),
            ("correct", { w in w.uint32s(6, [2]); w.int32s(7, [1, 2]); w.float32s(8, [-1, -1]); w.float32s(9, [1]); w.bytes(10, [2]); w.bytes(11, [1]) }),
            ("finishReasons", { w in w.uint32s(6, [2]); w.int32s(7, [1, 2]); w.float32s(8, [-1, -1]); w.float32s(9, [1]); w.bytes(10, [1]); w.bytes(11, [0]) }),
        ]
        for (field, edit) in cases {
            guard case .invalidValue("TrajectoryGroup", field, _)? = mutated(edit) else { return XCTFail("expected invalid \(field)") }
        }
    }

    /// Schema 2: reward components round-trip per sample, a schema-1 group (no fields 12–14)
    /// decodes with none, and inconsistent component counts are decode errors.
    func testRewardComponentsRoundTripAndShapes() throws {
        let g = try TrajectoryGroup.decode(Fixtures.groupComponents.encoded())
        XCTAssertEqual(g.rewardComponents, ["numeric", "format"])
        XCTAssertEqual(g.samples.map(\.components), [[1, 1], [1, 0]])
        XCTAssertEqual(g.samples.map(\.componentFailures), [[0, 0], [0, 1]])
        XCTAssertEqual(RewardFailureCode.name(of: 1), "row_error")
        XCTAssertEqual(RewardFailureCode.name(of: 200), "code_200")
        XCTAssertEqual(RewardFailureCode.code(of: "timeout"), 4)
        // All scored: field 14 is omitted and reads back as zeros.
        let clean = TrajectoryGroup(leaseId: 1, promptIndex: 0, promptTokens: [1], policyVersion: 0, workerId: 1,
                                    samples: [Sample(tokens: [2], logProbs: [-1], reward: -0.5, correct: false, finishReason: .end,
                                                     components: [-0.5])], rewardComponents: ["length"])
        let bytes = clean.encoded()
        XCTAssertEqual(Array(bytes[2 ..< 4]), [3, 0], "schema version 3 (fields 12–14 since 2)")
        XCTAssertEqual(try TrajectoryGroup.decode(bytes).samples[0].componentFailures, [0])
        XCTAssertEqual(try TrajectoryGroup.decode(bytes).samples[0].components, [-0.5])
        let old = try TrajectoryGroup.decode(Fixtures.group.encoded())
        XCTAssertEqual(old.rewardComponents, [])
        XCTAssertEqual(old.samples[0].components, [])

        func decoded(_ edit: (inout FieldWriter) -> Void) -> WireError? {
            var w = FieldWriter()
            w.header(kind: .trajectoryGroup, schemaVersion: 2)
            w.u64(1, 1); w.u64(2, 2); w.int32s(3, [1]); w.u64(4, 0); w.u64(5, 0)
            w.uint32s(6, [1, 1]); w.int32s(7, [1, 2]); w.float32s(8, [-1, -1]); w.float32s(9, [1, 0]); w.bytes(10, [1, 0]); w.bytes(11, [1, 1])
            edit(&w)
            do { _ = try TrajectoryGroup.decode(w.bytes); return nil } catch { return error }
        }
        XCTAssertNil(decoded { w in w.string(12, "a"); w.float32s(13, [1, 0]); w.bytes(14, [0, 9]) })
        guard case .invalidValue("TrajectoryGroup", "componentValues", _)? = decoded({ w in w.string(12, "a"); w.float32s(13, [1]) }) else {
            return XCTFail("G·C values expected")
        }
        guard case .invalidValue("TrajectoryGroup", "componentFailures", _)? = decoded({ w in
            w.string(12, "a"); w.float32s(13, [1, 0]); w.bytes(14, [0]) }) else { return XCTFail("G·C failure codes expected") }
        guard case .missingField("TrajectoryGroup", "componentValues", 13)? = decoded({ w in w.string(12, "a") }) else {
            return XCTFail("labels without values")
        }
        guard case .invalidValue("TrajectoryGroup", "componentValues", _)? = decoded({ w in w.float32s(13, [1, 0]) }) else {
            return XCTFail("values without labels")
        }
    }

    /// Schema 3, the reference channel (PROTOCOL.md §6.5.3): reference and hint round-trip, are
    /// omitted at their defaults, an older group decodes with neither, and a hint longer than the
    /// prompt is a decode error. Welcome's `ghpoStages` likewise.
    func testReferenceChannelRoundTripAndHintBound() throws {
        let g = try TrajectoryGroup.decode(Fixtures.groupReference.encoded())
        XCTAssertEqual(g.referenceTokens, [8, 9, 0])
        XCTAssertEqual(g.hintTokens, 1)
        XCTAssertEqual(Array(g.leasedPromptTokens), [1, 2], "the work unit's prompt without the hint")
        XCTAssertEqual(g, Fixtures.groupReference)
        let plain = Fixtures.group.encoded()
        XCTAssertEqual(Array(plain[2 ..< 4]), [3, 0], "schema version 3")
        XCTAssertFalse(FieldScan.ids(plain).contains(15), "an empty reference is omitted")
        XCTAssertFalse(FieldScan.ids(plain).contains(16), "hint 0 is omitted")
        // A schema-2 group (no fields 15–16, as an older worker writes it) decodes with neither.
        func group(schema: UInt16, _ edit: (inout FieldWriter) -> Void) -> Result<TrajectoryGroup, WireError> {
            var w = FieldWriter()
            w.header(kind: .trajectoryGroup, schemaVersion: schema)
            w.u64(1, 1); w.u64(2, 2); w.int32s(3, [5, 6]); w.u64(4, 0); w.u64(5, 0)
            w.uint32s(6, [1]); w.int32s(7, [1]); w.float32s(8, [-1]); w.float32s(9, [1]); w.bytes(10, [1]); w.bytes(11, [1])
            edit(&w)
            do { return .success(try TrajectoryGroup.decode(w.bytes)) } catch { return .failure(error) }
        }
        let old = try group(schema: 2) { _ in }.get()
        XCTAssertEqual(old.referenceTokens, [])
        XCTAssertEqual(old.hintTokens, 0)
        XCTAssertEqual(Array(old.leasedPromptTokens), [5, 6])
        // The whole prompt may be hint (2 of 2); 3 of 2 is undecodable.
        XCTAssertEqual(try group(schema: 3) { $0.int32s(15, [4, 0]); $0.u32(16, 2) }.get().hintTokens, 2)
        guard case .failure(.invalidValue("TrajectoryGroup", "hintTokens", _)) = group(schema: 3, { $0.u32(16, 3) }) else {
            return XCTFail("a hint longer than the prompt must be a decode error")
        }
        guard case .failure(.wrongWireType(_, "referenceTokens", _, _)) = group(schema: 3, { $0.u64(15, 4) }) else {
            return XCTFail("referenceTokens must be array32")
        }
        // Welcome: ghpoStages round-trips, is omitted when 0, and reads 0 when absent.
        XCTAssertEqual(try Welcome.decode(Fixtures.welcome.encoded()).ghpoStages, 2)
        var w0 = Fixtures.welcome
        w0.ghpoStages = 0
        XCTAssertFalse(FieldScan.ids(w0.encoded()).contains(15))
        XCTAssertEqual(try Welcome.decode(w0.encoded()).ghpoStages, 0)
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = TestRNG(seed: 0xF022)
        var successes = 0, failures = 0
        let bases = Fixtures.examples.map { $0.message.encoded() }
        for round in 0 ..< 4000 {
            var b = bases[round % bases.count]
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                switch Int.random(in: 0 ..< 5, using: &rng) {
                case 0: if !b.isEmpty { b[Int.random(in: 0 ..< b.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng) }
                case 1: b = Array(b.prefix(Int.random(in: 0 ... b.count, using: &rng)))
                case 2: b.insert(UInt8.random(in: 0 ... 255, using: &rng), at: Int.random(in: 0 ... b.count, using: &rng))
                case 3: if b.count > 8 { let i = Int.random(in: 4 ..< b.count - 4, using: &rng); b.replaceSubrange(i ..< i + 4, with: [0xFF, 0xFF, 0xFF, 0x7F]) }
                default: b += (0 ..< Int.random(in: 1 ... 16, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
                }
            }
            b.withUnsafeBytes { fuzzOne($0) }
            do {
                let m = try decodeAnyMessage(b)
                // Whatever decoded must re-encode canonically and decode again to the same bytes.
                let canonical = m.encoded()
                XCTAssertEqual(try decodeAnyMessage(canonical).encoded(), canonical)
                successes += 1
            } catch {
                XCTAssertFalse("\(error)".isEmpty)
                failures += 1
            }
        }
        XCTAssertGreaterThan(successes, 0)
        XCTAssertGreaterThan(failures, 0)
        // Pure random bytes too.
        for _ in 0 ..< 2000 {
            let b = (0 ..< Int.random(in: 0 ... 64, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            b.withUnsafeBytes { fuzzOne($0) }
        }
    }

    func testBulkArraysAreLittleEndianOnTheWire() throws {
        var w = FieldWriter()
        w.int32s(1, [1, -2])
        w.float32s(2, [1.0])
        XCTAssertEqual(w.bytes, [1, 0, 6, 8, 0, 0, 0, 1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF,
                                 2, 0, 6, 4, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F])
    }
}

/// Prints codec throughput for a ~1 MiB group (informational; asserts only correctness,
/// never time). Run with `swift test -c release --filter WireTests.ThroughputReport`.
final class ThroughputReport: XCTestCase {
    func testGroupCodecThroughput() throws {
        var rng = TestRNG(seed: 11)
        let samples = (0 ..< 16).map { _ in
            Sample(tokens: (0 ..< 8000).map { _ in Int32.random(in: 0 ..< 50_257, using: &rng) },
                   logProbs: (0 ..< 8000).map { _ in -Float.random(in: 0 ..< 20, using: &rng) },
                   reward: 1, correct: true, finishReason: .end)
        }
        let g = TrajectoryGroup(leaseId: 1, promptIndex: 2, promptTokens: [3], policyVersion: 4, workerId: 5, samples: samples)
        let reps = 50
        var bytes: [UInt8] = []
        let clock = ContinuousClock()
        let encodeTime = clock.measure { for _ in 0 ..< reps { bytes = g.encoded() } }
        var decoded: TrajectoryGroup?
        let decodeTime = try clock.measure { for _ in 0 ..< reps { decoded = try TrajectoryGroup.decode(bytes) } }
        XCTAssertEqual(decoded, g)
        func mbps(_ d: Duration) -> Double {
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            return Double(bytes.count * reps) / max(s, 1e-9) / 1e6
        }
        print("TrajectoryGroup \(bytes.count) bytes: encode \(Int(mbps(encodeTime))) MB/s, decode \(Int(mbps(decodeTime))) MB/s")
    }
}

/// The top-level field ids of an encoded message (after the 4-byte header), in order.
enum FieldScan {
    static func ids(_ b: [UInt8]) -> [UInt16] {
        var out: [UInt16] = [], off = 4
        while off + 7 <= b.count {
            out.append(UInt16(b[off]) | UInt16(b[off + 1]) << 8)
            let len = Int(b[off + 3]) | Int(b[off + 4]) << 8 | Int(b[off + 5]) << 16 | Int(b[off + 6]) << 24
            off += 7 + len
        }
        return out
    }
}
