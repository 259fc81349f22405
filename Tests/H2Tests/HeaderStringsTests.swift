// HeaderStrings (reused Strings for repeated header bytes) must always return exactly the
// String that decoding the bytes would give, whatever it has cached.

@testable import H2
import XCTest

final class HeaderStringsTests: XCTestCase {
    private func decode(_ cache: inout HeaderStrings, _ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { cache.string($0) }
    }

    func testReturnsTheDecodedStringForEveryInput() {
        var cache = HeaderStrings()
        var rng = SystemRandomNumberGenerator()
        // Long values that share lengths and end bytes (colliding slots), repeated and mixed,
        // short values, and invalid UTF-8 (repaired by decoding, so never equal to its bytes).
        var inputs: [[UInt8]] = (0..<40).map { i in Array("/bench.v1/Method\(i % 7)x".utf8) }
        inputs += (0..<10).map { _ in (0..<20).map { _ in UInt8.random(in: 0x61...0x7a, using: &rng) } }
        inputs += [Array("short".utf8), [0xff, 0xfe] + Array(repeating: 0x41, count: 20), Array("application/x-tributary-v1".utf8)]
        for _ in 0..<2_000 {
            let b = inputs.randomElement(using: &rng)!
            XCTAssertEqual(decode(&cache, b), String(decoding: b, as: UTF8.self))
        }
    }
}
