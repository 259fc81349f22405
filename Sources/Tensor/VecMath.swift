// Vectorised transcendental functions on SIMD8<Float> (exp, sigmoid) for the model's
// element-wise layers. exp uses Cody–Waite range reduction (x = n·ln2 + r, |r| ≤ ln2/2)
// and the Cephes degree-6 minimax polynomial: relative error ≈ 2 ulp over [-87, 88].

extension Vec {
    /// e^x for each lane (inputs clamped to [-87.3, 88.3]; underflows to ~1e-38 rather than 0).
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
        var xc = x.replacing(with: lo, where: x .< lo)
        xc = xc.replacing(with: hi, where: xc .> hi)
        // Round x·log2(e) to an integer n with the 1.5·2²³ trick: after adding it, the low mantissa
        // bits of t hold n (two's complement), so 2ⁿ is built from t's bits without conversions.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = xc * 1.442_695_04 + magic
        let n = t - magic
        var r = xc - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// 1 / (1 + e^(−x)) for each lane.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// Scalar e^x through the same polynomial (lane 0 of the vector version).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(SIMD8(repeating: x))[0] }
}
