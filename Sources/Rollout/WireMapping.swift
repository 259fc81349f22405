// The one mapping between the RL data model and the wire (proto/PROTOCOL.md §6.5): a wire
// `TrajectoryGroup` as a `RolloutGroup` for training and back (with the reference channel of
// §6.5.3: the task's demonstration and the hint length), the wire codes of `FinishReason`, and
// the model shape a `Welcome` carries.

import Policy
import Wire

extension FinishReason {
    /// The protocol's code: a stop string counts as an end (the protocol has no separate code).
    package var wire: FinishCode {
        switch self {
        case .end, .stop: return .end
        case .length: return .length
        case .error: return .error
        }
    }

    package init(wire: FinishCode) {
        switch wire {
        case .end: self = .end
        case .length: self = .length
        case .error: self = .error
        }
    }
}

extension PolicyVersion {
    /// The version a wire message carries.
    package init(wire: UInt64) { self.init(wire) }
    package var wire: UInt64 { rawValue }
}

extension RolloutGroup {
    /// The training view of a wire group (the reward components stay with the wire group).
    package init(_ g: TrajectoryGroup) {
        let offsets = g.sampleOffsets
        var samples: [ScoredSample] = []
        samples.reserveCapacity(g.sampleCount)
        for i in 0..<g.sampleCount {
            let r = offsets[i]..<offsets[i + 1]
            samples.append(ScoredSample(tokens: Array(g.completionTokens[r]), logProbs: Array(g.logProbs[r]),
                                        reward: g.rewards[i], correct: g.correct[i],
                                        finish: FinishReason(wire: g.finishReasons[i])))
        }
        self.init(promptIndex: Int(g.promptIndex), prompt: g.promptTokens, version: PolicyVersion(wire: g.policyVersion),
                  samples: samples, reference: g.referenceTokens, hint: Int(g.hintTokens))
    }

    /// The wire group of this group for work unit `leaseId` (PROTOCOL.md §6.5): its prompt (the
    /// unit's prompt plus any hint), samples, reference and hint. `components[i]` / `failureCodes[i]`
    /// as in `wireSamples`.
    package func wire(leaseId: UInt64, workerId: UInt64, components: [[Float]] = [], failureCodes: [[UInt8]] = [],
                      rewardComponents: [String] = []) -> TrajectoryGroup {
        TrajectoryGroup(leaseId: leaseId, promptIndex: UInt64(promptIndex), promptTokens: prompt, policyVersion: version.wire,
                        workerId: workerId, samples: wireSamples(components: components, failureCodes: failureCodes),
                        rewardComponents: rewardComponents, referenceTokens: reference,
                        hintTokens: UInt32(max(0, min(hint, prompt.count))))
    }

    /// The wire samples of this group; `components[i]` / `failureCodes[i]` are sample i's reward
    /// components and failure codes (empty when the task has no composite reward).
    package func wireSamples(components: [[Float]] = [], failureCodes: [[UInt8]] = []) -> [Sample] {
        samples.enumerated().map { i, s in
            Sample(tokens: s.tokens, logProbs: s.logProbs, reward: s.reward, correct: s.correct, finishReason: s.finish.wire,
                   components: components.isEmpty ? [] : components[i],
                   componentFailures: failureCodes.isEmpty ? [] : failureCodes[i])
        }
    }
}

extension ModelConfig {
    /// The GPT-2 shape of a Welcome's `model` with every other hyper-parameter at its default
    /// (what learners before schema 2 describe; the full config travels as `modelConfigJSON`).
    package init(wire m: ModelShape) {
        self.init(vocabSize: Int(m.vocabSize), nPositions: Int(m.nPositions), nEmbd: Int(m.nEmbd),
                  nLayer: Int(m.nLayer), nHead: Int(m.nHead))
    }

    /// The shape a Welcome carries.
    package var wireShape: ModelShape {
        ModelShape(vocabSize: UInt32(vocabSize), nPositions: UInt32(nPositions), nEmbd: UInt32(nEmbd),
                   nLayer: UInt32(nLayer), nHead: UInt32(nHead))
    }
}
