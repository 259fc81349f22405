// A task's reward: a weighted list of components (built-ins, external programs, reward
// servers), each recorded per sample, plus a separate `correct` predicate for accuracy.
// A component that fails or gives a non-finite value contributes 0 and a typed failure;
// nothing is thrown and nothing propagates NaN into the total.

import Foundation

/// One component of a composite reward.
package struct RewardComponent: Sendable {
    package enum Source: Sendable {
        case local(any RewardFunction)
        case external(any BatchRewardSource)
    }

    /// Unique within the composite; names the component in metrics (`label`) and rules.
    package var label: String
    package var weight: Double
    package var source: Source

    package init(label: String, weight: Double, source: Source) {
        self.label = label
        self.weight = weight
        self.source = source
    }
}

/// One component's value for one sample.
package struct ComponentScore: Sendable, Hashable {
    package var label: String
    package var weight: Double
    /// The component's value (0 when it failed).
    package var value: Double
    /// At its maximum: a local reward with `value >= range.upperBound`; an external reward that said `correct`.
    package var atMax: Bool
    /// Why it could not be scored, if so.
    package var failure: RewardFailure?
}

/// A sample's reward: the weighted total, each component, and `correct`.
package struct CompositeScore: Sendable, Hashable {
    /// `Σ weight · value` over the components (failed components count 0). Always finite.
    package var total: Double
    package var correct: Bool
    package var components: [ComponentScore]

    /// The failures of this sample's components.
    package var failures: [RewardFailure] { components.compactMap(\.failure) }
}

/// When a sample counts as correct (for accuracy; it does not change the reward).
package indirect enum CorrectRule: Sendable, Hashable, CustomStringConvertible {
    /// Every component at its maximum (no failures). The default.
    case allAtMax
    /// The named component at its maximum.
    case atMax(String)
    /// The named component's value ≥ the threshold.
    case atLeast(String, Double)
    /// The weighted total ≥ the threshold.
    case totalAtLeast(Double)

    /// Reads `all`, `total>=X`, `LABEL` or `LABEL>=X`.
    package init(parsing text: String) throws(RewardSpecError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "all" { self = .allAtMax; return }
        if let r = t.range(of: ">=") {
            let lhs = t[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let rhs = t[r.upperBound...].trimmingCharacters(in: .whitespaces)
            guard let x = Double(rhs), x.isFinite else { throw .badCorrectRule(text, reason: "\"\(rhs)\" is not a number") }
            guard !lhs.isEmpty else { throw .badCorrectRule(text, reason: "no component before >=") }
            self = lhs == "total" ? .totalAtLeast(x) : .atLeast(lhs, x)
            return
        }
        guard !t.isEmpty else { throw .badCorrectRule(text, reason: "empty") }
        self = .atMax(t)
    }

    package var description: String {
        switch self {
        case .allAtMax: return "all"
        case let .atMax(l): return l
        case let .atLeast(l, x): return "\(l)>=\(x)"
        case let .totalAtLeast(x): return "total>=\(x)"
        }
    }

    func evaluate(_ total: Double, _ components: [ComponentScore]) -> Bool {
        switch self {
        case .allAtMax: return components.allSatisfy { $0.atMax && $0.failure == nil }
        case let .atMax(l): return components.first { $0.label == l }.map { $0.atMax && $0.failure == nil } ?? false
        case let .atLeast(l, x): return components.first { $0.label == l }.map { $0.failure == nil && $0.value >= x } ?? false
        case let .totalAtLeast(x): return total >= x
        }
    }
}

/// A weighted list of reward components and the `correct` rule.
package struct CompositeReward: Sendable {
    package let components: [RewardComponent]
    package let correct: CorrectRule

    /// Checks that labels are unique and that the rule names an existing component.
    package init(components: [RewardComponent], correct: CorrectRule = .allAtMax) throws(RewardSpecError) {
        guard !components.isEmpty else { throw .empty }
        var seen = Set<String>()
        for c in components where !seen.insert(c.label).inserted { throw .duplicateLabel(c.label) }
        switch correct {
        case let .atMax(l), let .atLeast(l, _):
            guard seen.contains(l) else {
                let have = components.map(\.label).joined(separator: ", ")
                throw .badCorrectRule(correct.description, reason: "no reward labelled \"\(l)\" (have: \(have))")
            }
        default: break
        }
        self.components = components
        self.correct = correct
    }

    /// Builds every component from its spec; `external` and `http` specs start actors
    /// (their processes start on the first call).
    package init(specs: [RewardSpec], correct: CorrectRule = .allAtMax) throws(RewardSpecError) {
        var components: [RewardComponent] = []
        for spec in specs {
            let source: RewardComponent.Source
            switch spec.name {
            case "external": source = .external(ExternalProcessReward(label: spec.label, config: try spec.externalProcessConfig()))
            case "http": source = .external(HTTPReward(label: spec.label, config: try spec.httpConfig()))
            default:
                guard let f = try spec.makeFunction() else { throw .unknownName(spec.name, index: 0, known: RewardSpec.knownNames) }
                source = .local(f)
            }
            components.append(RewardComponent(label: spec.label, weight: spec.weight, source: source))
        }
        try self.init(components: components, correct: correct)
    }

    /// The component labels in order (metric label values).
    package var labels: [String] { components.map(\.label) }

    /// Whether every component runs in-process (then `score(_:)` is enough).
    package var isLocal: Bool {
        components.allSatisfy { if case .local = $0.source { true } else { false } }
    }

    /// Scores one sample with the local components. External components are reported as
    /// failed (`verifier_error`): use `score(batch:)` when the composite has any.
    package func score(_ input: RewardInput) -> CompositeScore {
        let scores = components.map { c -> ComponentScore in
            switch c.source {
            case let .local(f): return Self.local(f, c, input)
            case .external:
                return ComponentScore(label: c.label, weight: c.weight, value: 0, atMax: false, failure: RewardFailure(
                    kind: .verifierError, message: "reward \(c.label): external rewards need score(batch:)"))
            }
        }
        return combine(scores)
    }

    /// Scores a batch: local components per sample, each external component once for the
    /// whole batch (concurrently). One result per input, in order.
    package func score(batch inputs: [RewardInput]) async -> [CompositeScore] {
        var columns: [[ComponentScore]] = []
        await withTaskGroup(of: (Int, [ComponentScore]).self) { group in
            for (ci, c) in components.enumerated() {
                guard case let .external(source) = c.source else { continue }
                group.addTask {
                    let outcomes = await source.score(inputs)
                    return (ci, outcomes.map { o in
                        ComponentScore(label: c.label, weight: c.weight, value: o.failure == nil ? o.reward : 0,
                                       atMax: o.failure == nil && o.correct, failure: o.failure)
                    })
                }
            }
            columns = components.map { c in
                guard case let .local(f) = c.source else { return [] }
                return inputs.map { Self.local(f, c, $0) }
            }
            for await (ci, column) in group { columns[ci] = column }
        }
        return inputs.indices.map { i in combine(columns.map { $0[i] }) }
    }

    /// Stops external components' processes.
    package func shutdown() async {
        for c in components { if case let .external(s) = c.source { await s.shutdown() } }
    }

    private static func local(_ f: any RewardFunction, _ c: RewardComponent, _ input: RewardInput) -> ComponentScore {
        let row = input.row.line.map { " (row at line \($0))" } ?? ""
        do {
            let v = try f.score(input)
            guard v.isFinite else {
                return ComponentScore(label: c.label, weight: c.weight, value: 0, atMax: false,
                                      failure: RewardFailure(kind: .nonFinite, message: "reward \(c.label)\(row): value \(v)"))
            }
            return ComponentScore(label: c.label, weight: c.weight, value: v, atMax: v >= f.range.upperBound, failure: nil)
        } catch {
            return ComponentScore(label: c.label, weight: c.weight, value: 0, atMax: false, failure: RewardFailure(error))
        }
    }

    private func combine(_ scores: [ComponentScore]) -> CompositeScore {
        var total = scores.reduce(0.0) { $0 + $1.weight * $1.value }
        if !total.isFinite { total = 0 }  // finite values × finite weights can still overflow
        return CompositeScore(total: total, correct: correct.evaluate(total, scores), components: scores)
    }
}
