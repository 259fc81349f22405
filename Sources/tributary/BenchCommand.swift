// `tributary bench` (`make bench`): performance figures as JSON lines, each ratio measured
// side by side in the same run — the learner's GFLOP/s against OpenBLAS sgemm at the update's
// own shapes, our learner and sampler against the PyTorch + Hugging Face peer on the same
// shapes (when `make bench-peer-deps` installed it), and our HTTP/2 server against nghttpd
// (docs/benchmarks.md explains every field).

import ArgumentParser
import Benchmarks
import Foundation
import Learner
import ModelFiles
import Policy
import Tensor
import Training
import Transport

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print performance figures as JSON lines.")

    @Argument(help: "What to measure: all, policy, transport, e2e or real (a pretrained model; in all when one is found).") var suite: String = "all"
    @Option(help: "Presets to measure.") var presets: [String] = ["tiny", "small", "base"]
    @Option(help: "Threads (BLAS and our kernels; the PyTorch peer gets the same number).") var threads: Int = 2
    @Option(help: "Repetitions per measurement (best kept).") var repeats: Int = 5
    @Option(help: "Python with torch and transformers for the peer (skipped when absent).") var peerPython: String?
    @Option(help: "The peer script.") var peerScript: String = "../shared/peers/torch_peer.py"
    @Option(help: "Seconds per unary transport measurement.") var unarySeconds: Double = 2
    @Option(help: "Only serve the transport bench routes on an ephemeral h2c port for this many seconds (for h2load or perf).")
    var serveSeconds: Double?
    @Option(help: "MiB per streaming transport measurement (each size × direction × transport).") var streamMib: Int = 256
    @Flag(help: "Transport suite without the h2load legs (quicker; no ratios against nghttpd).") var noH2load = false
    @Option(help: "Pretrained model for the real suite (GGUF or Hugging Face directory; default: the bundled SmolLM2).")
    var model: String?
    @Option(help: "Timed updates in the real suite, after one warm-up update on each side (each is tens of seconds at 135M parameters; one alone is noisy on the PyTorch side).") var realSteps: Int = 3
    @Option(help: "Legs of the real suite: learner, sampler, tokenizer (the peer runs the same legs).")
    var realLegs: [String] = ["learner", "sampler", "tokenizer"]
    @Option(help: "How the real suite's learner arranges its passes: automatic, per-pass or log-probs-first (to compare them; docs/benchmarks.md).")
    var realLearnerPasses: String = PassStrategy.automatic.rawValue

    func run() async throws {
        guard ["all", "policy", "transport", "e2e", "real"].contains(suite) else {
            throw RunError("bench: unknown suite '\(suite)' (all, policy, transport, e2e, real)")
        }
        let out = try JSONLines(url: nil)
        if let serveSeconds {
            try await TransportBench.serve(seconds: serveSeconds, threads: threads) { port in
                FileHandle.standardOutput.write(Data("{\"bench\":\"transport-serve\",\"port\":\(port)}\n".utf8))
            }
            return
        }
        if suite == "all" || suite == "policy" { try policy(out) }
        if suite == "all" || suite == "transport" { try await transport(out) }
        if suite == "all" || suite == "e2e" { try await e2e(out) }
        if suite == "all" || suite == "real" {
            guard let url = model.map({ URL(fileURLWithPath: $0) }) ?? BundledModels.smolLM2() else {
                if suite == "real" { throw RunError("bench real: no model (make deps installs SmolLM2; or pass --model)") }
                return
            }
            var bench = RealModelBench(model: url, threads: threads)
            bench.learnerSteps = realSteps
            bench.legs = Set(realLegs)
            guard let passes = PassStrategy(rawValue: realLearnerPasses) else {
                throw RunError("bench: --real-learner-passes '\(realLearnerPasses)' (automatic, per-pass, log-probs-first)")
            }
            bench.learnerPasses = passes
            bench.peerPython = peerPython
            try bench.run(out)
        }
    }

    func policy(_ out: JSONLines) throws {
        let report = try PolicyBench.run(presets: presets, threads: threads, vocabSize: 16, repeats: repeats)
        for p in report.presets {
            var row: [String: AnyJSON] = [
                "bench": "policy", "preset": .s(p.preset), "threads": .d(Double(threads)), "parameters": .d(Double(p.parameters)),
                "sgemm_peak_gflops": .d(p.sgemmPeakGflops),
                "learner_tokens_per_s": .d(p.learner.tokensPerSecond), "learner_gflops": .d(p.learner.gflops),
                "learner_fraction_of_sgemm_peak": .d(p.learner.fractionOfPeak),
                "sampler_tokens_per_s": .d(p.sampler.tokensPerSecond),
            ]
            if let peer = try runPeer(preset: p.preset) {
                row["peer"] = .s(peer.name)
                row["peer_learner_tokens_per_s"] = .d(peer.learner)
                row["peer_sampler_tokens_per_s"] = .d(peer.sampler)
                row["learner_vs_peer"] = .d(p.learner.tokensPerSecond / peer.learner)
                row["sampler_vs_peer"] = .d(p.sampler.tokensPerSecond / peer.sampler)
            } else {
                row["peer"] = .s("not measured (make bench-peer-deps installs torch + transformers)")
            }
            try out.write(row)
        }
    }

    func transport(_ out: JSONLines) async throws {
        var o = TransportBench.Options()
        o.unarySeconds = unarySeconds
        o.includeH2Load = !noH2load
        o.streamBytes = streamMib << 20
        let report = try await TransportBench.run(o)
        try out.write(report)
    }

    /// Runs the PyTorch peer for `preset`: (name, learner tok/s, sampler tok/s).
    func runPeer(preset: String) throws -> (name: String, learner: Double, sampler: Double)? {
        guard let py = peerPython,
              let obj = try PeerProcess.run(python: py, script: peerScript, ["--preset", preset, "--threads", "\(threads)"]) else {
            return nil
        }
        guard let l = (obj["learner_tokens_per_s"] as? NSNumber)?.doubleValue,
              let s = (obj["sampler_tokens_per_s"] as? NSNumber)?.doubleValue else {
            throw RunError("the PyTorch peer failed for preset \(preset) (\(py) \(peerScript))")
        }
        return (obj["peer"] as? String ?? "torch", l, s)
    }
}

/// A peer program (a Python script measuring the same work with PyTorch) run to completion: its
/// last stdout line as a JSON object, nil when the Python or the script is not there.
enum PeerProcess {
    static func run(python: String, script: String, _ arguments: [String]) throws -> [String: Any]? {
        guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.fileExists(atPath: script) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice     // the peer's library warnings would break the JSON lines
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw RunError("the peer failed: \(python) \(script) \(arguments.joined(separator: " "))")
        }
        return obj
    }
}

/// A JSON scalar for heterogeneous bench rows.
enum AnyJSON: Encodable {
    case s(String), d(Double)
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .s(v): try c.encode(v)
        case let .d(v): try c.encode((v * 1000).rounded() / 1000)
        }
    }
}

extension AnyJSON: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .s(value) }
}
