// The few-rows GEMM of decode steps (C shim CFewRowsGemm): C[m,n] = alpha · A[m,k] · Wᵀ + beta · C
// with W stored [n,k] (the Hugging Face Linear layout and the tied LM head). A decode step
// multiplies ~16 rows by every weight of the model once; OpenBLAS packs each weight matrix
// before a product too small to amortise the copy, this kernel streams the weights once with
// software prefetch and reuses each loaded weight vector across all rows in registers.
// `Blas.sgemm` sends products with few rows here; this type is the typed, tested entry point.

import CFewRowsGemm

/// A bad argument to `FewRowsGemm.multiply`: which dimension is wrong and why.
public enum FewRowsGemmError: Error, Equatable, CustomStringConvertible {
    /// m, n or k is negative.
    case negativeDimension(m: Int, n: Int, k: Int)
    /// A leading dimension is shorter than the row it strides over (`name` is lda, ldw or ldc).
    case leadingDimensionTooSmall(name: String, value: Int, minimum: Int)
    /// A buffer is shorter than the dimensions and leading dimensions need (`name` is a, w or c).
    case bufferTooSmall(name: String, count: Int, needed: Int)

    public var description: String {
        switch self {
        case let .negativeDimension(m, n, k):
            return "few-rows GEMM: negative dimension (m \(m), n \(n), k \(k))"
        case let .leadingDimensionTooSmall(name, value, minimum):
            return "few-rows GEMM: \(name) = \(value) is shorter than its row (\(minimum))"
        case let .bufferTooSmall(name, count, needed):
            return "few-rows GEMM: buffer \(name) holds \(count) floats, the dimensions need \(needed)"
        }
    }
}

/// C = alpha · A · Wᵀ + beta · C for few rows of A, W stored [n, k] row-major, single-threaded.
public enum FewRowsGemm {
    /// Instruction sets of the kernel, lowest first.
    public enum Level: Int, Sendable, CaseIterable, Comparable {
        case scalar = 0, avx2 = 1, avx512 = 2
        public static func < (l: Level, r: Level) -> Bool { l.rawValue < r.rawValue }
    }

    /// The best level this CPU supports (AVX-512F+VL, AVX2+FMA, or portable C).
    public static var supportedLevel: Level { Level(rawValue: Int(frg_supported_level().rawValue)) ?? .scalar }

    /// The level in use. Setting it above `supportedLevel` uses `supportedLevel` (tests run every
    /// path the CPU has). Process-wide; not to be changed while products run on other threads.
    public static var level: Level {
        get { Level(rawValue: Int(frg_current_level().rawValue)) ?? .scalar }
        set { _ = frg_set_level(frg_level(rawValue: UInt32(newValue.rawValue))) }
    }

    /// Checks dimensions and leading dimensions (not buffer sizes).
    static func validate(m: Int, n: Int, k: Int, lda: Int, ldw: Int, ldc: Int) throws(FewRowsGemmError) {
        if m < 0 || n < 0 || k < 0 { throw .negativeDimension(m: m, n: n, k: k) }
        if m == 0 || n == 0 { return }
        if ldc < n { throw .leadingDimensionTooSmall(name: "ldc", value: ldc, minimum: n) }
        if k > 0 && lda < k { throw .leadingDimensionTooSmall(name: "lda", value: lda, minimum: k) }
        if k > 0 && ldw < k { throw .leadingDimensionTooSmall(name: "ldw", value: ldw, minimum: k) }
    }

    /// Floats a row-major [rows, cols] matrix with leading dimension `ld` spans.
    static func span(rows: Int, cols: Int, ld: Int) -> Int { rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols }

    /// `c[m,n] = alpha · a[m,k] · wᵀ + beta · c` with w stored [n, k]; with beta = 0, c is only
    /// written. Throws on negative dimensions, short leading dimensions or short buffers.
    public static func multiply(m: Int, n: Int, k: Int, alpha: Float = 1, a: [Float], lda: Int,
                                w: [Float], ldw: Int, beta: Float, c: inout [Float], ldc: Int) throws(FewRowsGemmError) {
        try validate(m: m, n: n, k: k, lda: lda, ldw: ldw, ldc: ldc)
        if m == 0 || n == 0 { return }
        let needs = [("a", a.count, span(rows: m, cols: k, ld: lda)), ("w", w.count, span(rows: n, cols: k, ld: ldw)),
                     ("c", c.count, span(rows: m, cols: n, ld: ldc))]
        for (name, count, needed) in needs where count < needed {
            throw .bufferTooSmall(name: name, count: count, needed: needed)
        }
        a.withUnsafeBufferPointer { ap in
            w.withUnsafeBufferPointer { wp in
                c.withUnsafeMutableBufferPointer { cp in
                    _ = frg_sgemm_nt(m, n, k, alpha, ap.baseAddress, lda, wp.baseAddress, ldw, beta, cp.baseAddress, ldc)
                }
            }
        }
    }

    /// Unchecked pointer form for the model's hot path (`Blas.sgemm`): the caller guarantees the
    /// buffers; dimensions are still checked by the C side, which then leaves C untouched and
    /// returns false.
    @inline(__always)
    static func raw(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                    w: UnsafePointer<Float>, ldw: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        frg_sgemm_nt(m, n, k, alpha, a, lda, w, ldw, beta, c, ldc) == 0
    }
}
