// SplitMix64.mix against the test vectors of proto/PROTOCOL.md §6.2.1 (a worker in another
// language derives prompt streams from it; proto/vectors/check_vectors.py checks the same
// values with an independent Python implementation written from the document).

import XCTest
import Tensor

final class SplitMixVectorTests: XCTestCase {
    func testMixMatchesTheProtocolVectors() {
        XCTAssertEqual(SplitMix64.mix(0), 0x0C47_04A6_BEAC_0FE2)
        XCTAssertEqual(SplitMix64.mix(1), 0x6865_AF73_B309_88D0)
        XCTAssertEqual(SplitMix64.mix(0, 0, 0), 0x99A9_0443_0642_8617)
        XCTAssertEqual(SplitMix64.mix(42, 1, 1000), 0xDE99_41DA_BC80_63DA)
    }
}
