// Tensor data of a GGUF file as Float: F32, F16 and BF16 converted exactly, and the ggml block
// quantisations Q8_0, Q4_0 and Q4_1 dequantised exactly as ggml defines them (each block of 32
// elements starts with an f16 scale `d`; Q4_1 adds an f16 minimum `m`):
//   Q8_0: d, 32 × int8 q            → q·d
//   Q4_0: d, 16 bytes of nibbles    → (q − 8)·d
//   Q4_1: d, m, 16 bytes of nibbles → q·d + m
// Nibbles: byte j's low nibble is element j, its high nibble element j + 16.
// Arithmetic is Float multiply then add (no fused multiply-add), as gguf-py's numpy code does it.

import Tensor

extension GGUFFile {
    /// The values of tensor `name`, row-major in `tensorInfo(name).shape` order.
    package func floats(_ name: String) throws -> [Float] {
        try floats(tensorInfo(name))
    }

    /// The values of `info` (a tensor of this file) as a tensor in PyTorch shape order.
    package func tensor(_ name: String) throws -> FloatTensor {
        let info = try tensorInfo(name)
        return FloatTensor(shape: info.shape, values: try floats(info))
    }

    /// The values of `info` (a tensor of this file), row-major.
    package func floats(_ info: GGUFTensorInfo) throws -> [Float] {
        guard info.type.isDequantisable else {
            throw GGUFError(file: path, .unsupportedTensorType(tensor: info.name, type: info.type.name))
        }
        let start = dataOffset + info.offset
        guard start + info.byteCount <= storage.count else {  // infos from another file
            throw GGUFError(file: path, .tensorOutOfBounds(tensor: info.name, start: start,
                                                           byteCount: info.byteCount, fileSize: storage.count))
        }
        let n = info.elementCount
        guard n > 0, let base = storage.base else { return [] }
        let src = base + start
        return [Float](unsafeUninitializedCapacity: n) { out, initialised in
            let dst = out.baseAddress!
            switch info.type {
            case .f32: Dequantize.f32(src, dst, n)
            case .f16: Dequantize.f16(src, dst, n)
            case .bf16: Dequantize.bf16(src, dst, n)
            case .q8_0: Dequantize.q8_0(src, dst, n / 32)
            case .q4_0: Dequantize.q4_0(src, dst, n / 32)
            default: Dequantize.q4_1(src, dst, n / 32)
            }
            initialised = n
        }
    }
}

/// The conversion kernels: `src` holds exactly the bytes for `n` elements (or `blocks` blocks).
enum Dequantize {
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloat.halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    static func f32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
    }

    static func f16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] = half(src, 2 * i) }
    }

    static func bf16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            dst[i] = HalfFloat.bfloat16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 34 * b
            let d = half(block, 0)
            let y = dst + 32 * b
            for j in 0..<32 { y[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
        }
    }

    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 18 * b
            let d = half(block, 0)
            let y = dst + 32 * b
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                y[j] = Float(Int(q & 0x0F) - 8) * d
                y[j + 16] = Float(Int(q >> 4) - 8) * d
            }
        }
    }

    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 20 * b
            let d = half(block, 0)
            let m = half(block, 2)
            let y = dst + 32 * b
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                y[j] = Float(q & 0x0F) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }
}
