// Deframer/Framer tests: every split point, byte-at-a-time feeding, oversize rejected
// from the 5-byte prefix alone, reserved and compressed flags, truncation, sticky errors.

import XCTest
@testable import Wire

final class FramingTests: XCTestCase {
    private let payloads: [[UInt8]] = [
        Array("hello".utf8),
        [],                                             // zero-length message
        (0 ..< 300).map { UInt8($0 & 0xFF) },
        Array("last".utf8),
    ]

    private func stream() throws -> [UInt8] {
        var out: [UInt8] = []
        for p in payloads { out += try Framer.frame(p, maxMessageBytes: 1024) }
        out += try Framer.frame(StatusEnvelope(.ok).encoded(), flags: .statusEnvelope, maxMessageBytes: 1024)
        return out
    }

    private func check(_ frames: [FramedMessage], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(frames.count, payloads.count + 1, file: file, line: line)
        XCTAssertEqual(frames.prefix(payloads.count).map(\.payload), payloads, file: file, line: line)
        XCTAssertTrue(frames.prefix(payloads.count).allSatisfy { $0.flags.isEmpty }, file: file, line: line)
        XCTAssertEqual(frames.last?.isStatusEnvelope, true, file: file, line: line)
        XCTAssertEqual(try frames.last.map { try StatusEnvelope.decode($0.payload) }, StatusEnvelope(.ok), file: file, line: line)
    }

    func testPrefixIsFlagsThenBigEndianLength() throws {
        XCTAssertEqual(Framer.prefix(length: 0x0102_0304, flags: .statusEnvelope), [0x02, 0x01, 0x02, 0x03, 0x04])
        XCTAssertEqual(try Framer.frame([0xAA, 0xBB], maxMessageBytes: 2), [0x00, 0, 0, 0, 2, 0xAA, 0xBB])
    }

    func testEverySplitPointInTwoPieces() throws {
        let bytes = try stream()
        for cut in 0 ... bytes.count {
            var d = Deframer(maxMessageBytes: 1024)
            var frames = try d.feed(Array(bytes[..<cut]))
            frames += try d.feed(Array(bytes[cut...]))
            try d.finish()
            check(frames)
        }
    }

    func testEveryPairOfSplitPointsInThreePieces() throws {
        let bytes = try stream()
        for a in stride(from: 0, through: bytes.count, by: 7) {
            for b in a ... bytes.count {
                var d = Deframer(maxMessageBytes: 1024)
                var frames = try d.feed(Array(bytes[..<a]))
                frames += try d.feed(Array(bytes[a ..< b]))
                frames += try d.feed(Array(bytes[b...]))
                try d.finish()
                check(frames)
            }
        }
    }

    func testByteAtATimeAndRandomChunks() throws {
        let bytes = try stream()
        var d = Deframer(maxMessageBytes: 1024)
        var frames: [FramedMessage] = []
        for b in bytes { frames += try d.feed([b]) }
        try d.finish()
        check(frames)

        var rng = TestRNG(seed: 1)
        for _ in 0 ..< 200 {
            var d = Deframer(maxMessageBytes: 1024)
            var frames: [FramedMessage] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 0 ... 40, using: &rng)
                frames += try d.feed(Array(bytes[i ..< min(i + n, bytes.count)]))
                i += n
            }
            try d.finish()
            check(frames)
        }
    }

    func testOversizeRejectedFromPrefixAlone() {
        // Only the 5-byte prefix claiming 4 GiB − 1: rejected before any payload arrives,
        // so nothing is reserved for it.
        var d = Deframer(maxMessageBytes: WireProtocol.maxBulkMessageBytes)
        XCTAssertThrowsError(try d.feed([0x00, 0xFF, 0xFF, 0xFF, 0xFF])) { error in
            XCTAssertEqual(error as? FramingError, .oversize(length: 4_294_967_295, limit: 1_048_576))
        }
        // Errors are sticky.
        XCTAssertThrowsError(try d.feed([0x00])) { XCTAssertEqual($0 as? FramingError, .oversize(length: 4_294_967_295, limit: 1_048_576)) }
        XCTAssertThrowsError(try d.finish())
    }

    func testLimitIsInclusive() throws {
        var d = Deframer(maxMessageBytes: 3)
        XCTAssertEqual(try d.feed(Framer.prefix(length: 3)), [])
        XCTAssertFalse(d.isIdle)
        XCTAssertEqual(try d.feed([1, 2, 3]), [FramedMessage(payload: [1, 2, 3])])
        XCTAssertTrue(d.isIdle)
        var e = Deframer(maxMessageBytes: 3)
        XCTAssertThrowsError(try e.feed(Framer.prefix(length: 4))) { XCTAssertEqual($0 as? FramingError, .oversize(length: 4, limit: 3)) }
        XCTAssertThrowsError(try Framer.frame([1, 2, 3, 4], maxMessageBytes: 3)) {
            XCTAssertEqual($0 as? FramingError, .oversize(length: 4, limit: 3))
        }
    }

    func testReservedAndCompressedFlags() {
        for bit in 2 ..< 8 {
            var d = Deframer(maxMessageBytes: 16)
            let flags = UInt8(1 << bit)
            XCTAssertThrowsError(try d.feed([flags, 0, 0, 0, 0])) { XCTAssertEqual($0 as? FramingError, .reservedFlagBits(flags: flags)) }
        }
        var d = Deframer(maxMessageBytes: 16)
        XCTAssertThrowsError(try d.feed([0x01, 0, 0, 0, 1, 9])) { XCTAssertEqual($0 as? FramingError, .compressedNotSupported) }
    }

    func testTruncationAtEndOfStream() throws {
        var d = Deframer(maxMessageBytes: 16)
        XCTAssertEqual(try d.feed([0, 0, 0]), [])
        XCTAssertThrowsError(try d.finish()) { XCTAssertEqual($0 as? FramingError, .truncated(have: 3, need: 5)) }
        var e = Deframer(maxMessageBytes: 16)
        XCTAssertEqual(try e.feed([0, 0, 0, 0, 4, 1, 2]), [])
        XCTAssertThrowsError(try e.finish()) { XCTAssertEqual($0 as? FramingError, .truncated(have: 7, need: 9)) }
        var idle = Deframer(maxMessageBytes: 16)
        XCTAssertEqual(try idle.feed([0, 0, 0, 0, 1, 7]), [FramedMessage(payload: [7])])
        XCTAssertNoThrow(try idle.finish())
    }

    func testNothingMayFollowTheStatusEnvelope() throws {
        var d = Deframer(maxMessageBytes: 64)
        var bytes = try Framer.frame(StatusEnvelope(.ok).encoded(), flags: .statusEnvelope, maxMessageBytes: 64)
        bytes += try Framer.frame([1], maxMessageBytes: 64)
        XCTAssertThrowsError(try d.feed(bytes)) { XCTAssertEqual($0 as? FramingError, .dataAfterStatusEnvelope) }
    }

    func testErrorsDescribeThemselves() {
        XCTAssertTrue(FramingError.oversize(length: 10, limit: 5).description.contains("limit is 5"))
        XCTAssertTrue(FramingError.reservedFlagBits(flags: 0x80).description.contains("0x80"))
    }

    /// Random byte streams (valid frames with random corruption): the outcome must not
    /// depend on how the stream is split, and must be frames or a typed error.
    func testRandomStreamsAreSplitInvariant() throws {
        var rng = TestRNG(seed: 77)
        func outcome(_ chunks: [[UInt8]], limit: Int) -> Result<[FramedMessage], FramingError> {
            var d = Deframer(maxMessageBytes: limit)
            var frames: [FramedMessage] = []
            do {
                for c in chunks { frames += try d.feed(c) }
                try d.finish()
                return .success(frames)
            } catch { return .failure(error) }
        }
        var errors = 0, successes = 0
        for _ in 0 ..< 1500 {
            var bytes: [UInt8] = []
            for _ in 0 ..< Int.random(in: 0 ... 4, using: &rng) {
                let payload = (0 ..< Int.random(in: 0 ... 40, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
                bytes += Framer.prefix(length: payload.count) + payload
            }
            if !bytes.isEmpty, Bool.random(using: &rng) {
                bytes[Int.random(in: 0 ..< bytes.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
            }
            if Bool.random(using: &rng) { bytes = Array(bytes.prefix(Int.random(in: 0 ... bytes.count, using: &rng))) }
            let limit = Int.random(in: 0 ... 48, using: &rng)
            let whole = outcome([bytes], limit: limit)
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1 ... 9, using: &rng)
                chunks.append(Array(bytes[i ..< min(i + n, bytes.count)]))
                i += n
            }
            let split = outcome(chunks, limit: limit)
            switch (whole, split) {
            case let (.success(a), .success(b)): XCTAssertEqual(a, b); successes += 1
            case let (.failure(a), .failure(b)): XCTAssertEqual(a, b); errors += 1
            default: XCTFail("split changed the outcome: \(whole) vs \(split)")
            }
        }
        XCTAssertGreaterThan(errors, 0)
        XCTAssertGreaterThan(successes, 0)
    }
}
