// Token + position embedding (design/MODEL.md: x = wte[token] + wpe[position]).
// Legend: B batch, T time, C channels, V vocab.

import Tensor

/// out[B,T,C] = wte[tokens[b,t]] + wpe[t].
func encoderForward(_ out: UnsafeMutablePointer<Float>, _ tokens: UnsafePointer<Int32>,
                    _ wte: UnsafePointer<Float>, _ wpe: UnsafePointer<Float>, B: Int, T: Int, C: Int) {
    for b in 0..<B {
        for t in 0..<T {
            let o = out + (b * T + t) * C
            let e = wte + Int(tokens[b * T + t]) * C
            let p = wpe + t * C
            for i in 0..<C { o[i] = e[i] + p[i] }
        }
    }
}

/// Accumulates dwte[tokens[b,t]] += dout[b,t] and dwpe[t] += dout[b,t].
func encoderBackward(_ dwte: UnsafeMutablePointer<Float>, _ dwpe: UnsafeMutablePointer<Float>,
                     _ dout: UnsafePointer<Float>, _ tokens: UnsafePointer<Int32>, B: Int, T: Int, C: Int) {
    for b in 0..<B {
        for t in 0..<T {
            let d = dout + (b * T + t) * C
            Vec.add(d, dwte + Int(tokens[b * T + t]) * C, C)
            Vec.add(d, dwpe + t * C, C)
        }
    }
}
