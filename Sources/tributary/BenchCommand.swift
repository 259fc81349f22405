// `tributary bench` (`make bench`): performance figures as JSON lines, each ratio measured
// side by side in the same run: our learner's GFLOP/s against OpenBLAS's sgemm peak, and,
// when a PyTorch peer is installed (`make bench-peer-deps`), our learner and sampler
// tokens/s against Hugging Face + PyTorch on the same shapes (docs/benchmarks.md).

import ArgumentParser
import Foundation
import Learner
import Policy
import Tensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print performance figures as JSON lines.")

    @Option(help: "Presets to measure.")
    var presets: [String] = ["tiny", "small", "base"]

    @Option(help: "OpenBLAS threads (the PyTorch peer gets the same number).")
    var threads: Int = 2

    @Option(help: "Repetitions per measurement.")
    var repeats: Int = 5

    @Option(help: "Python interpreter with torch and transformers for the peer (skipped when absent).")
    var peerPython: String?

    @Option(help: "The peer script (shared/peers/torch_peer.py).")
    var peerScript: String = "../shared/peers/torch_peer.py"

    func run() throws {
        Blas.setThreads(threads)
        let out = try JSONLines(url: nil)
        let peak = PolicyBench.sgemmGFLOPS()
        try out.write(["bench": "sgemm", "threads": "\(threads)", "gflops": String(format: "%.1f", peak)])
        for preset in presets {
            let l = try PolicyBench.learner(preset: preset, vocabSize: 16, batch: 128, length: 24, repeats: repeats)
            let s = try PolicyBench.samplerTokensPerSecond(preset: preset, vocabSize: 16)
            var row: [String: String] = [
                "bench": "policy", "preset": preset, "threads": "\(threads)",
                "learner_tokens_per_s": String(format: "%.0f", l.tokensPerSecond),
                "learner_gflops": String(format: "%.1f", l.gflops),
                "learner_fraction_of_sgemm_peak": String(format: "%.3f", l.gflops / peak),
                "sampler_tokens_per_s": String(format: "%.0f", s),
            ]
            if let peer = try runPeer(preset: preset) {
                row["peer"] = peer.name
                row["peer_learner_tokens_per_s"] = String(format: "%.0f", peer.learner)
                row["peer_sampler_tokens_per_s"] = String(format: "%.0f", peer.sampler)
                row["learner_vs_peer"] = String(format: "%.2f", l.tokensPerSecond / peer.learner)
                row["sampler_vs_peer"] = String(format: "%.2f", s / peer.sampler)
            } else {
                row["peer"] = "not measured (make bench-peer-deps installs torch + transformers)"
            }
            try out.write(row)
        }
    }

    /// Runs the PyTorch peer for `preset` and returns (name, learner tok/s, sampler tok/s).
    func runPeer(preset: String) throws -> (name: String, learner: Double, sampler: Double)? {
        guard let py = peerPython, FileManager.default.isExecutableFile(atPath: py),
              FileManager.default.fileExists(atPath: peerScript) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = [peerScript, "--preset", preset, "--threads", "\(threads)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let l = obj["learner_tokens_per_s"] as? Double ?? (obj["learner_tokens_per_s"] as? Int).map(Double.init),
              let s = obj["sampler_tokens_per_s"] as? Double ?? (obj["sampler_tokens_per_s"] as? Int).map(Double.init) else {
            throw RunError("the PyTorch peer failed for preset \(preset) (\(py) \(peerScript))")
        }
        return (obj["peer"] as? String ?? "torch", l, s)
    }
}
