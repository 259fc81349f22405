// Rotary position embeddings, Hugging Face's rotate_half convention: a head vector of size hs is
// split into halves (a, b) = (x[i], x[i + hs/2]) and each pair is rotated by θ = t·f_i,
// f_i = 1/θ_base^(2i/hs):  a' = a·cos θ − b·sin θ,  b' = b·cos θ + a·sin θ.
// Backward applies the transposed rotation (θ → −θ). Tables cos/sin [positions, hs/2] are
// computed once (float32, as transformers does) and grown on demand.
// Legend: N rows, hs head size, nh heads in the row segment being rotated.

import Foundation

/// cos/sin tables [length, hs/2] for base `theta`, in float32 like transformers' inv_freq · t.
func ropeTables(length: Int, headSize hs: Int, theta: Float) -> (cos: [Float], sin: [Float]) {
    let half = hs / 2
    let inv = (0..<half).map { i in 1 / powf(theta, Float(2 * i) / Float(hs)) }
    var c = [Float](repeating: 0, count: length * half), s = c
    for t in 0..<length {
        for i in 0..<half {
            let a = Float(t) * inv[i]
            c[t * half + i] = cosf(a); s[t * half + i] = sinf(a)
        }
    }
    return (c, s)
}

/// Rotates `nh` heads of size hs at x + r·stride (row r, at position pos[r]) in place;
/// `inverse` applies the transposed rotation (the backward pass).
func ropeApply(_ x: UnsafeMutablePointer<Float>, stride: Int, positions pos: (Int) -> Int, N: Int, nh: Int, hs: Int,
               cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, inverse: Bool = false) {
    let half = hs / 2, sign: Float = inverse ? -1 : 1
    for r in 0..<N {
        let c = cos + pos(r) * half, s = sin + pos(r) * half
        for h in 0..<nh {
            let v = x + r * stride + h * hs
            for i in 0..<half {
                let a = v[i], b = v[i + half], sn = sign * s[i]
                v[i] = a * c[i] - b * sn
                v[i + half] = b * c[i] + a * sn
            }
        }
    }
}

extension GPT {
    /// Makes the RoPE tables cover positions 0..<length.
    func ensureRope(length: Int) {
        let half = config.headSize / 2
        guard ropeCos.count < length * half else { return }
        let n = max(length, min(config.nPositions, 2 * ropeCos.count / max(half, 1)))
        (ropeCos, ropeSin) = ropeTables(length: n, headSize: config.headSize, theta: config.ropeTheta)
    }
}
