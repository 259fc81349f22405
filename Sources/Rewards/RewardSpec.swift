// Reward configuration: one `RewardSpec` per entry of a task's `rewards = [...]` list
// (`{name="numeric", weight=1.0}`, `{name="format", pattern="^\\d+$", weight=0.5}`), read
// from JSON objects, and the registry that turns a spec into a reward function or an
// external reward's configuration, with typed errors for every kind of bad entry.

/// Why a reward configuration is unusable. Each case names the reward (its label) and what is wrong.
package enum RewardSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    case notAList(found: String)
    case empty
    case notAnObject(index: Int, found: String)
    case missingName(index: Int)
    case unknownName(String, index: Int, known: [String])
    case unknownOption(reward: String, option: String, allowed: [String])
    case missingOption(reward: String, option: String)
    case badOption(reward: String, option: String, expected: String, found: String)
    case badRegex(reward: String, pattern: String, reason: String)
    case duplicateLabel(String)
    case badCorrectRule(String, reason: String)

    package var description: String {
        switch self {
        case let .invalidJSON(e): return "reward list: invalid JSON at \(e)"
        case let .notAList(found): return "reward list must be a list of objects, found \(found)"
        case .empty: return "reward list is empty; give at least one reward"
        case let .notAnObject(i, found): return "reward \(i + 1): must be an object like {name=\"exact\"}, found \(found)"
        case let .missingName(i): return "reward \(i + 1): has no \"name\""
        case let .unknownName(n, i, known):
            return "reward \(i + 1): unknown reward \"\(n)\" (known: \(known.joined(separator: ", ")))"
        case let .unknownOption(r, o, allowed):
            return "reward \(r): unknown option \"\(o)\" (allowed: \(allowed.joined(separator: ", ")))"
        case let .missingOption(r, o): return "reward \(r): needs option \"\(o)\""
        case let .badOption(r, o, expected, found): return "reward \(r): option \"\(o)\" must be \(expected), found \(found)"
        case let .badRegex(r, p, why): return "reward \(r): pattern \"\(p)\" is not a usable regular expression: \(why)"
        case let .duplicateLabel(l): return "two rewards are labelled \"\(l)\"; give one a distinct \"label\""
        case let .badCorrectRule(rule, why): return "correct rule \"\(rule)\": \(why)"
        }
    }
}

/// One configured reward: a registry name, a weight, an optional label (defaults to the name;
/// needed when two components share a name) and the reward's own options.
package struct RewardSpec: Sendable, Hashable, Decodable {
    package var name: String
    package var label: String
    package var weight: Double
    /// Every key other than `name`, `label` and `weight`, in order.
    package var options: JSONObject

    /// Names the registry knows: the built-ins, then `external` (a program) and `http` (a server).
    package static let knownNames = ["exact", "numeric", "regex", "format", "length", "external", "http"]

    package init(name: String, weight: Double = 1, label: String? = nil, options: JSONObject = JSONObject()) {
        self.name = name
        self.weight = weight
        self.label = label ?? name
        self.options = options
    }

    /// Reads one entry; `index` (0-based) is its position in the list, for messages.
    package init(json: JSONObject, index: Int = 0) throws(RewardSpecError) {
        guard let nameValue = json["name"] else { throw .missingName(index: index) }
        guard let name = nameValue.stringValue else {
            throw .badOption(reward: "\(index + 1)", option: "name", expected: "a string", found: nameValue.kindName)
        }
        guard Self.knownNames.contains(name) else { throw .unknownName(name, index: index, known: Self.knownNames) }
        var label = name
        if let l = json["label"] {
            guard let s = l.stringValue, !s.isEmpty else {
                throw .badOption(reward: name, option: "label", expected: "a non-empty string", found: l.kindName)
            }
            label = s
        }
        var weight = 1.0
        if let w = json["weight"] {
            guard let d = w.doubleValue, d.isFinite else {
                throw .badOption(reward: label, option: "weight", expected: "a finite number", found: w.serialized())
            }
            weight = d
        }
        var options = json
        for k in ["name", "label", "weight"] { options[k] = nil }
        self.init(name: name, weight: weight, label: label, options: options)
    }

    /// Decodes from any decoder (e.g. `JSONDecoder`) through `JSONValue`.
    package init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        guard case let .object(o) = value else { throw RewardSpecError.notAnObject(index: 0, found: value.kindName) }
        try self.init(json: o)
    }

    /// Reads a JSON list of reward objects, e.g. `[{"name": "numeric", "weight": 1}]`.
    package static func parseList(_ json: String) throws(RewardSpecError) -> [RewardSpec] {
        let value: JSONValue
        do { value = try JSONValue.parse(json) } catch { throw .invalidJSON(error) }
        guard case let .array(items) = value else { throw .notAList(found: value.kindName) }
        guard !items.isEmpty else { throw .empty }
        var specs: [RewardSpec] = []
        for (i, item) in items.enumerated() {
            guard case let .object(o) = item else { throw .notAnObject(index: i, found: item.kindName) }
            specs.append(try RewardSpec(json: o, index: i))
        }
        return specs
    }

    /// Builds a built-in reward function; nil for `external` and `http` (see `ExternalRewardConfig`).
    package func makeFunction() throws(RewardSpecError) -> (any RewardFunction)? {
        var o = OptionReader(spec: self)
        let made: (any RewardFunction)?
        switch name {
        case "exact":
            made = ExactReward(trim: try o.bool("trim") ?? true, ignoreCase: try o.bool("ignore_case") ?? false,
                               field: try o.string("field") ?? "answer")
        case "numeric":
            let from = try o.string("from") ?? NumberSource.auto.rawValue
            guard let source = NumberSource(rawValue: from) else {
                throw .badOption(reward: label, option: "from",
                                 expected: "one of " + NumberSource.allCases.map(\.rawValue).joined(separator: ", "),
                                 found: "\"\(from)\"")
            }
            made = NumericReward(source: source, relativeTolerance: try o.number("rel_tol", atLeast: 0) ?? 1e-6,
                                 absoluteTolerance: try o.number("abs_tol", atLeast: 0) ?? 1e-9,
                                 field: try o.string("field") ?? "answer")
        case "regex":
            let pattern = try o.requiredString("pattern")
            var group: CaptureGroup?
            if let g = o.take("group") {
                switch g {
                case let .int(i) where i >= 0: group = .index(i)
                case let .string(s) where !s.isEmpty: group = .named(s)
                default: throw .badOption(reward: label, option: "group", expected: "a group number or name", found: g.serialized())
                }
            }
            let field = try o.string("field") ?? "answer", ignoreCase = try o.bool("ignore_case") ?? false
            do { made = try RegexReward(pattern: pattern, group: group, field: field, ignoreCase: ignoreCase) } catch {
                throw error.relabelled(label)
            }
        case "format":
            let pattern = try o.requiredString("pattern"), trim = try o.bool("trim") ?? true
            do { made = try FormatReward(pattern: pattern, trim: trim) } catch { throw error.relabelled(label) }
        case "length":
            guard let budget = try o.int("budget", atLeast: 0) else { throw .missingOption(reward: label, option: "budget") }
            made = LengthReward(budget: budget, ramp: try o.int("ramp", atLeast: 1),
                                maxPenalty: try o.number("max_penalty", atLeast: 0) ?? 1)
        default:
            return nil
        }
        try o.finish()
        return made
    }
}

extension RewardSpecError {
    /// The same error naming `label` instead of the registry name.
    func relabelled(_ label: String) -> RewardSpecError {
        if case let .badRegex(_, p, why) = self { return .badRegex(reward: label, pattern: p, reason: why) }
        return self
    }
}

/// Reads a spec's options by type, remembering which were used, so leftovers are reported.
struct OptionReader {
    let spec: RewardSpec
    private var used: [String] = []

    init(spec: RewardSpec) { self.spec = spec }

    mutating func take(_ key: String) -> JSONValue? {
        used.append(key)
        return spec.options[key]
    }

    func bad(_ key: String, _ expected: String, _ v: JSONValue) -> RewardSpecError {
        .badOption(reward: spec.label, option: key, expected: expected, found: v.serialized())
    }

    mutating func bool(_ key: String) throws(RewardSpecError) -> Bool? {
        guard let v = take(key) else { return nil }
        guard let b = v.boolValue else { throw bad(key, "true or false", v) }
        return b
    }

    mutating func string(_ key: String) throws(RewardSpecError) -> String? {
        guard let v = take(key) else { return nil }
        guard let s = v.stringValue else { throw bad(key, "a string", v) }
        return s
    }

    mutating func requiredString(_ key: String) throws(RewardSpecError) -> String {
        guard let s = try string(key) else { throw .missingOption(reward: spec.label, option: key) }
        return s
    }

    mutating func number(_ key: String, atLeast low: Double) throws(RewardSpecError) -> Double? {
        guard let v = take(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite, d >= low else { throw bad(key, "a number ≥ \(low)", v) }
        return d
    }

    mutating func int(_ key: String, atLeast low: Int) throws(RewardSpecError) -> Int? {
        guard let v = take(key) else { return nil }
        guard let i = v.intValue, i >= low else { throw bad(key, "an integer ≥ \(low)", v) }
        return i
    }

    mutating func strings(_ key: String) throws(RewardSpecError) -> [String]? {
        guard let v = take(key) else { return nil }
        guard let a = v.arrayValue, !a.isEmpty else { throw bad(key, "a non-empty list of strings", v) }
        var out: [String] = []
        for item in a {
            guard let s = item.stringValue else { throw bad(key, "a non-empty list of strings", v) }
            out.append(s)
        }
        return out
    }

    /// Throws for the first option that no reader asked for.
    func finish() throws(RewardSpecError) {
        for k in spec.options.keys where !used.contains(k) {
            throw .unknownOption(reward: spec.label, option: k, allowed: used)
        }
    }
}
