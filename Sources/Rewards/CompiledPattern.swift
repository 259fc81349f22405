// A compiled regular expression (ICU syntax, as NSRegularExpression) for the `regex` and
// `format` rewards, with typed errors that name the reward and the pattern.

import Foundation

struct CompiledPattern: Sendable {
    let pattern: String
    private let regex: NSRegularExpression
    /// `(?:pattern)\z`, used anchored at the start: matches only the whole text.
    private let whole: NSRegularExpression

    struct Match {
        let result: NSTextCheckingResult
        let text: String

        func capture(_ group: CaptureGroup) -> String? {
            let r: NSRange
            switch group {
            case let .index(i): r = result.range(at: i)
            case let .named(n): r = result.range(withName: n)
            }
            guard r.location != NSNotFound, let range = Range(r, in: text) else { return nil }
            return String(text[range])
        }
    }

    init(_ pattern: String, reward: String, ignoreCase: Bool) throws(RewardSpecError) {
        self.pattern = pattern
        do {
            let options: NSRegularExpression.Options = ignoreCase ? [.caseInsensitive] : []
            regex = try NSRegularExpression(pattern: pattern, options: options)
            whole = try NSRegularExpression(pattern: "(?:\(pattern))\\z", options: options)
        } catch {
            // ICU's error says only "invalid"; Swift's own regex parser usually says why.
            var reason = "it does not compile"
            do { _ = try Regex(pattern) } catch { reason = "\(error)" }
            throw .badRegex(reward: reward, pattern: pattern, reason: reason)
        }
    }

    /// Checks that the pattern has the capture group.
    func check(group: CaptureGroup, reward: String) throws(RewardSpecError) {
        switch group {
        case let .index(i):
            guard i >= 0, i <= regex.numberOfCaptureGroups else {
                throw .badRegex(reward: reward, pattern: pattern,
                                reason: "it has \(regex.numberOfCaptureGroups) capture group(s), group \(i) was asked for")
            }
        case let .named(n):
            guard pattern.contains("(?<\(n)>") else {
                throw .badRegex(reward: reward, pattern: pattern, reason: "it has no group named \"\(n)\"")
            }
        }
    }

    func firstMatch(in text: String) -> Match? {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)).map { Match(result: $0, text: text) }
    }

    func wholeMatch(_ text: String) -> Bool {
        whole.firstMatch(in: text, options: [.anchored], range: NSRange(text.startIndex..., in: text)) != nil
    }
}
