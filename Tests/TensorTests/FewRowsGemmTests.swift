// The few-rows GEMM (decode steps) against OpenBLAS's cblas_sgemm, on every instruction-set path
// this CPU has: ragged shapes (m = 1…33, n and k not multiples of 16, padded leading dimensions),
// overwrite and accumulate, the column split over threads, Blas.sgemm's dispatch, bad input.

import COpenBLAS
import XCTest
@testable import Tensor

final class FewRowsGemmTests: XCTestCase {
    /// cblas_sgemm with B transposed (row-major), the reference.
    func reference(m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int, w: [Float], ldw: Int,
                   beta: Float, c: inout [Float], ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                    w, Int32(ldw), beta, &c, Int32(ldc))
    }

    /// Asserts |ours − cblas| ≤ 1e-5 · (|alpha|·Σₚ|a·w| + |beta·c₀|) per element: relative error
    /// 1e-5 of the element's magnitude scale (the two sum in different orders, so plain F32
    /// rounding differs; a relative error against the result itself would blow up on cancellation).
    func assertMatches(m: Int, n: Int, k: Int, alpha: Float, beta: Float, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) {
        var rng = Xoshiro256(seed: seed)
        let lda = k + Int(seed % 3), ldw = k + Int(seed % 5), ldc = n + Int(seed % 2)
        let a = (0..<(m * lda)).map { _ in rng.nextGaussian() }
        let w = (0..<(n * ldw)).map { _ in rng.nextGaussian() }
        let c0: [Float] = beta == 0 ? Array(repeating: .nan, count: m * ldc) : (0..<(m * ldc)).map { _ in rng.nextGaussian() }
        var ours = c0, theirs = c0
        XCTAssertNoThrow(try FewRowsGemm.multiply(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, w: w, ldw: ldw,
                                                  beta: beta, c: &ours, ldc: ldc), file: file, line: line)
        if beta == 0 { theirs = Array(repeating: 0, count: m * ldc) }
        reference(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, w: w, ldw: ldw, beta: beta, c: &theirs, ldc: ldc)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var scale: Float = abs(beta * (beta == 0 ? 0 : c0[i * ldc + j]))
                for p in 0..<k { scale += abs(alpha * a[i * lda + p] * w[j * ldw + p]) }
                let d = abs(ours[i * ldc + j] - theirs[i * ldc + j]) / max(scale, .leastNormalMagnitude)
                if !(d <= worst) { worst = d }  // NaN (an unwritten or wrongly read element) sticks
            }
        }
        XCTAssertLessThan(worst, 1e-5, "m \(m) n \(n) k \(k) alpha \(alpha) beta \(beta) level \(FewRowsGemm.level)",
                          file: file, line: line)
        // Padding columns of C (j ≥ n) are never written.
        for i in 0..<m { for j in n..<ldc where beta != 0 {
            XCTAssertEqual(ours[i * ldc + j], c0[i * ldc + j], file: file, line: line)
        } }
    }

    /// Runs `body` once per level this CPU supports, restoring the level afterwards.
    func forEachLevel(_ body: (FewRowsGemm.Level) -> Void) {
        let saved = FewRowsGemm.level
        defer { FewRowsGemm.level = saved }
        for level in FewRowsGemm.Level.allCases where level <= FewRowsGemm.supportedLevel {
            FewRowsGemm.level = level
            XCTAssertEqual(FewRowsGemm.level, level)
            body(level)
        }
    }

    func testEveryRowCountAndRaggedShapesMatchCblas() {
        let ns = [1, 2, 3, 5, 17, 31, 47, 50], ks = [1, 7, 15, 16, 17, 31, 33, 100, 577]
        forEachLevel { level in
            var rng = Xoshiro256(seed: UInt64(10 + level.rawValue))
            for m in 1...33 {
                for t in 0..<3 {
                    let n = ns[Int(rng.next() % UInt64(ns.count))], k = ks[Int(rng.next() % UInt64(ks.count))]
                    let (alpha, beta): (Float, Float) = [(1, 0), (1, 1), (-1.5, 0.5)][t]
                    assertMatches(m: m, n: n, k: k, alpha: alpha, beta: beta, seed: rng.next() % 1000)
                }
            }
        }
    }

    func testDecodeLikeShapesMatchCblas() {
        forEachLevel { _ in
            assertMatches(m: 16, n: 97, k: 576, alpha: 1, beta: 0, seed: 1)
            assertMatches(m: 16, n: 40, k: 1536, alpha: 1, beta: 1, seed: 2)
            assertMatches(m: 32, n: 19, k: 200, alpha: 1, beta: 0, seed: 3)
        }
    }

    func testZeroSizesAndEmptyK() throws {
        var c: [Float] = [1, 2, 3, 4]
        try FewRowsGemm.multiply(m: 0, n: 2, k: 3, a: [], lda: 3, w: [], ldw: 3, beta: 0, c: &c, ldc: 2)
        try FewRowsGemm.multiply(m: 2, n: 0, k: 3, a: [], lda: 3, w: [], ldw: 3, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [1, 2, 3, 4])
        try FewRowsGemm.multiply(m: 2, n: 2, k: 0, a: [], lda: 0, w: [], ldw: 0, beta: 0.5, c: &c, ldc: 2)
        XCTAssertEqual(c, [0.5, 1, 1.5, 2])
    }

    func testBadInputThrowsAndLeavesCUntouched() {
        var c: [Float] = Array(repeating: 7, count: 6)
        let a = [Float](repeating: 1, count: 6), w = [Float](repeating: 1, count: 9)
        func expect(_ e: FewRowsGemmError, _ call: (inout [Float]) throws -> Void) {
            do {
                try call(&c)
                XCTFail("no error, expected \(e)")
            } catch {
                XCTAssertEqual(error as? FewRowsGemmError, e)
                XCTAssertTrue("\(error)".contains("few-rows GEMM"))
            }
            XCTAssertEqual(c, Array(repeating: 7, count: 6))
        }
        expect(.negativeDimension(m: -1, n: 3, k: 3)) {
            try FewRowsGemm.multiply(m: -1, n: 3, k: 3, a: a, lda: 3, w: w, ldw: 3, beta: 0, c: &$0, ldc: 3)
        }
        expect(.leadingDimensionTooSmall(name: "lda", value: 2, minimum: 3)) {
            try FewRowsGemm.multiply(m: 2, n: 3, k: 3, a: a, lda: 2, w: w, ldw: 3, beta: 0, c: &$0, ldc: 3)
        }
        expect(.leadingDimensionTooSmall(name: "ldc", value: 2, minimum: 3)) {
            try FewRowsGemm.multiply(m: 2, n: 3, k: 3, a: a, lda: 3, w: w, ldw: 3, beta: 0, c: &$0, ldc: 2)
        }
        expect(.bufferTooSmall(name: "w", count: 9, needed: 11)) {
            try FewRowsGemm.multiply(m: 2, n: 3, k: 3, a: a, lda: 3, w: w, ldw: 4, beta: 0, c: &$0, ldc: 3)
        }
        expect(.bufferTooSmall(name: "a", count: 6, needed: 9)) {
            try FewRowsGemm.multiply(m: 3, n: 2, k: 3, a: a, lda: 3, w: w, ldw: 3, beta: 0, c: &$0, ldc: 2)
        }
    }

    func testLevelAboveSupportedIsClamped() {
        let saved = FewRowsGemm.level
        defer { FewRowsGemm.level = saved }
        FewRowsGemm.level = .avx512
        XCTAssertEqual(FewRowsGemm.level, FewRowsGemm.supportedLevel)
        FewRowsGemm.level = .scalar
        XCTAssertEqual(FewRowsGemm.level, .scalar)
    }

    /// Blas.sgemm sends A·Bᵀ with ≤ fewRowsMaxRows rows to the kernel, split over 2 threads when B is
    /// large: bit-identical to one single-threaded kernel call, and close to OpenBLAS.
    func testBlasDispatchAndThreadSplit() throws {
        let saved = (Blas.threads, Blas.fewRowsMaxRows)
        defer { Blas.setThreads(saved.0); Blas.fewRowsMaxRows = saved.1 }
        let (m, n, k) = (16, 1000, 70)
        var rng = Xoshiro256(seed: 5)
        let a = (0..<(m * k)).map { _ in rng.nextGaussian() }, w = (0..<(n * k)).map { _ in rng.nextGaussian() }
        let c0 = (0..<(m * n)).map { _ in rng.nextGaussian() }
        var single = c0
        try FewRowsGemm.multiply(m: m, n: n, k: k, a: a, lda: k, w: w, ldw: k, beta: 1, c: &single, ldc: n)
        Blas.setThreads(2)
        var split = c0
        Blas.sgemm(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, beta: 1, c: &split, ldc: n)
        XCTAssertEqual(split, single)
        Blas.fewRowsMaxRows = 0
        var blas = c0
        Blas.sgemm(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, beta: 1, c: &blas, ldc: n)
        XCTAssertNotEqual(blas, split, "OpenBLAS sums in another order: equal results would mean the kernel did not run")
        for (x, y) in zip(split, blas) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
    }
}
