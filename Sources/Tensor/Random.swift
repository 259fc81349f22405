// Deterministic, seedable random numbers shared by every module that must be
// reproducible from a seed: weight initialisation, sampling, prompt generation,
// ALP noise. Xoshiro256** seeded through SplitMix64 (Blackman & Vigna).

import Foundation

/// SplitMix64: a one-word mixer. Used to expand seeds and to hash `(seed, index)`
/// pairs into independent streams.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Mixes several words into one seed, so `(seed, step, layer)` style keys give independent streams.
    public static func mix(_ words: UInt64...) -> UInt64 {
        var s = SplitMix64(seed: 0x5EED_0F7B_1B07_A21)
        var acc: UInt64 = 0
        for w in words { s.state ^= w; acc = s.next() }
        return acc
    }
}

/// Xoshiro256**: fast, high-quality generator with a 256-bit state that can be
/// saved and restored (checkpoints store `state`).
public struct Xoshiro256: RandomNumberGenerator, Sendable, Codable, Equatable {
    public var state: [UInt64]
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        state = [sm.next(), sm.next(), sm.next(), sm.next()]
    }
    public init(state: [UInt64]) {
        precondition(state.count == 4, "Xoshiro256 needs four state words")
        self.state = state
    }
    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]; state[3] ^= state[1]; state[1] ^= state[2]; state[0] ^= state[3]
        state[2] ^= t
        state[3] = Self.rotl(state[3], 45)
        return result
    }
    /// Uniform float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    /// Standard normal (Box–Muller; one of the pair is discarded for simplicity and determinism).
    public mutating func nextGaussian() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2))
    }
    /// Fills `count` floats with standard normals, two per Box–Muller pair (cos and sin branches),
    /// consuming two draws per pair in order. Deterministic given the state; used for ALP noise.
    public mutating func fillGaussian(_ out: UnsafeMutablePointer<Float>, count: Int) {
        // Single precision: u1 ∈ (0, 1] with 24 bits (|ε| ≤ 5.8, a 6e-9 tail), u2 ∈ [0, 1).
        var i = 0
        while i < count {
            let u1 = Float((next() >> 40) + 1) * (1.0 / 16_777_216.0)
            let u2 = Float(next() >> 40) * (1.0 / 16_777_216.0)
            let r = (-2 * log(u1)).squareRoot()
            let th = 2 * Float.pi * u2
            out[i] = r * cos(th)
            if i + 1 < count { out[i + 1] = r * sin(th) }
            i += 2
        }
    }
}
