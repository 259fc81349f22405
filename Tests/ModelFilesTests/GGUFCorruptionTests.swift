// Corrupt and hostile GGUF files give typed errors, never crashes: every truncation point,
// flipped magic, versions 1 and 4, counts that would overflow or exceed the file, unknown value
// and tensor types, out-of-bounds and misaligned tensor data, deep nesting, bad strings.

import Foundation
import XCTest
@testable import ModelFiles

/// Builds GGUF bytes by hand for cases GGUFWriter refuses to write.
struct GGUFBytes {
    var bytes: [UInt8] = Array("GGUF".utf8)
    init(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) { u32(version); u64(tensors); u64(kvs) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func rawString(_ b: [UInt8]) { u64(UInt64(b.count)); bytes += b }
}

final class GGUFCorruptionTests: XCTestCase {
    func fixture() throws -> [UInt8] { try Fixtures.bytes("tensors.gguf") }

    /// Offset of GGUF string `needle`'s bytes (found with its u64 length prefix).
    func index(of needle: String, in hay: [UInt8]) -> Int {
        var g = GGUFBytes(tensors: 0, kvs: 0)
        g.bytes = []
        g.string(needle)
        let n = g.bytes
        for i in 0...(hay.count - n.count) where Array(hay[i..<(i + n.count)]) == n { return i + 8 }
        XCTFail("\(needle) not found")
        return 0
    }

    func put64(_ v: UInt64, at o: Int, in b: inout [UInt8]) { for i in 0..<8 { b[o + i] = UInt8((v >> (8 * UInt64(i))) & 0xFF) } }
    func put32(_ v: UInt32, at o: Int, in b: inout [UInt8]) { for i in 0..<4 { b[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) } }

    func testEveryTruncationIsATypedError() throws {
        let full = try fixture()
        let file = try GGUFFile(bytes: full)
        let needed = file.tensors.map { file.dataOffset + $0.offset + $0.byteCount }.max()!
        var truncated = 0, outOfBounds = 0
        for n in 0..<full.count {
            let prefix = Array(full[0..<n])
            if n >= needed { XCTAssertNoThrow(try GGUFFile(bytes: prefix), "prefix \(n)"); continue }
            assertGGUFError(try GGUFFile(bytes: prefix, label: "cut")) {
                switch $0 {
                case .truncated(let offset, _, let available):
                    truncated += 1
                    return offset + available == n
                case .tensorOutOfBounds(_, _, _, let size):
                    outOfBounds += 1
                    return size == n
                case .countTooLarge: return true  // a count that the cut file cannot hold
                default: return false
                }
            }
        }
        XCTAssertGreaterThan(truncated, 100)
        XCTAssertGreaterThan(outOfBounds, 100)
        let e = assertGGUFError(try GGUFFile(bytes: Array(full[0..<20]), label: "cut.gguf")) { _ in true }
        XCTAssertEqual(e?.description, "GGUF file cut.gguf is truncated: at offset 16 expected the metadata key/value count (8 bytes), but only 4 bytes remain")
    }

    func testMagicAndVersion() throws {
        var b = try fixture()
        b[0] = 0x00
        assertGGUFError(try GGUFFile(bytes: b)) { $0 == .badMagic(found: [0x00, 0x47, 0x55, 0x46]) }
        b = try fixture()
        for (version, ok) in [(UInt32(1), false), (2, true), (3, true), (4, false), (0x0300_0000, false)] {
            put32(version, at: 4, in: &b)
            if ok {
                XCTAssertEqual(try GGUFFile(bytes: b).version, version)
            } else {
                assertGGUFError(try GGUFFile(bytes: b)) { $0 == .unsupportedVersion(version) }
            }
        }
    }

    func testHugeCounts() throws {
        var b = try fixture()
        put64(.max, at: 8, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .countTooLarge(8, "tensors", .max) = $0 { true } else { false } }
        b = try fixture()
        put64(1 << 62, at: 16, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .countTooLarge(16, _, _) = $0 { true } else { false } }
        // The first key's string length.
        b = try fixture()
        put64(.max, at: 24, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .truncated(32, _, _) = $0 { true } else { false } }
        // An array count: key, u32 type 9, u32 element type, u64 count.
        b = try fixture()
        let arrayCount = index(of: "test.array.i32", in: b) + 14 + 8
        put64(1 << 61, at: arrayCount, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { $0 == .countTooLarge(offset: arrayCount, what: "elements in array 'test.array.i32'", count: 1 << 61) }
    }

    func testUnknownValueType() throws {
        var b = try fixture()
        let typeOffset = index(of: "test.u8", in: b) + 7
        put32(99, at: typeOffset, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { $0 == .unknownValueType(key: "test.u8", type: 99, offset: typeOffset) }
        b = try fixture()
        let elementType = index(of: "test.array.f32", in: b) + 14 + 4
        put32(13, at: elementType, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { $0 == .unknownValueType(key: "test.array.f32", type: 13, offset: elementType) }
    }

    /// Offset of tensor `name`'s info fields after its name: n_dims, dims, type, offset.
    func tensorInfoFields(_ name: String, _ b: [UInt8]) -> (nDims: Int, dims: Int, type: Int, offset: Int) {
        let n = index(of: name, in: b) + name.utf8.count
        let dims = Int(b[n])
        return (n, n + 4, n + 4 + 8 * dims, n + 8 + 8 * dims)
    }

    func testBadTensorInfos() throws {
        let good = try fixture()
        let f = tensorInfoFields("t.f32", good)
        var b = good
        put64(64 * 1000, at: f.offset, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .tensorOutOfBounds("t.f32", _, 768, 4224) = $0 { true } else { false } }
        b = good
        put64(.max - 63, at: f.offset, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .tensorOutOfBounds("t.f32", _, _, _) = $0 { true } else { false } }
        b = good
        put64(1, at: f.offset, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .badTensorInfo("t.f32", _) = $0 { true } else { false } }
        b = good
        put32(4, at: f.type, in: &b)  // Q4_2: removed from ggml
        assertGGUFError(try GGUFFile(bytes: b)) { $0 == .unknownTensorType(tensor: "t.f32", type: 4) }
        b = good
        put32(5, at: f.nDims, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .badTensorInfo("t.f32", _) = $0 { true } else { false } }
        b = good
        put64(1 << 40, at: f.dims, in: &b)
        put64(1 << 40, at: f.dims + 8, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .badTensorInfo("t.f32", _) = $0 { true } else { false } }
        b = good  // a Q8_0 row length that is not a multiple of its 32-element block
        let q = tensorInfoFields("t.q8_0", good)
        put64(48, at: q.dims, in: &b)
        assertGGUFError(try GGUFFile(bytes: b)) { if case .badTensorInfo("t.q8_0", _) = $0 { true } else { false } }
        b = good  // a name that repeats another tensor's
        let f16 = index(of: "t.f16", in: b)
        b[f16 + 3] = UInt8(ascii: "3")
        b[f16 + 4] = UInt8(ascii: "2")
        assertGGUFError(try GGUFFile(bytes: b)) { if case .badTensorInfo("t.f32", "name appears twice") = $0 { true } else { false } }
    }

    func testHandBuiltMalformedMetadata() {
        var g = GGUFBytes(tensors: 0, kvs: 1)
        g.string("deep")
        g.u32(9)
        for _ in 0..<40 { g.u32(9); g.u64(1) }  // arrays of arrays, 40 deep
        g.bytes += [UInt8](repeating: 0, count: 16)
        assertGGUFError(try GGUFFile(bytes: g.bytes)) { if case .nestingTooDeep("deep", _) = $0 { true } else { false } }

        g = GGUFBytes(tensors: 0, kvs: 1)
        g.rawString([0x66, 0xFF, 0xFE])
        g.u32(0); g.bytes.append(1)
        assertGGUFError(try GGUFFile(bytes: g.bytes)) { $0 == .invalidString(offset: 24, what: "metadata key #0") }

        g = GGUFBytes(tensors: 0, kvs: 2)
        g.string("k"); g.u32(0); g.bytes.append(1)
        g.string("k"); g.u32(0); g.bytes.append(2)
        assertGGUFError(try GGUFFile(bytes: g.bytes)) { $0 == .duplicateKey("k") }

        g = GGUFBytes(tensors: 0, kvs: 1)
        g.string("flag"); g.u32(7); g.bytes.append(2)
        assertGGUFError(try GGUFFile(bytes: g.bytes)) { if case .badValue("flag", _) = $0 { true } else { false } }

        g = GGUFBytes(tensors: 0, kvs: 1)
        g.string("general.alignment"); g.u32(4); g.u32(48)
        assertGGUFError(try GGUFFile(bytes: g.bytes)) { if case .badValue("general.alignment", _) = $0 { true } else { false } }

        // A minimal valid file: no tensors, one key; version 2 reads the same.
        g = GGUFBytes(version: 2, tensors: 0, kvs: 1)
        g.string("general.architecture"); g.u32(8); g.string("llama")
        XCTAssertEqual(try GGUFFile(bytes: g.bytes).metadata["general.architecture"], .string("llama"))
    }

    func testUnreadableFiles() throws {
        assertGGUFError(try GGUFFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.gguf"))) {
            if case .unreadable = $0 { true } else { false }
        }
        let dir = try Fixtures.temporaryDirectory(self)
        assertGGUFError(try GGUFFile(contentsOf: dir)) { if case .unreadable = $0 { true } else { false } }
        let empty = dir.appendingPathComponent("empty.gguf")
        try Data().write(to: empty)
        assertGGUFError(try GGUFFile(contentsOf: empty)) { if case .truncated(0, _, 0) = $0 { true } else { false } }
    }
}
