// `tributary bench real`: the learner, the sampler and the tokenizer on a real pretrained model
// (SmolLM2-135M-Instruct from its GGUF by default), side by side with PyTorch + transformers on
// the same model, shapes and threads in the same run (bench/peers/real_model_peer.py), and the
// peak RSS of the update. docs/benchmarks.md "Real model" explains the fields.

import Benchmarks
import Foundation
import ModelFiles
import Objectives
import Policy
import Pretrained
import Learner
import Rollout
import Tensor
import Training

struct RealModelBench {
    var model: URL
    var threads: Int
    var learnerSeqs = 64, seqLen = 96, learnerSteps = 3
    var samplerSeqs = 16, promptLen = 32, newTokens = 64
    var peerPython: String?
    /// Which legs to run (`learner`, `sampler`, `tokenizer`); the peer runs the same legs.
    var legs: Set<String> = ["learner", "sampler", "tokenizer"]
    /// How the learner leg arranges its passes (`PolicyTrainer.passStrategy`).
    var learnerPasses = PassStrategy.automatic
    var peerScript = "bench/peers/real_model_peer.py"

    func run(_ out: JSONLines) throws {
        Blas.setThreads(threads)
        let t0 = Date()
        let loaded = try PretrainedModel.load(model)
        let loadSeconds = Date().timeIntervalSince(t0)
        let m = loaded.model, V = m.config.vocabSize
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-bench-corpus-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: corpus) }
        let text = Self.corpus()
        try text.write(to: corpus, atomically: true, encoding: .utf8)

        // Learner first, so the process's peak RSS (VmHWM) is the update's (loading peaks lower).
        let learner = legs.contains("learner") ? try learnerTokensPerSecond(m, vocab: V) : 0
        let peakRSS = Self.peakRSSBytes()
        // Also the same sampler leg with every product on OpenBLAS (no few-rows kernel), interleaved.
        let (sampler, samplerOpenBLAS) = legs.contains("sampler") ? try samplerTokensPerSecond(m, vocab: V) : (0, 0)
        let decodeGemm = legs.contains("sampler") ? DecodeGemmBench.run(m, rows: samplerSeqs) : []
        let tokenizer = legs.contains("tokenizer") ? tokenizerMBPerSecond(loaded.tokenizer, text: text) : 0
        var row: [String: AnyJSON] = [
            "bench": "real-model", "model": .s(model.lastPathComponent), "threads": .d(Double(threads)),
            "parameters": .d(Double(m.parameterCount)), "load_seconds": .d(loadSeconds),
            "update_sequences": .d(Double(learnerSeqs)), "update_length": .d(Double(seqLen)),
            "learner_passes": .s(learnerPasses.rawValue),
            "learner_tokens_per_s": .d(learner), "update_peak_rss_gib": .d(Double(peakRSS) / Double(1 << 30)),
            "sampler_sequences": .d(Double(samplerSeqs)), "sampler_new_tokens": .d(Double(newTokens)),
            "sampler_tokens_per_s": .d(sampler), "sampler_openblas_only_tokens_per_s": .d(samplerOpenBLAS),
            "tokenizer_mb_per_s": .d(tokenizer),
        ]
        if !legs.isEmpty, let peer = try runPeer(corpus: corpus) {
            row["peer"] = .s(peer["peer"] as? String ?? "torch")
            for (k, ours) in [("learner_tokens_per_s", learner), ("sampler_tokens_per_s", sampler), ("tokenizer_mb_per_s", tokenizer)] {
                guard ours > 0, let theirs = (peer[k] as? NSNumber)?.doubleValue else { continue }
                row["peer_" + k] = .d(theirs)
                row[k.replacingOccurrences(of: "_tokens_per_s", with: "").replacingOccurrences(of: "_mb_per_s", with: "") + "_vs_peer"] = .d(ours / theirs)
            }
        } else {
            row["peer"] = .s("not measured (make bench-peer-deps installs torch + transformers)")
        }
        try out.write(row)
        try writeDecodeGemm(decodeGemm, out)
    }

    /// One line per product shape of a decode step (few-rows kernel against OpenBLAS, interleaved
    /// on the model's weights) and one for the whole step (every shape × its matrices).
    func writeDecodeGemm(_ results: [DecodeGemmBench.Result], _ out: JSONLines) throws {
        guard !results.isEmpty else { return }
        for r in results {
            let line: [String: AnyJSON] = [
                "bench": "decode-gemm", "shape": .s(r.shape), "rows": .d(Double(r.rows)), "k": .d(Double(r.k)),
                "n": .d(Double(r.n)), "threads": .d(Double(threads)), "kernel_gb_per_s": .d(r.kernelGBPerSecond),
                "openblas_gb_per_s": .d(r.openblasGBPerSecond), "kernel_vs_openblas": .d(r.speedup),
            ]
            try out.write(line)
        }
        let kernel = results.reduce(0) { $0 + $1.kernelSeconds * Double($1.matrices) }
        let blas = results.reduce(0) { $0 + $1.openblasSeconds * Double($1.matrices) }
        let bytes = results.reduce(0) { $0 + 4 * Double($1.k * $1.n * $1.matrices) }
        let step: [String: AnyJSON] = [
            "bench": "decode-gemm", "shape": "step", "rows": .d(Double(results[0].rows)), "threads": .d(Double(threads)),
            "weight_mb": .d(bytes / 1e6), "kernel_ms": .d(kernel * 1e3), "openblas_ms": .d(blas * 1e3),
            "kernel_gb_per_s": .d(bytes / kernel / 1e9), "openblas_gb_per_s": .d(bytes / blas / 1e9),
            "kernel_vs_openblas": .d(blas / kernel),
        ]
        try out.write(step)
    }

    /// One GRPO update (1 epoch × 1 minibatch, one AdamW step) over `learnerSeqs` random sequences
    /// of `seqLen` tokens, loss on the last 2/3 of each; behaviour log-probs from the model itself.
    func learnerTokensPerSecond(_ m: GPT, vocab V: Int) throws -> Double {
        var rng = Xoshiro256(seed: 3)
        let (N, T) = (learnerSeqs, seqLen)
        let tokens = (0..<(N * T)).map { _ in Int32(rng.next() % UInt64(V)) }
        var mask = [Float](repeating: 0, count: N * T)
        for i in 0..<N { for t in (T / 3)..<T { mask[i * T + t] = 1 } }
        var settings = UpdateSettings(epochs: 1, minibatches: 1, optimizer: AdamWConfig(learningRate: 1e-6))
        settings.objective = try ObjectiveConfig.parse(name: "grpo", overrides: [:])
        let trainer = try PolicyTrainer(model: m, settings: settings)
        trainer.passStrategy = learnerPasses
        var behaviour = [Float]()
        let rows = trainer.rowsPerPass(length: T)
        for start in stride(from: 0, to: N, by: rows) {
            let n = min(rows, N - start)
            behaviour += try m.forward(tokens: Array(tokens[(start * T)..<((start + n) * T)]), batch: n, length: T)
        }
        behaviour = zip(behaviour, mask).map { $0 * $1 }
        let groups = max(1, N / 16)
        let advantages: [Float] = (0..<N).map { i in
            let sign: Float = i % 2 == 0 ? 1 : -1
            return sign * Float(1 + i % 3) / 2
        }
        let rewards = advantages.map { $0 > 0 ? Float(1) : 0 }
        let batch = TrainingBatch(count: N, length: T, tokens: tokens, lossMask: mask, behaviourLogProbs: behaviour,
                                  rewards: rewards, advantages: advantages, groupIDs: (0..<N).map { Int32($0 % groups) },
                                  versions: Array(repeating: 0, count: N), correct: rewards.map { $0 > 0 })
        try trainer.update(batch, learnerVersion: 0, shuffleSeed: 1)   // warm-up: allocates AdamW state
        let t = Date()
        for s in 0..<learnerSteps { try trainer.update(batch, learnerVersion: 0, shuffleSeed: UInt64(2 + s)) }
        return Double(learnerSteps * N * T) / Date().timeIntervalSince(t)
    }

    /// KV-cached sampling at τ = 1 of `samplerSeqs` distinct random prompts, `newTokens` each (no end
    /// token, so every sequence runs to the limit); behaviour log-probs recorded. Returns the best
    /// of 2 after a warm-up, and the same with the few-rows kernel off (`Blas.fewRowsMaxRows` = 0:
    /// every product on OpenBLAS), the two alternating so that load from other processes hits both.
    func samplerTokensPerSecond(_ m: GPT, vocab V: Int) throws -> (Double, openBLASOnly: Double) {
        var rng = Xoshiro256(seed: 4)
        let prompts = (0..<samplerSeqs).map { _ in (0..<promptLen).map { _ in Int32(rng.next() % UInt64(V)) } }
        let sampler = Sampler(model: m)
        let options = SamplingOptions(maxNewTokens: newTokens)
        _ = try sampler.generate(prompts: prompts, options: options, rng: &rng)
        var best = [Double.infinity, Double.infinity]
        for _ in 0..<2 {
            for (i, limit) in [Blas.fewRowsMaxRows, 0].enumerated() {
                let t = Date()
                _ = try withFewRows(limit) { try sampler.generate(prompts: prompts, options: options, rng: &rng) }
                best[i] = min(best[i], Date().timeIntervalSince(t))
            }
        }
        return (Double(samplerSeqs * newTokens) / best[0], Double(samplerSeqs * newTokens) / best[1])
    }

    /// Encoding speed of the model's tokenizer on `text`, line by line (best of 3).
    func tokenizerMBPerSecond(_ tok: ModelTokenizer, text: String) -> Double {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var best = Double.infinity, count = 0
        for _ in 0..<3 {
            let t = Date()
            count = lines.reduce(0) { $0 + tok.bpe.encode($1).count }
            best = min(best, Date().timeIntervalSince(t))
        }
        precondition(count > 0)
        return Double(text.utf8.count) / best / 1e6
    }

    /// About 2 MB of mixed text: prose, code, numbers, Unicode and emoji, deterministic.
    static func corpus() -> String {
        let pieces = [
            "The quick brown fox jumps over the lazy dog; it didn't, they'll say, but we've seen it.",
            "def add(a: int, b: int) -> int:\n    return a + b  # 12345 + 678 = 13023",
            "Größe, naïve café — 東京は晴れ、気温は23度。 مرحبا بالعالم  Привет, мир!",
            "What is 7 plus 5? Reply with just the number. 12\n\n   \t  indented    spaces",
            "Emoji: 😀👍🏽👨‍👩‍👧 🇫🇷 and <|im_start|>user\nhi<|im_end|> markers, 3.14159, 1,000,000.",
        ]
        var rng = Xoshiro256(seed: 7)
        var lines: [String] = []
        var bytes = 0
        while bytes < 2_000_000 {
            let line = pieces[Int(rng.next() % UInt64(pieces.count))] + " \(rng.next() % 100_000)"
            lines.append(line); bytes += line.utf8.count + 1
        }
        return lines.joined(separator: "\n")
    }

    /// The process's peak resident set (VmHWM of /proc/self/status), in bytes; 0 where unavailable.
    static func peakRSSBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    /// `body` with `Blas.fewRowsMaxRows` set to `limit`, restored afterwards.
    func withFewRows<T>(_ limit: Int, _ body: () throws -> T) rethrows -> T {
        let saved = Blas.fewRowsMaxRows
        Blas.fewRowsMaxRows = limit
        defer { Blas.fewRowsMaxRows = saved }
        return try body()
    }

    /// The peer on the same legs (its sampler always runs; learner and tokenizer when chosen).
    func runPeer(corpus: URL) throws -> [String: Any]? {
        guard let py = peerPython else { return nil }
        return try PeerProcess.run(python: py, script: peerScript, [
            "--model", model.path, "--threads", "\(threads)", "--learner-seqs", "\(learnerSeqs)", "--seq-len", "\(seqLen)",
            "--learner-steps", "\(legs.contains("learner") ? learnerSteps : 0)", "--sampler-seqs", "\(samplerSeqs)",
            "--prompt-len", "\(promptLen)", "--new-tokens", "\(newTokens)"]
            + (legs.contains("tokenizer") ? ["--text", corpus.path] : []))
    }
}
