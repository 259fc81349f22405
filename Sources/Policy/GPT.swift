// The policy network of any family (GPT-2 exactly as design/MODEL.md, or Llama), in the style
// of llm.c. Parameters and gradients each live in one contiguous arena carved into the named
// tensors of ParameterLayout; activations live in an arena sized for the last (B, T) seen.
// Forward/backward: GPT+Passes.swift (GPT-2), GPT+LlamaPasses.swift (Llama), GPT+Head.swift
// (the chunked LM head, both families); layers in Layers/.
// Deliberately absent: dropout, KV caching (see Sampler), mixed precision.

import Foundation
import Tensor

/// The policy network — a GPT-2 or Llama-family language model (`config.family`) with an
/// explicit activation cache and accumulated gradients.
///
/// Threading: `GPT` is a mutable reference type and is **not** Sendable. Confine each
/// instance to one thread, task or actor; the only internal parallelism is OpenBLAS's
/// thread pool inside GEMMs (`Blas.setThreads`).
public final class GPT {
    /// The architecture.
    public let config: ModelConfig
    /// Where each named tensor lives in the parameter and gradient arenas.
    public let layout: ParameterLayout
    /// Parameter arena (`layout.count` floats).
    public let params: FloatBuffer
    /// Gradient arena, same layout as `params`. Backward accumulates into it.
    public let grads: FloatBuffer

    /// ALP configuration (ALP.swift); `.disabled` unless `configureALP` was called.
    public internal(set) var alp: ALPPerturbation = .disabled
    /// ALP log-scales s_l, one per block (`alp.log_scales`, [L]); outside the HF parameter arena.
    public let alpLogScales: FloatBuffer
    /// Gradient of the log-scales (accumulated by a perturbed backward when learnable).
    public let alpGrads: FloatBuffer
    var alpNoise = FloatBuffer(count: 0)
    var alpSigmaUsed: [Float]
    /// Blocks perturbed by the cached forward (empty when it was unperturbed).
    var alpApplied: Range<Int> = 0..<0

    var acts: FloatBuffer
    var actLayout: ActivationLayout?
    var llamaActs: LlamaActivationLayout?
    /// (B, T) of the cached forward, nil before the first forward.
    var cachedShape: (B: Int, T: Int)?
    /// Whether the cached forward kept what backward needs (`forward(..., forBackward:)`).
    var cachedForBackward = true
    var tokens: [Int32] = []
    /// Per-row LM-head results of the cached forward ([B·T]; row r predicts position r+1).
    var headLSE: [Float] = [], headEntropy: [Float] = [], headLogProbs: [Float] = [], headArgmax: [Int32] = []
    var headCurvature: [Float] = []
    /// When true, every forward also computes each position's exact Gauss–Newton curvature of the
    /// sampled token's log-prob (`curvatures()`, CAPO); one more pass over each logits row.
    public var tracksCurvature = false
    /// Logits rows of one head chunk plus gathered rows (GPT+Head.swift).
    var headScratch = FloatBuffer(count: 0)
    /// RoPE tables cos/sin [positions, headSize/2] (Llama), grown on demand.
    var ropeCos: [Float] = [], ropeSin: [Float] = []

    /// A model with all parameters zero (for loading weights into).
    public convenience init(config: ModelConfig) throws {
        try self.init(config: config, gradients: true)
    }

    /// A model with all parameters zero and no gradient arena (`layout.count` floats fewer), for a
    /// frozen copy that only runs forward (a previous or reference policy); `backward` is refused.
    public convenience init(inferenceOnly config: ModelConfig) throws {
        try self.init(config: config, gradients: false)
    }

    private init(config: ModelConfig, gradients: Bool) throws {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config)
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: gradients ? layout.count : 0)
        acts = FloatBuffer(count: 0)
        alpLogScales = FloatBuffer(count: config.nLayer)
        alpGrads = FloatBuffer(count: config.nLayer)
        alpSigmaUsed = [Float](repeating: 0, count: config.nLayer)
    }

    /// GPT-2 initialisation (MODEL.md "Initialisation"): weights ~ normal(0, 0.02),
    /// biases 0, norm gains 1, GPT-2's residual projections (`attn.c_proj`, `mlp.c_proj`)
    /// scaled by 1/√(2L) (Llama: normal(0, 0.02) everywhere, as transformers does).
    /// Reproducible from `seed` (Xoshiro256, tensors in layout order).
    public convenience init(config: ModelConfig, seed: UInt64) throws {
        try self.init(config: config)
        var rng = Xoshiro256(seed: seed)
        let residScale = 1 / Float(2 * config.nLayer).squareRoot()
        for t in layout.tensors {
            let p = params.base + t.offset
            if t.name.hasSuffix(".bias") {
                p.update(repeating: 0, count: t.count)
            } else if t.isVector {  // LayerNorm / RMSNorm gains
                p.update(repeating: 1, count: t.count)
            } else {
                let std: Float = t.name.hasSuffix("c_proj.weight") ? 0.02 * residScale : 0.02
                for i in 0..<t.count { p[i] = std * rng.nextGaussian() }
            }
        }
    }

    /// Total number of parameters.
    public var parameterCount: Int { layout.count }

    /// Frees the activation cache, the LM head's chunk buffer and the cached forward's results (the
    /// arena grows to the largest B·T seen and is otherwise kept). `backward` then needs a new forward.
    public func releaseActivations() {
        acts = FloatBuffer(count: 0); headScratch = FloatBuffer(count: 0)
        actLayout = nil; llamaActs = nil; cachedShape = nil; alpApplied = 0..<0
        headLSE = []; headEntropy = []; headLogProbs = []; headArgmax = []; headCurvature = []
    }

    /// Floats currently held by the activation cache (see `ModelConfig.activationBytesPerToken`).
    public var activationFloats: Int { acts.count + headScratch.count }

    /// Sets every gradient to zero (backward only accumulates).
    public func zeroGradients() { grads.zero(); alpGrads.zero() }

    /// A copy of parameter `name` (an HF name or `alp.log_scales`), or nil if there is no such tensor.
    public func parameter(_ name: String) -> [Float]? {
        if name == Self.alpLogScalesName { return alpLogScales.toArray() }
        return layout.tensor(named: name).map { Array(params.slice($0.offset, $0.count)) }
    }

    /// A copy of the gradient of `name` (an HF name or `alp.log_scales`), or nil if there is no such tensor.
    public func gradient(_ name: String) -> [Float]? {
        if name == Self.alpLogScalesName { return alpGrads.toArray() }
        return layout.tensor(named: name).map { Array(grads.slice($0.offset, $0.count)) }
    }

    /// Overwrites parameter `name`; throws on an unknown name or a wrong element count.
    public func setParameter(_ name: String, _ values: [Float]) throws {
        try copy(values, into: params, name: name)
    }

    /// Overwrites the gradient of `name`; throws on an unknown name or a wrong element count.
    public func setGradient(_ name: String, _ values: [Float]) throws {
        try copy(values, into: grads, name: name)
    }

    private func copy(_ values: [Float], into arena: FloatBuffer, name: String) throws {
        if name == Self.alpLogScalesName {
            guard values.count == config.nLayer else {
                throw PolicyError.badInput("'\(name)' has \(config.nLayer) elements, got \(values.count)")
            }
            let dst = arena === params ? alpLogScales : alpGrads
            _ = dst.buffer.update(fromContentsOf: values)
            return
        }
        guard let t = layout.tensor(named: name) else { throw PolicyError.badInput("no parameter named '\(name)'") }
        guard values.count == t.count else {
            throw PolicyError.badInput("parameter '\(name)' has \(t.count) elements, got \(values.count)")
        }
        _ = arena.slice(t.offset, t.count).update(fromContentsOf: values)
    }

    /// Copies all parameters of `other` (same config) into this model.
    public func copyParameters(from other: GPT) throws {
        guard other.config == config else { throw PolicyError.badInput("copyParameters: configurations differ") }
        params.base.update(from: other.params.base, count: layout.count)
    }
}
