// BLAS wrapper, vector kernels, arenas and the RNG against naive references.

import Foundation
import XCTest
@testable import Tensor

final class KernelTests: XCTestCase {
    func testSgemmAllTransposesMatchNaive() {
        sgemmMatchesNaive(m: 5, n: 7, k: 3)
    }

    /// The split (2-thread) GEMM paths: row blocks (m ≥ n) and column blocks (n > m), with ragged
    /// remainders, for every transpose combination.
    func testSplitSgemmMatchesNaive() {
        let saved = (Blas.threads, Blas.multiThreadFlops)
        defer { Blas.setThreads(saved.0); Blas.multiThreadFlops = saved.1 }
        Blas.setThreads(2)
        Blas.multiThreadFlops = 1
        sgemmMatchesNaive(m: 45, n: 19, k: 6)
        sgemmMatchesNaive(m: 21, n: 50, k: 5)
    }

    func sgemmMatchesNaive(m: Int, n: Int, k: Int) {
        var rng = Xoshiro256(seed: 1)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = (0..<(m * k)).map { _ in rng.nextGaussian() }
            let b = (0..<(k * n)).map { _ in rng.nextGaussian() }
            var c = [Float](repeating: 1, count: m * n)
            // op(A)[i,p]: A stored [m,k] or [k,m]
            func A(_ i: Int, _ p: Int) -> Float { ta ? a[p * m + i] : a[i * k + p] }
            func Bm(_ p: Int, _ j: Int) -> Float { tb ? b[j * k + p] : b[p * n + j] }
            Blas.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 2, a: a, lda: ta ? m : k,
                       b: b, ldb: tb ? k : n, beta: 0.5, c: &c, ldc: n)
            for i in 0..<m { for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += A(i, p) * Bm(p, j) }
                XCTAssertEqual(c[i * n + j], 2 * s + 0.5, accuracy: 1e-5)
            } }
        }
    }

    func testVectorKernels() {
        var rng = Xoshiro256(seed: 2)
        for n in [0, 1, 7, 8, 15, 16, 17, 33, 100] {
            let a = (0..<n).map { _ in rng.nextGaussian() }
            let b = (0..<n).map { _ in rng.nextGaussian() }
            var dot: Float = 0, sum: Float = 0, sq = 0.0
            for i in 0..<n { dot += a[i] * b[i]; sum += a[i]; sq += Double(a[i] * a[i]) }
            XCTAssertEqual(Vec.dot(a, b, n), dot, accuracy: 1e-4)
            XCTAssertEqual(Vec.sum(a, n), sum, accuracy: 1e-4)
            XCTAssertEqual(Vec.sumOfSquares(a, n), sq, accuracy: 1e-4)
            var y = b
            Vec.axpy(0.5, a, &y, n)
            for i in 0..<n { XCTAssertEqual(y[i], b[i] + 0.5 * a[i], accuracy: 1e-6) }
            y = b
            Vec.add(a, &y, n)
            for i in 0..<n { XCTAssertEqual(y[i], b[i] + a[i], accuracy: 1e-6) }
        }
    }

    func testFloatBufferIsZeroedAndSliced() {
        let f = FloatBuffer(count: 100)
        XCTAssertEqual(f.toArray(), [Float](repeating: 0, count: 100))
        let s = f.slice(10, 5)
        s[0] = 3
        XCTAssertEqual(f.buffer[10], 3)
        f.zero()
        XCTAssertEqual(f.buffer[10], 0)
        XCTAssertEqual(Int(bitPattern: f.base) % 64, 0)
    }

    func testBlasThreadControl() {
        let before = Blas.threads
        Blas.setThreads(1)
        XCTAssertEqual(Blas.threads, 1)
        Blas.setThreads(before)
        XCTAssertEqual(Blas.threads, before)
    }

    func testXoshiroIsReproducibleAndGaussianHasUnitMoments() {
        var a = Xoshiro256(seed: 5), b = Xoshiro256(seed: 5)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
        var g = Xoshiro256(seed: 6)
        let xs = (0..<20000).map { _ in Double(g.nextGaussian()) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let varc = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(varc, 1, accuracy: 0.05)
    }
}

final class VecMathTests: XCTestCase {
    func testVectorExpAndSigmoidMatchLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let e = Vec.exp(v), s = Vec.sigmoid(v)
            for j in 0..<8 {
                let ref = Foundation.exp(Double(v[j]))
                worst = max(worst, Float(abs(Double(e[j]) - ref) / ref))
                XCTAssertEqual(Double(s[j]), 1 / (1 + Foundation.exp(-Double(v[j]))), accuracy: 2e-7)
            }
            x += 0.37
        }
        XCTAssertLessThan(worst, 5e-7, "relative error of Vec.exp")
    }
}
