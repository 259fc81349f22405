// safetensors: round trips and every class of malformed input producing a specific error.

import Foundation
import XCTest
@testable import Tensor

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensorsFile {
        SafeTensorsFile(tensors: [
            "a.weight": TensorData(floats: [1.5, -2, 3.25, .pi, -0.0, 1e-30], shape: [2, 3]),
            "ids": TensorData(int32s: [1, -7, Int32.max], shape: [3]),
            "versions": TensorData(int64s: [Int64.min, 42], shape: [2]),
            "scalar": TensorData(floats: [7], shape: []),
        ], metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n é"], label: "sample")
    }

    func testRoundTripInMemoryAndOnDisk() throws {
        let f = sample()
        let bytes = f.serialized()
        XCTAssertEqual((bytes.count - 8) % 8, 0, "header padded to 8 bytes")
        let g = try SafeTensorsFile.parse(bytes, label: "x")
        XCTAssertEqual(g.tensors, f.tensors)
        XCTAssertEqual(g.metadata, f.metadata)
        XCTAssertEqual(try g.floats("a.weight", shape: [2, 3]), [1.5, -2, 3.25, .pi, -0.0, 1e-30])
        XCTAssertEqual(try g.int32s("ids"), [1, -7, Int32.max])
        XCTAssertEqual(try g.int64s("versions"), [Int64.min, 42])
        XCTAssertEqual(try g.floats("scalar"), [7])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try f.write(to: url)
        let h = try SafeTensorsFile.read(from: url)
        XCTAssertEqual(h.tensors, f.tensors)
        XCTAssertEqual(h.label, url.path)
    }

    /// Builds a file from a raw header string and data section.
    func file(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = []
        for i in 0..<8 { out.append(UInt8((UInt64(h.count) >> (8 * UInt64(i))) & 0xFF)) }
        return out + h + data
    }

    func expectError(_ bytes: [UInt8], _ check: (SafeTensorsError.Kind) -> Bool,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile.parse(bytes, label: "bad.safetensors"), file: file, line: line) { e in
            guard let e = e as? SafeTensorsError else { return XCTFail("wrong error type \(e)", file: file, line: line) }
            XCTAssertEqual(e.file, "bad.safetensors", file: file, line: line)
            XCTAssertTrue(e.description.contains("bad.safetensors"), file: file, line: line)
            XCTAssertTrue(check(e.kind), "unexpected kind \(e.kind)", file: file, line: line)
        }
    }

    func testMalformedFilesGiveSpecificErrors() {
        let good = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        // fewer than 8 bytes
        expectError([1, 2, 3]) { if case .truncated = $0 { return true }; return false }
        // header length beyond the file
        var bytes = file(header: good, data: [UInt8](repeating: 0, count: 8))
        expectError(Array(bytes.prefix(20))) { if case .truncated = $0 { return true }; return false }
        // data section shorter than the offsets
        bytes = file(header: good, data: [0, 0, 0, 0])
        expectError(bytes) { if case .offsetsOutOfRange(tensor: "t", _) = $0 { return true }; return false }
        // absurd header length
        var huge = [UInt8](repeating: 0xFF, count: 8); huge += [0]
        expectError(huge) { if case .badHeader = $0 { return true }; return false }
        // not JSON / not an object
        expectError(file(header: "{not json", data: [])) { if case .badHeader = $0 { return true }; return false }
        expectError(file(header: "[1,2]", data: [])) { if case .badHeader = $0 { return true }; return false }
        // unsupported dtype
        expectError(file(header: #"{"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])) {
            $0 == .unsupportedDType(tensor: "t", dtype: "Q7")
        }
        // shape and byte count disagree
        expectError(file(header: #"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))) {
            if case .offsetsOutOfRange(tensor: "t", _) = $0 { return true }; return false
        }
        // reversed offsets, negative shape, missing offsets, non-string metadata
        expectError(file(header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: [UInt8](repeating: 0, count: 8))) {
            if case .offsetsOutOfRange = $0 { return true }; return false
        }
        expectError(file(header: #"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])) {
            if case .badHeader = $0 { return true }; return false
        }
        expectError(file(header: #"{"t":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0])) {
            if case .badHeader = $0 { return true }; return false
        }
        expectError(file(header: #"{"__metadata__":{"a":1}}"#, data: [])) {
            if case .badHeader = $0 { return true }; return false
        }
    }

    func testAccessorsCheckNameDTypeAndShape() throws {
        let f = sample()
        XCTAssertThrowsError(try f.floats("nope")) { XCTAssertEqual(($0 as? SafeTensorsError)?.kind, .missingTensor("nope")) }
        XCTAssertThrowsError(try f.floats("ids")) {
            XCTAssertEqual(($0 as? SafeTensorsError)?.kind, .wrongDType(tensor: "ids", expected: "F32", found: "I32"))
        }
        XCTAssertThrowsError(try f.floats("a.weight", shape: [3, 2])) {
            XCTAssertEqual(($0 as? SafeTensorsError)?.kind, .wrongShape(tensor: "a.weight", expected: [3, 2], found: [2, 3]))
            XCTAssertTrue("\($0)".contains("sample"))
        }
        XCTAssertThrowsError(try f.int64s("ids"))
    }

    func testReadMissingFileIsUnreadable() {
        XCTAssertThrowsError(try SafeTensorsFile.read(from: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) {
            guard case .unreadable = ($0 as? SafeTensorsError)?.kind else { return XCTFail("\($0)") }
            XCTAssertTrue("\($0)".contains("/nonexistent/x.safetensors"))
        }
    }
}
