// SHA-256 against published test vectors and Python's hashlib, and the chunked policy
// transfer verification (contiguity, version, size, digest).

import XCTest
@testable import Wire

final class PolicyTransferTests: XCTestCase {
    func testSHA256KnownAnswers() {
        XCTAssertEqual(hex(SHA256.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256.hash(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a' (FIPS 180-2 appendix), fed in uneven pieces.
        var s = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 999)
        var fed = 0
        while fed < 1_000_000 { let n = min(999, 1_000_000 - fed); s.update(Array(piece[0 ..< n])); fed += n }
        XCTAssertEqual(hex(s.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256MatchesHashlibOnPaddingBoundaries() throws {
        // Lengths around the 55/56/64-byte padding edges; bytes i*31+7 mod 256.
        // Expected values from: python3 -c "import hashlib; print(hashlib.sha256(bytes((i*31+7)%256 for i in range(n))).hexdigest())"
        let expected: [Int: String] = [
            55: "8aa994584139d128848eeebc4e815639ba5ab6e6e39574195a63ac4f14f7c43b",
            56: "ad574708f75c044c9b85de64cb568ee7711ff4f36448c6242f053ba8f6cc2b63",
            63: "280ed3e8ff1df845b2e7dfe6ac6cee817bef20e783cc65abc41b818b4d2fe076",
            64: "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd",
            65: "788367c73c7ddf4c53f65e68cc0d943e6227ab55b0e78ba63ace822b1c6301c0",
            119: "3d610547d68216dedf7435a4fb6260353911f6b3fd3f18805ddb8be285d726fe",
        ]
        for (n, digest) in expected {
            let data = (0 ..< n).map { UInt8(($0 * 31 + 7) % 256) }
            XCTAssertEqual(hex(SHA256.hash(data)), digest, "length \(n)")
        }
    }

    func testChunkedTransferVerifies() throws {
        var rng = TestRNG(seed: 5)
        let blob = (0 ..< 10_000).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        let digest = SHA256.hash(blob)
        let ann = PolicyAnnouncement(version: 3, digest: digest, sizeBytes: UInt64(blob.count), step: 30)
        let chunks = PolicyAssembler.chunks(version: 3, blob: blob, digest: digest, chunkBytes: 4096)
        XCTAssertEqual(chunks.map(\.data.count), [4096, 4096, 1808])
        XCTAssertEqual(chunks.map { $0.digest != nil }, [false, false, true])
        var a = PolicyAssembler(announcement: ann)
        var result: [UInt8]?
        for c in chunks {
            XCTAssertNil(result)
            result = try a.add(try PolicyChunk.decode(c.encoded()))
        }
        XCTAssertEqual(result, blob)
        XCTAssertNoThrow(try a.finish())

        // Resume from the middle.
        var resumed = PolicyAssembler(announcement: ann, prefix: Array(blob[0 ..< 4096]))
        XCTAssertEqual(resumed.nextOffset, 4096)
        var last: [UInt8]?
        for c in PolicyAssembler.chunks(version: 3, blob: blob, digest: digest, from: 4096, chunkBytes: 5000) { last = try resumed.add(c) }
        XCTAssertEqual(last, blob)
    }

    func testChunkedTransferRejectsBadStreams() throws {
        let blob = [UInt8](repeating: 1, count: 100)
        let digest = SHA256.hash(blob)
        let ann = PolicyAnnouncement(version: 3, digest: digest, sizeBytes: 100, step: 1)
        let chunks = PolicyAssembler.chunks(version: 3, blob: blob, digest: digest, chunkBytes: 40)
        var skip = PolicyAssembler(announcement: ann)
        XCTAssertThrowsError(try skip.add(chunks[1])) { XCTAssertEqual($0 as? PolicyTransferError, .outOfOrder(expectedOffset: 0, got: 40)) }
        var wrongVersion = PolicyAssembler(announcement: PolicyAnnouncement(version: 4, digest: digest, sizeBytes: 100, step: 1))
        XCTAssertThrowsError(try wrongVersion.add(chunks[0])) { XCTAssertEqual($0 as? PolicyTransferError, .versionMismatch(expected: 4, got: 3)) }
        var corrupted = PolicyAssembler(announcement: ann)
        var bad = chunks
        bad[1].data[0] ^= 0xFF
        _ = try corrupted.add(bad[0])
        _ = try corrupted.add(bad[1])
        XCTAssertThrowsError(try corrupted.add(bad[2])) {
            guard case .digestMismatch? = $0 as? PolicyTransferError else { return XCTFail("\($0)") }
        }
        var short = PolicyAssembler(announcement: ann)
        _ = try short.add(chunks[0])
        XCTAssertThrowsError(try short.finish()) { XCTAssertEqual($0 as? PolicyTransferError, .incomplete(received: 40, total: 100)) }
        // Digest placement is enforced by the decoder.
        var early = chunks[0]
        early.digest = digest
        XCTAssertThrowsError(try PolicyChunk.decode(early.encoded()))
        let empty = PolicyChunk(version: 3, offset: 40, totalSize: 100, data: [])
        XCTAssertThrowsError(try PolicyChunk.decode(empty.encoded())) {
            guard case .invalidValue(_, "data", _)? = $0 as? WireError else { return XCTFail("\($0)") }
        }
        var missing = chunks[2]
        missing.digest = nil
        XCTAssertThrowsError(try PolicyChunk.decode(missing.encoded()))
    }
}
