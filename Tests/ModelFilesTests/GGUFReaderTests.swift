// GGUF reading against Fixtures/tensors.gguf (written by gguf-py's GGUFWriter): metadata of
// every value type, tensor infos, alignment and data offset as gguf-py's reader reports them,
// and dequantised values equal to gguf.quants.dequantize's, bit for bit.

import XCTest
@testable import ModelFiles

final class GGUFReaderTests: XCTestCase {
    struct Expected: Decodable {
        struct Tensor: Decodable { let type: String; let shape: [Int]; let bits: [UInt32] }
        struct Unsupported: Decodable { let name: String; let type: String; let shape: [Int] }
        let alignment: Int
        let tensors: [String: Tensor]
        let unsupported: Unsupported
        let data_offset: Int
        let tensor_offsets: [String: Int]
    }

    func testHeaderLayoutAndAlignment() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tensors.gguf"))
        let expected = try Fixtures.json("tensors_expected.json", as: Expected.self)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, expected.alignment)
        XCTAssertEqual(file.dataOffset, expected.data_offset)
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(file.tensors.count, expected.tensor_offsets.count)
        for t in file.tensors {
            XCTAssertEqual(file.dataOffset + t.offset, expected.tensor_offsets[t.name], t.name)
        }
        XCTAssertEqual(try file.architecture(), "test")
    }

    func testMetadataOfEveryValueType() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tensors.gguf"))
        let m = file.metadata
        XCTAssertEqual(m["test.u8"], .uint8(200))
        XCTAssertEqual(m["test.i8"], .int8(-100))
        XCTAssertEqual(m["test.u16"], .uint16(60000))
        XCTAssertEqual(m["test.i16"], .int16(-30000))
        XCTAssertEqual(m["test.u32"], .uint32(4_000_000_000))
        XCTAssertEqual(m["test.i32"], .int32(-2_000_000_000))
        XCTAssertEqual(m["test.f32"], .float32(0.1))
        XCTAssertEqual(m["test.bool"], .bool(true))
        XCTAssertEqual(m["test.string"], .string("héllo ✓"))
        XCTAssertEqual(m["test.u64"], .uint64(1 << 63 + 5))
        XCTAssertEqual(m["test.i64"], .int64(-(1 << 62)))
        XCTAssertEqual(m["test.f64"], .float64(1e-300))
        XCTAssertEqual(m["test.array.i32"], .array(.int32([1, -2, 3])))
        XCTAssertEqual(m["test.array.f32"], .array(.float32([0.5, -1.25])))
        XCTAssertEqual(m["test.array.strings"], .array(.string(["a", "", "Ġthe"])))
        XCTAssertEqual(m["test.array.bool"], .array(.bool([true, false])))
        XCTAssertEqual(m["test.array.nested"], .array(.array([.int32([1, 2]), .int32([3])])))
        XCTAssertEqual(m["general.alignment"], .uint32(64))
        XCTAssertEqual(file.metadataKeys.count, m.count)
        XCTAssertEqual(file.metadataKeys.filter { $0.hasPrefix("test.") }.count, 17)
        // Typed access: a uint64 above Int.max is not an Int; wrong types are typed errors.
        XCTAssertEqual(try file.int("test.u32"), 4_000_000_000)
        XCTAssertNil(m["test.u64"]?.int)
        XCTAssertEqual(try file.double("test.f32"), Double(Float(0.1)))
        XCTAssertNil(try file.int("no.such.key"))
        assertGGUFError(try file.requiredInt("no.such.key")) { $0 == .missingKey("no.such.key") }
        assertGGUFError(try file.int("test.string")) {
            if case .badValue(let k, _) = $0 { return k == "test.string" } else { return false }
        }
        XCTAssertEqual(try file.strings("test.array.strings"), ["a", "", "Ġthe"])
        XCTAssertEqual(m["test.array.i32"]?.array?.ints, [1, -2, 3])
    }

    func testDequantisedValuesEqualGGUFPy() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tensors.gguf"))
        let expected = try Fixtures.json("tensors_expected.json", as: Expected.self)
        XCTAssertEqual(expected.tensors.count, 7)
        for (name, e) in expected.tensors {
            let info = try file.tensorInfo(name)
            XCTAssertEqual(info.type.name, e.type, name)
            XCTAssertEqual(info.shape, e.shape, name)
            XCTAssertEqual(info.dimensions, e.shape.reversed(), name)
            let t = try file.tensor(name)
            XCTAssertEqual(t.shape, e.shape)
            XCTAssertEqual(bitPatterns(t.values), e.bits, "\(name) (\(e.type))")
        }
        // The F16 tensor starts with inf, -inf, nan, a subnormal, -0, 65504.
        let f16 = try file.floats("t.f16")
        XCTAssertEqual(f16[0], .infinity)
        XCTAssertEqual(f16[1], -.infinity)
        XCTAssertTrue(f16[2].isNaN)
        XCTAssertTrue(f16[3] > 2.9e-6 && f16[3] < 3.1e-6)  // a half subnormal
        XCTAssertEqual(f16[4].bitPattern, (-Float(0)).bitPattern)
        XCTAssertEqual(f16[5], 65504)
    }

    func testUnsupportedTypeIsATypedErrorNamingTypeAndTensor() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tensors.gguf"))
        let info = try file.tensorInfo("t.q4_k")
        XCTAssertEqual(info.type, .q4_K)
        XCTAssertEqual(info.shape, [2, 256])
        XCTAssertEqual(info.byteCount, 2 * 144)
        let e = assertGGUFError(try file.floats("t.q4_k")) { $0 == .unsupportedTensorType(tensor: "t.q4_k", type: "Q4_K") }
        XCTAssertTrue(e?.description.contains("Q4_K") == true && e?.description.contains("t.q4_k") == true)
        assertGGUFError(try file.floats("nope")) { $0 == .missingTensor("nope") }
    }

    func testInMemoryParseEqualsMappedParse() throws {
        let bytes = try Fixtures.bytes("tensors.gguf")
        let a = try GGUFFile(bytes: bytes, label: "mem")
        let b = try GGUFFile(contentsOf: Fixtures.url("tensors.gguf"))
        XCTAssertEqual(a.tensors, b.tensors)
        XCTAssertEqual(a.metadata, b.metadata)
        XCTAssertEqual(try a.floats("t.q4_1"), try b.floats("t.q4_1"))
        XCTAssertEqual(a.fileSize, bytes.count)
    }

    func testHalfConversionCoversEveryBitPattern() {
        // Every finite half converts to the Float with the same value (checked via Double
        // arithmetic independent of the bit-shifting path).
        for h in 0...UInt16.max {
            let e = Int((h >> 10) & 0x1F), m = Double(h & 0x3FF), s: Double = h & 0x8000 == 0 ? 1 : -1
            let f = HalfFloatReference.value(e: e, m: m, s: s)
            let got = [h.littleEndian].withUnsafeBytes { Dequantize.half($0.baseAddress!, 0) }
            if f.isNaN { XCTAssertTrue(got.isNaN); continue }
            XCTAssertEqual(Double(got), f, "half 0x\(String(h, radix: 16))")
            XCTAssertEqual(got.sign == .minus, s < 0)
        }
    }
}

enum HalfFloatReference {
    static func value(e: Int, m: Double, s: Double) -> Double {
        if e == 31 { return m == 0 ? s * .infinity : .nan }
        if e == 0 { return s * m * 0x1p-24 }
        return s * (1 + m / 1024) * Double(sign: .plus, exponent: e - 15, significand: 1)
    }
}
