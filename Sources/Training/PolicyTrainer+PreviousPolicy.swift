// π_k for MDPO's exact KL (`previous_kl = input`, Objectives MDPO.swift, ALGORITHMS.md §5.17):
// the policy at the start of the current iteration, one iteration being one `update` (K epochs ×
// M minibatches). `update` copies the weights into a frozen inference-only model (allocated on
// first use, reused afterwards; only for this setting), and every pass that computes log-probs
// runs it forward on the same rows, so `GPT.previousKL(to:)` gives the exact per-position
// KL(π_θ ‖ π_k) and `GPT.backward(…dPreviousKL:previous:)` its gradient (GPT+PreviousKL.swift).
// The backward needs π_k's forward on exactly the rows going backward: each place that runs the
// model forward before a backward (PolicyTrainer.swift, PolicyTrainer+RowPasses.swift) runs π_k
// forward too. π_k has no ALP noise (it is a denominator, like π_prox and μ). Memory: one more
// parameter arena (no gradient arena) and one inference-only pass's activations.

import Objectives
import Policy
import Rollout

extension PolicyTrainer {
    /// Makes `previousPolicy` a copy of the current weights when the objective takes the exact KL
    /// to π_k (`previous_kl = input`); otherwise does nothing.
    func snapshotPreviousPolicy() throws {
        guard settings.objective.previousKL == .input else { return }
        let previous = try previousPolicy ?? GPT(inferenceOnly: model.config)
        try previous.copyParameters(from: model)
        previousPolicy = previous
    }

    /// When the objective takes the exact KL to π_k: runs π_k forward (inference only) on `b`'s
    /// rows and returns it, ready for `previousKL(to:)` and the backward of a model forward on the
    /// same rows. Without a snapshot (a minibatch gradient outside `update`), the current weights
    /// are π_k, as at the first minibatch of an update. Nil for every other objective.
    func forwardPrevious(_ b: TrainingBatch) throws -> GPT? {
        guard settings.objective.previousKL == .input else { return nil }
        if previousPolicy == nil { try snapshotPreviousPolicy() }
        guard let previous = previousPolicy else { return nil }
        _ = try previous.forward(tokens: b.tokens, batch: b.count, length: b.length, forBackward: false)
        return previous
    }
}
