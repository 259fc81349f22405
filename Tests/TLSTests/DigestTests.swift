// OpenSSL's SHA-256 (the digest of published policies) against FIPS 180-4 known answers and
// lengths around the 64-byte block and padding boundaries.

import TLS
import Wire
import XCTest

final class DigestTests: XCTestCase {
    private func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    func testKnownAnswers() {
        XCTAssertEqual(hex(OpenSSLSHA256().sha256([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(OpenSSLSHA256().sha256(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(OpenSSLSHA256().sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(OpenSSLSHA256().sha256([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testChangesWithEveryByte() {
        var data = [UInt8](repeating: 0, count: 4096)
        let base = OpenSSLSHA256().sha256(data)
        for i in [0, 63, 64, 4095] {
            data[i] ^= 1
            XCTAssertNotEqual(OpenSSLSHA256().sha256(data), base, "flipping byte \(i) must change the digest")
            data[i] ^= 1
        }
        XCTAssertEqual(OpenSSLSHA256().sha256(data), base)
    }

    /// The two implementations of `SHA256Digest` agree at every block-boundary length.
    func testOpenSSLAgreesWithThePortableImplementation() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_001] {
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(OpenSSLSHA256().sha256(data), PortableSHA256().sha256(data), "length \(n)")
        }
    }
}
