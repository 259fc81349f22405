// Configuration keys that were renamed: the old name is still read (same meaning) and reported
// as deprecated, so a file, an environment or a script written for an older release keeps
// working while its operator is told the new name. docs/configuration.md lists them.

/// A setting given under its old, deprecated name.
public struct ConfigDeprecation: Equatable, Sendable, CustomStringConvertible {
    /// Where it was given: a file path, "environment" or "command line".
    public var source: String
    /// The old name as written there (`training.staleness_cap`, or the variable name).
    public var old: String
    /// The key to write instead (`admission.max_staleness`).
    public var replacement: String

    public init(source: String, old: String, replacement: String) {
        self.source = source; self.old = old; self.replacement = replacement
    }

    public var description: String {
        "\(source): '\(old)' is deprecated and will be removed; write '\(replacement)' instead (same meaning)"
    }
}

extension LearnerConfig {
    /// Old key → the key that replaced it.
    public static let renamedKeys: [String: String] = [
        // Rejecting groups older than this at admission; the objective's own cap, which masks
        // tokens in the loss, is `objective.mask_staleness_above` (docs/algorithms.md).
        "training.staleness_cap": "admission.max_staleness",
    ]

    /// `values` with renamed keys under their new names, and one deprecation per old name used.
    /// Giving both names in one source is an error (which one was meant is unclear).
    static func renamingDeprecatedKeys(_ values: [String: TOMLValue], source: String,
                                       spelled: (String) -> String = { $0 }) throws -> ([String: TOMLValue], [ConfigDeprecation]) {
        var out = values, notes: [ConfigDeprecation] = []
        for (old, new) in renamedKeys.sorted(by: { $0.key < $1.key }) {
            guard let v = out.removeValue(forKey: old) else { continue }
            guard out[new] == nil else {
                throw RunError("\(source): both '\(spelled(old))' (deprecated) and '\(spelled(new))' are set; keep only '\(spelled(new))'")
            }
            out[new] = v
            notes.append(ConfigDeprecation(source: source, old: spelled(old), replacement: spelled(new)))
        }
        return (out, notes)
    }
}
