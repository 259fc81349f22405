// Shared helpers for the objective tests: a seeded generator, one-token batches, a random
// batch with every optional input, and a finite-difference check of dLoss/dlogπ that holds
// the stop-gradient values fixed and skips kinks (left and right slopes disagree).
import Rollout
import XCTest
import Foundation
@testable import Objectives
import Tensor

/// SplitMix64 (the Tensor module's), so random tests are reproducible.
typealias SeededRNG = SplitMix64

/// One sequence of `ratios.count` tokens with log μ = 0 and log π = log r.
func oneSequence(_ cfg: ObjectiveConfig, ratios: [Double], a: Float, state: ObjectiveState? = nil,
                 edit: (inout TokenBatch) -> Void = { _ in }) throws -> ObjectiveResult {
    var batch = TokenBatch(count: 1, length: ratios.count, behaviourLogProbs: ratios.map { _ in 0 },
                           mask: ratios.map { _ in 1 }, advantages: [a])
    edit(&batch)
    let lp = ratios.map { Float(log($0)) }
    return try objectiveLoss(cfg, state: state ?? ObjectiveState(config: cfg), batch: batch, logProbs: lp)
}

/// The ratio the kernel actually sees for `r` (log π is stored as Float).
func seen(_ r: Double) -> Double { exp(Double(Float(log(r)))) }

/// A random batch: `groups` groups of `g` sequences, `length` positions, the first two of each
/// row a prompt (mask 0); binary rewards with variance in every group but the last when
/// `zeroVarianceGroup`; versions up to 3 behind learner version 10; every optional input set.
func randomBatch(seed: UInt64, groups: Int = 3, g: Int = 4, length: Int = 6, zeroVarianceGroup: Bool = true,
                 spread: Float = 0.3) -> (batch: TokenBatch, logProbs: [Float]) {
    var rng = SeededRNG(seed: seed)
    let n = groups * g
    var mask = [Float](repeating: 0, count: n * length)
    for i in 0..<n {
        let len = Int.random(in: 2...(length - 2), using: &rng)
        for t in 2..<(2 + len) { mask[i * length + t] = 1 }
    }
    let beh = mask.map { $0 * Float.random(in: -2.5 ... -0.2, using: &rng) }
    var rewards = [Float](repeating: 0, count: n)
    for grp in 0..<groups {
        for j in 0..<g { rewards[grp * g + j] = Float.random(in: 0...1, using: &rng) < 0.5 ? 1 : 0 }
        if zeroVarianceGroup && grp == groups - 1 { for j in 0..<g { rewards[grp * g + j] = 1 } } else {
            rewards[grp * g] = 1; rewards[grp * g + 1] = 0
        }
    }
    let ids = (0..<n).map { Int32($0 / g) }
    let adv = try! AdvantageEstimator.grpo.advantages(rewards: rewards, groupIDs: ids)
    var b = TokenBatch(count: n, length: length, behaviourLogProbs: beh, mask: mask, advantages: adv)
    b.rewards = rewards; b.groupIDs = ids
    b.versions = (0..<n).map { i in PolicyVersion(UInt64(10 - (i / g) % 4)) }
    b.learnerVersion = 10
    let lp = zip(beh, mask).map { $0 + $1 * Float.random(in: -spread...spread, using: &rng) }
    b.proximalLogProbs = zip(beh, mask).map { $0 + $1 * Float.random(in: -0.1...0.1, using: &rng) }
    b.referenceLogProbs = zip(beh, mask).map { $0 + $1 * Float.random(in: -0.2...0.2, using: &rng) }
    b.entropy = mask.map { _ in Float.random(in: 0.1...2, using: &rng) }
    b.previousKL = mask.map { _ in Float.random(in: 0...0.05, using: &rng) }
    return (b, lp)
}

/// Checks the kernel's dLoss/dlogπ against central differences at every masked position away
/// from kinks; returns how many positions were checked.
@discardableResult
func checkFiniteDifferences(_ cfg: ObjectiveConfig, batch: TokenBatch, logProbs lp: [Float],
                            state: ObjectiveState? = nil, h: Float = 2e-3, kink: Double = 5e-4,
                            file: StaticString = #filePath, line: UInt = #line) throws -> Int {
    let st = state ?? ObjectiveState(config: cfg)
    let res = try objectiveLoss(cfg, state: st, batch: batch, logProbs: lp, detachedLogProbs: lp)
    func f(_ k: Int, _ d: Float) throws -> (Double, Double) {
        var p = lp; p[k] += d
        let v = try objectiveLoss(cfg, state: st, batch: batch, logProbs: p, detachedLogProbs: lp).loss
        return (v, Double(p[k]) - Double(lp[k]))
    }
    var checked = 0
    for k in 0..<lp.count where batch.mask[k] != 0 {
        let (fp, dp) = try f(k, h), (fm, dm) = try f(k, -h)
        let right = (fp - res.loss) / dp, left = (res.loss - fm) / -dm
        if abs(right - left) > kink * max(1, abs(right)) { continue }  // a kink: skip
        let central = (fp - fm) / (dp - dm)
        XCTAssertEqual(Double(res.dLogProbs[k]), central, accuracy: 2e-5 + 1e-3 * abs(central),
                       "\(cfg.name) position \(k)", file: file, line: line)
        checked += 1
    }
    return checked
}
