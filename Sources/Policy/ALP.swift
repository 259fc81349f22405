// ALP — Adaptive Layerwise Perturbation (design/ALGORITHMS.md §3.2, §3.7): in the policy-update
// forward pass only, each selected block's residual input becomes h_l + σ_l·ε_l before its first
// LayerNorm, with σ_l = exp(s_l) and ε_l ~ N(0, I) of shape [B·T, C] drawn from Xoshiro256 seeded
// by SplitMix64.mix(seed, step, layer, j) for each block j of 64 rows. The log-scales s_l (`alp.log_scales`, [L]) live outside the
// Hugging Face parameter arena, with their own gradient and AdamW state (learning rate `perturbLR`).
// Backward: d s_l = Σ (∂loss/∂h_l) ⊙ σ_l ε_l over all elements (the noise is stored by forward).

import Foundation
import Tensor

/// ALP configuration (ALGORITHMS.md §3.2, §3.4).
public struct ALPPerturbation: Codable, Sendable, Equatable {
    /// Master switch. Even when true, noise is only added by `forward(..., perturbStep:)` with a step.
    public var enabled: Bool
    /// Blocks that are perturbed; nil = all blocks.
    public var layers: Range<Int>?
    /// Initial scale σ₀ (s_l starts at log σ₀).
    public var sigma0: Float
    /// Whether s_l is trained (false: fixed at log σ₀, no gradient, not in clipping or gradient files).
    public var learnable: Bool
    /// AdamW learning rate of the log-scales (`perturb_lr`).
    public var perturbLR: Float
    /// Base seed of the noise; each (seed, step, layer) gets its own stream.
    public var seed: UInt64

    public init(enabled: Bool = true, layers: Range<Int>? = nil, sigma0: Float = 1e-2, learnable: Bool = true,
                perturbLR: Float = 1e-2, seed: UInt64 = 0) {
        self.enabled = enabled; self.layers = layers; self.sigma0 = sigma0; self.learnable = learnable
        self.perturbLR = perturbLR; self.seed = seed
    }

    /// ALP switched off (the default of every model).
    public static let disabled = ALPPerturbation(enabled: false)

    /// The perturbed blocks of a model with `nLayer` blocks.
    public func layerRange(nLayer: Int) -> Range<Int> { layers ?? 0..<nLayer }

    /// Throws `badInput` on a layer range outside 0..<nLayer or a non-positive/non-finite σ₀ or LR.
    public func validate(nLayer: Int) throws {
        if let r = layers, r.lowerBound < 0 || r.upperBound > nLayer {
            throw PolicyError.badInput("ALP layers \(r) outside the model's blocks 0..<\(nLayer)")
        }
        guard sigma0 > 0, sigma0.isFinite else { throw PolicyError.badInput("ALP sigma0 must be positive, got \(sigma0)") }
        guard perturbLR >= 0, perturbLR.isFinite else {
            throw PolicyError.badInput("ALP perturbLR must be ≥ 0, got \(perturbLR)")
        }
    }
}

extension GPT {
    /// Name of the log-scale tensor in `parameter(_:)`, `gradient(_:)`, gradient files and `alp.safetensors`.
    public static let alpLogScalesName = "alp.log_scales"

    /// Installs an ALP configuration and resets every log-scale to log σ₀ (and its gradient to 0).
    public func configureALP(_ cfg: ALPPerturbation) throws {
        try cfg.validate(nLayer: config.nLayer)
        alp = cfg
        alpLogScales.base.update(repeating: log(cfg.sigma0), count: config.nLayer)
        alpGrads.zero()
    }

    /// Whether the log-scales take part in training (gradient files, clipping, AdamW).
    public var alpTrainable: Bool { alp.enabled && alp.learnable }

    /// The per-block scales σ_l = exp(s_l) currently in effect.
    public var alpSigmas: [Float] { (0..<config.nLayer).map { exp(alpLogScales.base[$0]) } }

    /// Rows of ε drawn from one generator stream (see `applyALPNoise`).
    public static let alpNoiseRowsPerStream = 64

    /// Draws (or redraws) the noise of block `l` for `step` into the noise buffer and perturbs the
    /// residual stream `h` ([N, C]) in place: h ← h + σ_l ε_l. Records σ_l for backward.
    /// Rows [64j, 64j + 64) of ε_l come from Xoshiro256(SplitMix64.mix(seed, step, l, j)), so the
    /// noise is fixed by (seed, step, layer) whatever the thread count, and blocks fill in parallel.
    func applyALPNoise(_ h: UnsafeMutablePointer<Float>, layer l: Int, step: UInt64, N: Int) {
        let C = config.nEmbd, count = N * C, rowsPer = Self.alpNoiseRowsPerStream
        if alpNoise.count < config.nLayer * count { alpNoise = FloatBuffer(count: config.nLayer * count) }
        let eps = alpNoise.base + l * count
        let sigma = exp(alpLogScales.base[l])
        alpSigmaUsed[l] = sigma
        let seed = alp.seed, streams = (N + rowsPer - 1) / rowsPer
        Parallel.forChunks(streams) { js in
            for j in js {
                let lo = j * rowsPer * C, n = min(N, (j + 1) * rowsPer) * C - lo
                var rng = Xoshiro256(seed: SplitMix64.mix(seed, step, UInt64(l), UInt64(j)))
                rng.fillGaussian(eps + lo, count: n)
                Vec.axpy(sigma, eps + lo, h + lo, n)
            }
        }
    }

    /// d s_l += σ_l · Σ dres ⊙ ε_l, where `dres` ([N, C]) is ∂loss/∂h_l at block l's input.
    func accumulateALPGradient(_ dres: UnsafePointer<Float>, layer l: Int, N: Int) {
        let count = N * config.nEmbd
        let eps = alpNoise.base + l * count
        var total = 0.0, i = 0
        while i < count {  // chunks summed in Double: the sum runs over ~10⁵–10⁶ terms
            let m = min(4096, count - i)
            total += Double(Vec.dot(dres + i, eps + i, m))
            i += m
        }
        alpGrads.base[l] += alpSigmaUsed[l] * Float(total)
    }

    /// The noise ε_l ([B·T, C]) used for block `l` by the last perturbed forward, or nil if that
    /// block was not perturbed. For tests and diagnostics.
    public func alpNoise(layer l: Int) -> [Float]? {
        guard let (B, T) = cachedShape, alpApplied.contains(l) else { return nil }
        let count = B * T * config.nEmbd
        return Array(UnsafeBufferPointer(start: alpNoise.base + l * count, count: count))
    }

    /// `alp.safetensors`: `alp.log_scales` F32 [L] and the configuration as JSON in metadata key `alp`.
    public func alpFile() throws -> SafeTensorsFile {
        var f = SafeTensorsFile(metadata: ["alp": String(decoding: try JSONEncoder().encode(alp), as: UTF8.self)])
        f.tensors[Self.alpLogScalesName] = TensorData(
            floats: UnsafeBufferPointer(start: alpLogScales.base, count: config.nLayer), shape: [config.nLayer])
        return f
    }

    /// Restores configuration and log-scales from an `alp.safetensors` file (see `alpFile`).
    public func loadALP(from f: SafeTensorsFile) throws {
        guard let j = f.metadata["alp"], let cfg = try? JSONDecoder().decode(ALPPerturbation.self, from: Data(j.utf8)) else {
            throw PolicyError.checkpoint(path: f.label, detail: "metadata 'alp' is missing or not a valid ALP configuration")
        }
        do { try cfg.validate(nLayer: config.nLayer) } catch let e as PolicyError {
            throw PolicyError.checkpoint(path: f.label, detail: e.description)
        }
        let s = try f.floats(Self.alpLogScalesName, shape: [config.nLayer])
        try configureALP(cfg)
        _ = UnsafeMutableBufferPointer(start: alpLogScales.base, count: config.nLayer).update(fromContentsOf: s)
    }
}
