// Write-ahead log: durability format, torn tails, rotation and discard.
import XCTest
import Foundation
@testable import Learner

final class WriteAheadLogTests: XCTestCase {
    private func tempDir() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }

    func testAppendAndReplayRoundTrip() throws {
        let dir = tempDir()
        let wal = try WriteAheadLog(directory: dir)
        XCTAssertEqual(try wal.replay(), [])
        let seqs = try wal.append([[1, 2, 3], [], Array(repeating: 7, count: 100_000)])
        XCTAssertEqual(seqs, [0, 1, 2])
        let again = try WriteAheadLog(directory: dir)
        let recs = try again.replay()
        XCTAssertEqual(recs.map(\.sequence), [0, 1, 2])
        XCTAssertEqual(recs[0].payload, [1, 2, 3])
        XCTAssertEqual(recs[2].payload.count, 100_000)
        XCTAssertEqual(again.nextSequence, 3)
        XCTAssertEqual(try again.append([[9]]), [3])
    }

    func testTornTailIsTruncatedAndEarlierRecordsSurvive() throws {
        let dir = tempDir()
        let wal = try WriteAheadLog(directory: dir)
        _ = try wal.replay()
        try wal.append([[1], [2]])
        let seg = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".log") }!
        let path = dir.appendingPathComponent(seg).path
        // Simulate a crash in the middle of the third append: header plus half a payload.
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data([10, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2]))
        h.closeFile()
        let re = try WriteAheadLog(directory: dir)
        XCTAssertEqual(try re.replay().map(\.payload), [[1], [2]])
        XCTAssertEqual(re.nextSequence, 2)
        try re.append([[3]])
        XCTAssertEqual(try WriteAheadLog(directory: dir).replay().map(\.payload), [[1], [2], [3]])
    }

    func testCorruptPayloadDetectedByChecksum() throws {
        let dir = tempDir()
        let wal = try WriteAheadLog(directory: dir)
        _ = try wal.replay()
        try wal.append([[1, 1, 1], [2, 2, 2]])
        let seg = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".log") }!
        let url = dir.appendingPathComponent(seg)
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 1] ^= 0xFF          // flip a bit in the last record's payload
        try Data(bytes).write(to: url)
        XCTAssertEqual(try WriteAheadLog(directory: dir).replay().map(\.payload), [[1, 1, 1]])
    }

    func testRotateAndDiscardKeepUncoveredRecords() throws {
        let dir = tempDir()
        let wal = try WriteAheadLog(directory: dir)
        _ = try wal.replay()
        try wal.append([[1], [2]])       // seq 0, 1
        try wal.rotate()
        try wal.append([[3]])            // seq 2
        try wal.rotate()
        try wal.append([[4]])            // seq 3
        try wal.discard(before: 2)       // a checkpoint covers seq 0 and 1
        let segs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") }
        XCTAssertEqual(segs.count, 2)
        XCTAssertEqual(try WriteAheadLog(directory: dir).replay(from: 2).map(\.payload), [[3], [4]])
    }

    func testCorruptionInOlderSegmentIsAnError() throws {
        let dir = tempDir()
        let wal = try WriteAheadLog(directory: dir)
        _ = try wal.replay()
        try wal.append([[1, 2, 3]])
        try wal.rotate()
        try wal.append([[4]])
        let first = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") }.sorted()[0]
        let url = dir.appendingPathComponent(first)
        var bytes = [UInt8](try Data(contentsOf: url)); bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try WriteAheadLog(directory: dir).replay()) { e in
            XCTAssertTrue("\(e)".contains("corrupt"), "\(e)")
        }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }
}
