// Configuration keys that were renamed: the old name is still read (same meaning) and reported
// as deprecated, so a file, an environment or a script written for an older release keeps
// working while its operator is told the new name (`ConfigDeprecation`, Objectives/ObjectiveParsing.swift).
// docs/configuration.md lists them.

import Objectives
import Training

extension LearnerConfig {
    /// Old key → the key that replaced it.
    package static let renamedKeys: [String: String] = [
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
