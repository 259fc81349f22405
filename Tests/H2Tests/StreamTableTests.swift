// StreamTable against Swift's Dictionary as the model: random inserts, updates, in-place
// mutations and removals (which exercise growth and backward-shift deletion) must leave both
// with the same contents.

import H2
import XCTest

final class StreamTableTests: XCTestCase {
    func testMatchesDictionaryUnderRandomOperations() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<20 {
            var table = StreamTable<[Int]>()
            var model: [Int32: [Int]] = [:]
            // Odd ids as clients use them, from a window that makes collisions and reuse likely.
            let span = Int32(8 + round * 10)
            for step in 0..<5_000 {
                let id = Int32.random(in: 0..<span, using: &rng) * 2 + 1
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: table[id] = [step]; model[id] = [step]
                case 1: table[id]?.append(step); model[id]?.append(step)
                case 2: XCTAssertEqual(table.removeValue(forKey: id), model.removeValue(forKey: id))
                default: XCTAssertEqual(table[id], model[id], "id \(id) at step \(step)")
                }
                XCTAssertEqual(table.count, model.count)
            }
            let entries = Dictionary(uniqueKeysWithValues: table.entries.map { ($0.key, $0.value) })
            XCTAssertEqual(entries, model)
        }
    }

    func testInPlaceMutationAndRemoveAll() {
        var table = StreamTable<[UInt8]>()
        table[7] = []
        for b in 0..<100 { table[7]?.append(UInt8(b)) }
        XCTAssertEqual(table.withValue(7) { v -> Int in v.append(1); return v.count }, 101)
        XCTAssertNil(table.withValue(9) { _ in 0 })
        XCTAssertEqual(table[7]?.count, 101)
        table[7] = nil
        XCTAssertTrue(table.isEmpty)
        for id in stride(from: Int32(1), to: 2_001, by: 2) { table[id] = [1] }
        XCTAssertEqual(table.count, 1_000)
        table.removeAll()
        XCTAssertTrue(table.isEmpty)
        XCTAssertNil(table[1])
    }
}
