// ByteQueue (a stream's outbound bytes) against a plain byte array as the model: random
// appends and reads of random sizes, through the inline front chunk and the chunk array.

@testable import H2
import XCTest

final class ByteQueueTests: XCTestCase {
    func testBehavesAsAFIFOOfBytes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var queue = ByteQueue()
            var model: [UInt8] = []
            var next: UInt8 = 0
            for _ in 0..<400 {
                if Bool.random(using: &rng) {
                    let n = Int.random(in: 0...40, using: &rng)
                    let chunk = (0..<n).map { _ -> UInt8 in next &+= 1; return next }
                    queue.append(chunk)
                    model += chunk
                } else {
                    let max = Int.random(in: 1...60, using: &rng)
                    var out = [UInt8](repeating: 0, count: max)
                    let got = out.withUnsafeMutableBufferPointer { queue.read(into: $0.baseAddress!, max: max) }
                    XCTAssertEqual(got, min(max, model.count))
                    XCTAssertEqual(Array(out[0..<got]), Array(model[0..<got]))
                    model.removeFirst(got)
                }
                XCTAssertEqual(queue.count, model.count)
            }
            queue.removeAll()
            XCTAssertTrue(queue.isEmpty)
        }
    }
}
