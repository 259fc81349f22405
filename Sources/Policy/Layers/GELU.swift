// gelu_new, the tanh approximation (design/MODEL.md):
// gelu(u) = 0.5·u·(1 + tanh(√(2/π)·(u + 0.044715·u³))).
// Legend: N elements.

import Foundation

private let geluScale = Float((2.0 / Double.pi).squareRoot())

/// out[i] = gelu(inp[i]).
func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, N: Int) {
    for i in 0..<N {
        let x = inp[i]
        out[i] = 0.5 * x * (1 + tanh(geluScale * (x + 0.044715 * x * x * x)))
    }
}

/// dinp[i] = gelu'(inp[i])·dout[i] (overwrites; `dinp` may alias `dout`).
/// gelu'(x) = 0.5(1+tanh a) + 0.5·x·(1 − tanh² a)·√(2/π)(1 + 3·0.044715·x²), a = √(2/π)(x + 0.044715x³).
func geluBackward(_ dinp: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                  _ dout: UnsafePointer<Float>, N: Int) {
    for i in 0..<N {
        let x = inp[i]
        let th = tanh(geluScale * (x + 0.044715 * x * x * x))
        let local = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * geluScale * (1 + 3 * 0.044715 * x * x)
        dinp[i] = local * dout[i]
    }
}
