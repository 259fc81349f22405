// ggml tensor types as GGUF stores them: the type id, its name, and its block layout (elements
// per block, bytes per block), for every type ggml defines, so that files holding types this
// module cannot dequantise still parse and fail only when such a tensor is asked for.

/// A ggml tensor type (the `type` field of a GGUF tensor info).
package struct GGMLType: Hashable, Sendable, CustomStringConvertible {
    /// The id stored in the file.
    package let rawValue: UInt32
    /// ggml's name for it ("F32", "Q4_1", "Q6_K", …).
    package let name: String
    /// Elements per block (1 for plain float and integer types).
    package let blockSize: Int
    /// Bytes per block.
    package let typeSize: Int

    /// The type with id `rawValue`, or nil when ggml defines none (or has removed it).
    package init?(rawValue: UInt32) {
        guard let entry = Self.table[rawValue] else { return nil }
        self = entry
    }

    private init(_ id: UInt32, _ name: String, _ blockSize: Int, _ typeSize: Int) {
        rawValue = id; self.name = name; self.blockSize = blockSize; self.typeSize = typeSize
    }

    package var description: String { name }

    /// True for the types `GGUFFile.floats` converts: F32, F16, BF16, Q8_0, Q4_0, Q4_1.
    package var isDequantisable: Bool {
        [Self.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1].contains(self)
    }

    package static let f32 = GGMLType(0, "F32", 1, 4)
    package static let f16 = GGMLType(1, "F16", 1, 2)
    package static let q4_0 = GGMLType(2, "Q4_0", 32, 18)
    package static let q4_1 = GGMLType(3, "Q4_1", 32, 20)
    package static let q8_0 = GGMLType(8, "Q8_0", 32, 34)
    package static let q4_K = GGMLType(12, "Q4_K", 256, 144)
    package static let q6_K = GGMLType(14, "Q6_K", 256, 210)
    package static let bf16 = GGMLType(30, "BF16", 1, 2)

    /// Every type ggml defines today (ids 4, 5, 31–33 and 36–38 were removed from ggml). Sizes are
    /// ggml's block structs (Q8_1 is 36 bytes there: two f16 and 32 int8).
    private static let table: [UInt32: GGMLType] = {
        let all: [GGMLType] = [
            f32, f16, q4_0, q4_1,
            GGMLType(6, "Q5_0", 32, 22), GGMLType(7, "Q5_1", 32, 24), q8_0, GGMLType(9, "Q8_1", 32, 36),
            GGMLType(10, "Q2_K", 256, 84), GGMLType(11, "Q3_K", 256, 110), q4_K,
            GGMLType(13, "Q5_K", 256, 176), q6_K, GGMLType(15, "Q8_K", 256, 292),
            GGMLType(16, "IQ2_XXS", 256, 66), GGMLType(17, "IQ2_XS", 256, 74), GGMLType(18, "IQ3_XXS", 256, 98),
            GGMLType(19, "IQ1_S", 256, 50), GGMLType(20, "IQ4_NL", 32, 18), GGMLType(21, "IQ3_S", 256, 110),
            GGMLType(22, "IQ2_S", 256, 82), GGMLType(23, "IQ4_XS", 256, 136),
            GGMLType(24, "I8", 1, 1), GGMLType(25, "I16", 1, 2), GGMLType(26, "I32", 1, 4),
            GGMLType(27, "I64", 1, 8), GGMLType(28, "F64", 1, 8), GGMLType(29, "IQ1_M", 256, 56), bf16,
            GGMLType(34, "TQ1_0", 256, 54), GGMLType(35, "TQ2_0", 256, 66), GGMLType(39, "MXFP4", 32, 17),
            GGMLType(40, "NVFP4", 64, 36), GGMLType(41, "Q1_0", 128, 18),
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.rawValue, $0) })
    }()
}
