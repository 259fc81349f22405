// Small vector kernels (dot, sum, axpy, scale) with explicit SIMD8 accumulators.
// Swift does not reassociate float sums, so reductions are vectorised by hand here;
// the model's non-GEMM layers build on these.

/// Vectorised helpers over raw float pointers. `n` may be any length.
public enum Vec {
    @inlinable @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inlinable @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Σ a[i]·b[i].
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            acc0 += load8(a + i) * load8(b + i)
            acc1 += load8(a + i + 8) * load8(b + i + 8)
            i += 16
        }
        if i + 8 <= n { acc0 += load8(a + i) * load8(b + i); i += 8 }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ a[i].
    @inlinable @inline(__always)
    public static func sum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n { acc += load8(a + i); i += 8 }
        var s = acc.sum()
        while i < n { s += a[i]; i += 1 }
        return s
    }

    /// y[i] += alpha·x[i].
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let va = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= n { store8(load8(y + i) + va * load8(x + i), y + i); i += 8 }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// y[i] += x[i].
    @inlinable @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store8(load8(y + i) + load8(x + i), y + i); i += 8 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// Σ a[i]² in Double (for gradient norms).
    @inlinable @inline(__always)
    public static func sumOfSquares(_ a: UnsafePointer<Float>, _ n: Int) -> Double {
        var total = 0.0
        var i = 0
        while i < n {
            let m = min(n - i, 4096)
            var acc = SIMD8<Float>()
            var j = 0
            while j + 8 <= m { let v = load8(a + i + j); acc += v * v; j += 8 }
            var s = Double(acc.sum())
            while j < m { s += Double(a[i + j] * a[i + j]); j += 1 }
            total += s
            i += m
        }
        return total
    }
}
