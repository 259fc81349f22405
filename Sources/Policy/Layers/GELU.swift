// gelu_new, the tanh approximation (design/MODEL.md):
// gelu(u) = 0.5·u·(1 + tanh(a)), a = √(2/π)·(u + 0.044715·u³).
// Computed as u·σ(2a), since 0.5·(1 + tanh a) = σ(2a); vectorised with Vec.exp.
// Legend: N elements.

import Foundation
import Tensor

private let geluScale = Float((2.0 / Double.pi).squareRoot())

@inline(__always)
private func geluCore(_ x: SIMD8<Float>) -> (s: SIMD8<Float>, da: SIMD8<Float>) {
    let x2 = x * x
    let a = geluScale * (x + 0.044715 * x2 * x)
    return (Vec.sigmoid(2 * a), geluScale * (1 + 3 * 0.044715 * x2))
}

/// out[i] = gelu(inp[i]).
func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, N: Int) {
    let blocks = max(N / 8, 1)  // chunks of whole SIMD8 blocks; the last chunk takes the tail
    Parallel.forChunks(blocks, grain: 4096) { r in
        let lo = r.lowerBound * 8, hi = r.upperBound == blocks ? N : r.upperBound * 8
        geluForwardRange(out + lo, inp + lo, N: hi - lo)
    }
}

private func geluForwardRange(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, N: Int) {
    var i = 0
    while i + 8 <= N {
        let x = UnsafeRawPointer(inp + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: x * geluCore(x).s, as: SIMD8<Float>.self)
        i += 8
    }
    while i < N {
        let x = inp[i]
        out[i] = 0.5 * x * (1 + tanh(geluScale * (x + 0.044715 * x * x * x)))
        i += 1
    }
}

/// dinp[i] = gelu'(inp[i])·dout[i] (overwrites; `dinp` may alias `dout`). With s = σ(2a) = 0.5(1+tanh a):
/// gelu'(x) = s + x·(1 − tanh² a)/2·a'(x) = s + 2·x·s·(1−s)·a'(x), a'(x) = √(2/π)(1 + 3·0.044715·x²).
func geluBackward(_ dinp: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                  _ dout: UnsafePointer<Float>, N: Int) {
    let blocks = max(N / 8, 1)  // chunks of whole SIMD8 blocks; the last chunk takes the tail
    Parallel.forChunks(blocks, grain: 4096) { r in
        let lo = r.lowerBound * 8, hi = r.upperBound == blocks ? N : r.upperBound * 8
        geluBackwardRange(dinp + lo, inp + lo, dout + lo, N: hi - lo)
    }
}

private func geluBackwardRange(_ dinp: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                               _ dout: UnsafePointer<Float>, N: Int) {
    var i = 0
    while i + 8 <= N {
        let x = UnsafeRawPointer(inp + i).loadUnaligned(as: SIMD8<Float>.self)
        let d = UnsafeRawPointer(dout + i).loadUnaligned(as: SIMD8<Float>.self)
        let (s, da) = geluCore(x)
        let local = s + 2 * x * s * (1 - s) * da
        UnsafeMutableRawPointer(dinp + i).storeBytes(of: local * d, as: SIMD8<Float>.self)
        i += 8
    }
    while i < N {
        let x = inp[i]
        let th = tanh(geluScale * (x + 0.044715 * x * x * x))
        let local = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * geluScale * (1 + 3 * 0.044715 * x * x)
        dinp[i] = local * dout[i]
        i += 1
    }
}
