// AdamW with decoupled weight decay (Loshchilov & Hutter) over the parameter arena,
// matching torch.optim.AdamW: p ← p·(1 − lr·wd); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
// p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). Plus global gradient-norm clipping.

import Foundation
import Tensor

/// AdamW hyper-parameters.
public struct AdamWConfig: Codable, Sendable, Equatable {
    /// Which tensors weight decay applies to.
    public enum DecayPolicy: String, Codable, Sendable {
        /// Every tensor (what torch's AdamW does with one param group; the fixture uses this).
        case all
        /// Only tensors with ≥ 2 dimensions (biases and LayerNorm parameters are not decayed).
        case matricesOnly
    }
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public var decay: DecayPolicy

    public init(learningRate: Float = 3e-4, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0.0, decay: DecayPolicy = .matricesOnly) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay; self.decay = decay
    }
}

/// AdamW optimizer state (first and second moments in arenas laid out like the parameters).
///
/// Threading: not Sendable; use it on the thread that owns the model it updates.
public final class AdamW {
    public var config: AdamWConfig
    /// Number of updates applied so far (bias correction uses `step` after incrementing).
    public var step: Int
    /// First moments (`exp_avg`), same layout as the parameters.
    public let m: FloatBuffer
    /// Second moments (`exp_avg_sq`).
    public let v: FloatBuffer
    public let layout: ParameterLayout
    /// First and second moments of the ALP log-scales `alp.log_scales` ([L]; ALP.swift).
    public let alpM: FloatBuffer
    public let alpV: FloatBuffer

    /// Fresh state (zero moments, step 0) for parameters laid out as `layout`.
    public init(layout: ParameterLayout, config: AdamWConfig) {
        self.layout = layout
        self.config = config
        step = 0
        m = FloatBuffer(count: layout.count)
        v = FloatBuffer(count: layout.count)
        alpM = FloatBuffer(count: layout.nLayer)
        alpV = FloatBuffer(count: layout.nLayer)
    }

    /// One update of `model`'s parameters from its gradients. `learningRate` overrides the config's
    /// (for schedules). When ALP is enabled and learnable, the log-scales take the same AdamW step
    /// with learning rate `model.alp.perturbLR` and no weight decay.
    public func update(_ model: GPT, learningRate: Float? = nil) throws {
        guard model.layout.count == layout.count else {
            throw PolicyError.badInput("AdamW state has \(layout.count) parameters, model has \(model.layout.count)")
        }
        guard model.grads.count == layout.count else { throw PolicyError.badInput("AdamW: the model is inference-only") }
        step += 1
        let c = config, lr = learningRate ?? c.learningRate
        let b1 = c.beta1, b2 = c.beta2
        let bc1 = 1 - Float(pow(Double(b1), Double(step)))
        let bc2Sqrt = Float((1 - pow(Double(b2), Double(step))).squareRoot())
        let stepSize = lr / bc1
        let p = model.params.base, g = model.grads.base, mp = m.base, vp = v.base
        for t in layout.tensors {
            let decay = (c.decay == .all || !t.isVector) ? 1 - lr * c.weightDecay : 1
            Parallel.forChunks(t.count, grain: 32_768) { r in
                for i in (t.offset + r.lowerBound)..<(t.offset + r.upperBound) {
                    let gi = g[i]
                    let mi = b1 * mp[i] + (1 - b1) * gi
                    let vi = b2 * vp[i] + (1 - b2) * gi * gi
                    mp[i] = mi
                    vp[i] = vi
                    p[i] = p[i] * decay - stepSize * mi / (vi.squareRoot() / bc2Sqrt + c.eps)
                }
            }
        }
        if model.alpTrainable {
            let s = model.alpLogScales.base, gs = model.alpGrads.base, am = alpM.base, av = alpV.base
            let alpStep = model.alp.perturbLR / bc1
            for l in 0..<alpM.count {
                am[l] = b1 * am[l] + (1 - b1) * gs[l]
                av[l] = b2 * av[l] + (1 - b2) * gs[l] * gs[l]
                s[l] -= alpStep * am[l] / (av[l].squareRoot() / bc2Sqrt + c.eps)
            }
        }
    }
}

extension GPT {
    /// The global L2 norm of all gradients (accumulated in Double), including the ALP log-scales'
    /// gradient when they are trainable.
    public func gradientNorm() -> Float {
        var s = Vec.sumOfSquares(grads.base, grads.count)   // 0 floats for an inference-only model
        if alpTrainable { s += Vec.sumOfSquares(alpGrads.base, config.nLayer) }
        return Float(s.squareRoot())
    }

    /// Scales all gradients so their global L2 norm is at most `maxNorm` (torch's
    /// clip_grad_norm_: factor maxNorm / (norm + 1e-6) when below 1). Returns the pre-clip norm.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        let norm = gradientNorm()
        let coef = maxNorm / (norm + 1e-6)
        if coef < 1 {
            let g = grads.base
            for i in 0..<grads.count { g[i] *= coef }
            if alpTrainable { for l in 0..<config.nLayer { alpGrads.base[l] *= coef } }
        }
        return norm
    }
}
