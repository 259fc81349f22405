// 16-bit floats in safetensors (and GGUF): IEEE 754 half (F16) and bfloat16 (BF16), converted
// exactly to Float by bit manipulation (no Float16 type needed, so it works on every host).

extension TensorData {
    /// Values of an F32, F16 or BF16 tensor as Float (F16 and BF16 are converted exactly; any other
    /// dtype throws `wrongDType`). `name`/`file` label the error.
    public func convertedFloats(name: String = "?", file: String = "?") throws -> [Float] {
        switch dtype {
        case .F32: return try floats(name: name, file: file)
        case .F16, .BF16:
            let n = bytes.count / 2
            let bf16 = dtype == .BF16
            return [Float](unsafeUninitializedCapacity: n) { out, count in
                bytes.withUnsafeBytes { raw in
                    for i in 0..<n {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        out[i] = bf16 ? HalfFloat.bfloat16ToFloat(bits) : HalfFloat.halfToFloat(bits)
                    }
                }
                count = n
            }
        default:
            throw SafeTensorsError(file: file, .wrongDType(tensor: name, expected: "F32, F16 or BF16",
                                                           found: dtype.rawValue))
        }
    }
}

/// Exact conversions from 16-bit float bit patterns to Float.
public enum HalfFloat {
    /// The Float equal to the IEEE 754 binary16 value with bit pattern `h` (subnormals, infinities
    /// and NaN payloads included).
    @inlinable
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {  // infinity or NaN: keep the payload
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // zero or subnormal: mantissa × 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The Float whose upper 16 bits are `b` (bfloat16 is a truncated Float).
    @inlinable
    public static func bfloat16ToFloat(_ b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }
}

extension SafeTensorsFile {
    /// Values of `name` as Float when it is F32, F16 or BF16 (converted exactly), checking the shape
    /// when `shape` is given.
    public func convertedFloats(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        let t = try tensor(name)
        if let shape, shape != t.shape {
            throw SafeTensorsError(file: label, .wrongShape(tensor: name, expected: shape, found: t.shape))
        }
        return try t.convertedFloats(name: name, file: label)
    }
}
