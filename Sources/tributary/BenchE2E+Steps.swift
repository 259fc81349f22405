// `tributary bench e2e`: where the time of a pinned run goes, from the learner's `/history`.
// Steps split into updates (the version changed) and steps without signal (it did not), each
// with the mean gap to the previous step. From the two modes' figures, the speed-up a perfect
// asynchronous pipeline could reach on the synchronous run's own steps: each step costs
// sync mode generation + update + round trip, and a perfect pipeline only the slower of
// generation and update (docs/benchmarks.md, "The ceiling").

import Foundation
import Worker

/// The steps of one run, split by whether they changed the weights.
struct StepMix {
    var updates = 0
    var withoutSignal = 0
    /// Mean seconds between an update step and the step before it.
    var updateGap = 0.0
    /// Mean seconds between a step without signal and the step before it.
    var withoutSignalGap = 0.0
    /// Mean learner update time (`stepSeconds`) of the update steps.
    var updateSeconds = 0.0

    /// From `/history` points (`time`, `version`, `stepSeconds`), oldest first.
    init(history points: [[String: Any]]) {
        var gapsU: [Double] = [], gapsZ: [Double] = [], seconds: [Double] = []
        for (previous, p) in zip(points, points.dropFirst()) {
            guard let t0 = previous["time"] as? Double, let t1 = p["time"] as? Double,
                  let v0 = previous["version"] as? Int, let v1 = p["version"] as? Int else { continue }
            if v1 != v0 {
                gapsU.append(t1 - t0)
                if let s = p["stepSeconds"] as? Double { seconds.append(s) }
            } else {
                gapsZ.append(t1 - t0)
            }
        }
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        updates = gapsU.count; withoutSignal = gapsZ.count
        updateGap = mean(gapsU); withoutSignalGap = mean(gapsZ); updateSeconds = mean(seconds)
    }

    init() {}

    /// Step-weighted mean of several runs' mixes.
    static func pooled(_ mixes: [StepMix]) -> StepMix {
        var m = StepMix()
        m.updates = mixes.reduce(0) { $0 + $1.updates }
        m.withoutSignal = mixes.reduce(0) { $0 + $1.withoutSignal }
        func weighted(_ k: KeyPath<StepMix, Double>, _ n: KeyPath<StepMix, Int>) -> Double {
            let total = mixes.reduce(0) { $0 + $1[keyPath: n] }
            return total == 0 ? 0 : mixes.reduce(0) { $0 + $1[keyPath: k] * Double($1[keyPath: n]) } / Double(total)
        }
        m.updateGap = weighted(\.updateGap, \.updates)
        m.withoutSignalGap = weighted(\.withoutSignalGap, \.withoutSignal)
        m.updateSeconds = weighted(\.updateSeconds, \.updates)
        return m
    }

    /// The speed-up over `sync` a perfect pipeline could reach on sync's own steps. `generation`
    /// is the seconds the workers need per batch: the asynchronous run's gap on steps without
    /// signal, where the learner has nothing to do and waits for the workers.
    static func ceiling(sync: StepMix, generation: Double) -> Double {
        let syncTime = Double(sync.updates) * sync.updateGap + Double(sync.withoutSignal) * sync.withoutSignalGap
        let perfect = Double(sync.updates) * max(generation, sync.updateSeconds) + Double(sync.withoutSignal) * generation
        return perfect > 0 ? syncTime / perfect : 0
    }
}

extension Bench {
    /// The learner's `/history` as JSON objects (empty when unreachable).
    func fetchHistory(_ url: LearnerURL) async -> [[String: Any]] {
        guard let (code, body) = try? await LearnerGET.fetch(url, path: "/history", token: nil, caFile: nil), code == 200,
              let points = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else { return [] }
        return points
    }
}
