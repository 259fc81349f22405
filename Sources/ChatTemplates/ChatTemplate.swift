// ChatTemplate: the public entry point. Parses a Hugging Face chat template (the Jinja text in
// tokenizer_config.json's "chat_template" or GGUF's tokenizer.chat_template) once, then renders
// conversations to the prompt string exactly as transformers' apply_chat_template(tokenize=False)
// does with Jinja2 (trim_blocks, lstrip_blocks, tojson, raise_exception, strftime_now, namespace).
//
// Supported: {{ }}, {% %}, {# #} with -/+ whitespace control; for (loop.*, else, `if` filter,
// tuple targets, break/continue), if/elif/else, set (names, tuples, ns.attr, block set), macro,
// generation; literals, attribute/item/slice access, Python operators, `is` tests, conditional
// expressions; filters abs capitalize count d default dictsort e escape first float int items join
// last length list lower map max min reject rejectattr replace reverse safe select selectattr sort
// string title tojson trim unique upper; methods strip lstrip rstrip startswith endswith split
// upper lower title capitalize replace join items keys values get; functions raise_exception
// strftime_now namespace range dict. Anything else is ChatTemplateError.unsupported at parse time.

import Foundation

/// One message of a conversation: a role ("system", "user", "assistant", "tool", ...), its text
/// and any further keys the template may read (e.g. "tool_calls"), in order after role and content.
package struct ChatMessage: Sendable, Equatable {
    package var role: String
    package var content: String
    package var extra: JinjaObject

    package init(role: String, content: String, extra: JinjaObject = JinjaObject()) {
        self.role = role; self.content = content; self.extra = extra
    }

    /// The message as the dict a template sees: {"role", "content", extra keys...}.
    package var jinjaValue: JinjaValue {
        var o = JinjaObject([("role", .string(role)), ("content", .string(content))])
        for (k, v) in extra.pairs { o[k] = v }
        return .object(o)
    }
}

/// A parsed chat template. Parsing rejects anything outside the supported Jinja subset with a
/// `ChatTemplateError` naming the construct and its line; rendering is then deterministic.
package struct ChatTemplate: Sendable {
    /// The template text as given.
    package let source: String
    private let nodes: [Node]

    /// Parses `source`. Throws `ChatTemplateError.syntax` or `.unsupported`.
    package init(_ source: String) throws {
        self.source = source
        let segments = try Lexer(source).tokenize()
        var parser = Parser(segments)
        nodes = try parser.parseTemplate()
    }

    /// Renders a conversation like transformers' `apply_chat_template(messages, tokenize=False,
    /// add_generation_prompt: ...)`: the template sees `messages`, `tools` and `documents` (none
    /// unless given in `extra`), `add_generation_prompt`, `bos_token`, `eos_token` and the `extra`
    /// variables (which override the others). `now` is what `strftime_now` formats, in `timeZone`.
    /// Throws `ChatTemplateError.raised` when the template calls raise_exception, `.render` on a
    /// type error or use of an undefined value.
    package func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                       extra: [String: JinjaValue] = [:], now: Date = Date(),
                       timeZone: TimeZone = .current) throws -> String {
        try render(messages: messages.map(\.jinjaValue), addGenerationPrompt: addGenerationPrompt,
                   bosToken: bosToken, eosToken: eosToken, extra: extra, now: now, timeZone: timeZone)
    }

    /// Renders messages given as arbitrary values (normally objects with "role" and "content").
    package func render(messages: [JinjaValue], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                       extra: [String: JinjaValue] = [:], now: Date = Date(),
                       timeZone: TimeZone = .current) throws -> String {
        var context: [String: JinjaValue] = [
            "messages": .array(messages), "tools": .none, "documents": .none,
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken), "eos_token": .string(eosToken),
        ]
        for (k, v) in extra { context[k] = v }
        return try render(context: context, now: now, timeZone: timeZone)
    }

    /// Renders with exactly the variables in `context` (nothing added).
    package func render(context: [String: JinjaValue], now: Date = Date(), timeZone: TimeZone = .current) throws -> String {
        var evaluator = Evaluator(globals: context.mapValues(Value.init), now: now, timeZone: timeZone)
        _ = try evaluator.run(nodes)
        return evaluator.output
    }
}
