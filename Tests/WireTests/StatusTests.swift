// Status codes, trailer encoding, percent-encoding, rejection reasons and the RPC table.

import XCTest
@testable import Wire

final class StatusTests: XCTestCase {
    func testCodesAreGRPCNumbers() {
        XCTAssertEqual(WireStatus.allCases.map(\.rawValue), Array(0 ... 16))
        XCTAssertEqual(WireStatus.unauthenticated.rawValue, 16)
        XCTAssertEqual(WireStatus(code: 99), .unknown)
        XCTAssertEqual(WireStatus.failedPrecondition.description, "FAILED_PRECONDITION")
    }

    func testPercentEncoding() {
        XCTAssertEqual(StatusTrailers.percentEncode("a b%c"), "a b%25c")
        XCTAssertEqual(StatusTrailers.percentEncode("é\n"), "%C3%A9%0A")
        let samples = ["", "plain ascii", "100% sure", "naïve — 日本語 🚀", "\u{0}\u{7F}\r\n\t", "%%%", "%zz"]
        for s in samples {
            let enc = StatusTrailers.percentEncode(s)
            XCTAssertTrue(enc.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, enc)
            XCTAssertEqual(StatusTrailers.percentDecode(enc), s)
        }
        var rng = TestRNG(seed: 9)
        for _ in 0 ..< 500 {
            let scalars = (0 ..< Int.random(in: 0 ... 20, using: &rng)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0 ... 0x1_0000, using: &rng))
            }
            let s = String(String.UnicodeScalarView(scalars))
            XCTAssertEqual(StatusTrailers.percentDecode(StatusTrailers.percentEncode(s)), s)
        }
    }

    func testPercentDecodeIsLenient() {
        XCTAssertEqual(StatusTrailers.percentDecode("50%"), "50%")
        XCTAssertEqual(StatusTrailers.percentDecode("%4"), "%4")
        XCTAssertEqual(StatusTrailers.percentDecode("%G1x"), "%G1x")
        XCTAssertEqual(StatusTrailers.percentDecode("%e2%82%ac"), "€")
        XCTAssertEqual(StatusTrailers.percentDecode("%FF"), "\u{FFFD}")
    }

    func testTrailerRoundTrip() throws {
        let status = RPCStatus(.resourceExhausted, "too big: 2 MiB > 1 MiB ✗")
        let fields = StatusTrailers.fields(for: status)
        XCTAssertEqual(fields.map(\.name), ["tributary-status", "tributary-message"])
        XCTAssertEqual(fields[0].value, "8")
        XCTAssertEqual(try StatusTrailers.status(from: fields), status)
        XCTAssertEqual(StatusTrailers.fields(for: .ok).map(\.name), ["tributary-status"])
        XCTAssertEqual(try StatusTrailers.status(from: [("Tributary-Status", "0")]), .ok)
        XCTAssertEqual(try StatusTrailers.status(from: [("tributary-status", "77")]).code, .unknown)
        XCTAssertThrowsError(try StatusTrailers.status(from: [("x", "1")])) { XCTAssertEqual($0 as? TrailerError, .missingStatus) }
        XCTAssertThrowsError(try StatusTrailers.status(from: [("tributary-status", "-1")])) {
            XCTAssertEqual($0 as? TrailerError, .malformedStatus("-1"))
        }
        XCTAssertThrowsError(try StatusTrailers.status(from: [("tributary-status", "99999999999")]))
    }

    func testRejectionReasons() {
        XCTAssertEqual(RejectionReason.known.map(\.rawValue), Array(1 ... 13))
        XCTAssertEqual(Set(RejectionReason.known.map(\.name)).count, RejectionReason.known.count)
        XCTAssertFalse(RejectionReason.known.contains { $0.name.hasPrefix("unrecognized") })
        XCTAssertEqual(RejectionReason(rawValue: 500).name, "unrecognized(500)")
        XCTAssertEqual(RejectionReason.leaseReissued.name, "lease_reissued")
        XCTAssertTrue(RejectionReason.bufferFull.isRetryable)
        XCTAssertFalse(RejectionReason.duplicateLease.isRetryable)
    }

    func testRPCTable() {
        XCTAssertEqual(RPCMethod.allCases.map(\.path), ["/tributary.v1/Register", "/tributary.v1/Watch", "/tributary.v1/FetchPolicy",
                                                        "/tributary.v1/Lease", "/tributary.v1/Submit", "/tributary.v1/Goodbye"])
        for m in RPCMethod.allCases {
            XCTAssertEqual(RPCMethod(path: m.path), m)
            XCTAssertTrue(m.maxRequestBytes == WireProtocol.maxControlMessageBytes || m.maxRequestBytes == WireProtocol.maxBulkMessageBytes)
        }
        XCTAssertNil(RPCMethod(path: "/tributary.v1/Nope"))
        XCTAssertNil(RPCMethod(path: "/other/Register"))
        XCTAssertEqual(RPCMethod.submit.shape, .bidirectional)
        XCTAssertEqual(RPCMethod.submit.maxRequestBytes, 1 << 20)
        XCTAssertEqual(RPCMethod.register.maxRequestBytes, 64 << 10)
        XCTAssertEqual(RPCMethod.fetchPolicy.responseKind, .policyChunk)
        XCTAssertEqual(RPCMethod.fetchPolicy.responseDeframer().maxMessageBytes, WireProtocol.maxBulkMessageBytes)
        XCTAssertEqual(RPCMethod.watch.requestDeframer().maxMessageBytes, WireProtocol.maxControlMessageBytes)
        XCTAssertEqual(WireProtocol.contentType, "application/x-tributary-v1")
    }
}
