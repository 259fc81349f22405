// `tributary bench` (`make bench`): performance figures as JSON lines, each ratio measured
// side by side in the same run (docs/benchmarks.md explains every field).

import ArgumentParser
import Foundation
import Policy
import Tensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print performance figures as JSON lines.")

    @Option(help: "Presets to measure.")
    var presets: [String] = ["tiny", "small", "base"]

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @Option(help: "Repetitions per measurement (the best is reported).")
    var repeats: Int = 5

    func run() throws {
        Blas.setThreads(threads)
        let out = try JSONLines(url: nil)
        let peak = PolicyBench.sgemmGFLOPS()
        try out.write(["bench": "sgemm", "threads": "\(threads)", "gflops": String(format: "%.1f", peak)])
        for preset in presets {
            let l = try PolicyBench.learner(preset: preset, vocabSize: 16, batch: 128, length: 24, repeats: repeats)
            let s = try PolicyBench.samplerTokensPerSecond(preset: preset, vocabSize: 16)
            try out.write([
                "bench": "policy", "preset": preset, "threads": "\(threads)",
                "learner_tokens_per_s": String(format: "%.0f", l.tokensPerSecond),
                "learner_gflops": String(format: "%.1f", l.gflops),
                "learner_fraction_of_sgemm_peak": String(format: "%.3f", l.gflops / peak),
                "sampler_tokens_per_s": String(format: "%.0f", s),
            ])
        }
    }
}
