// Every citation of a markdown document in the code resolves (issue 11 §4): source comments cite
// design documents by file and section, and a citation that points nowhere is a broken promise.
// Scans Sources/ and Tests/ (Swift, Python, shell, C), Package.swift and the Makefile for
//   * a path ending in `.md` with at least one directory (under docs/, proto/, Tests/ …), or a
//     bare name in capitals (README, PROTOCOL, ALGORITHMS … followed by `.md`); a bare lower-case
//     name is a file the code writes or checks (an experiment's summary), not a citation;
//   * after it on the same line, up to the next citation: section marks `§N[.N…]` (also ranges
//     `§A–B` and lists `§A, §B`), `section N`, and a quoted heading directly after the name.
// A name resolves as the repository path itself, else under docs/design/, docs/ or proto/; a
// section resolves when a heading of that file starts with its number (`## 4. …`, `### 4.6 …`,
// optionally written `§4.6`); a quoted heading when a heading contains the text. And the other
// way: the files docs/design/ cites in code format exist, and ARCHITECTURE.md names every target
// of Package.swift. Pure file reads, no process launch.

import Foundation
import XCTest

final class CitationTests: XCTestCase {
    /// The repository root: three levels up from this file (Tests/EndToEndTests/CitationTests.swift).
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A file reference: not preceded by a path or word character, directories optional, `.md` at a word end.
    private static let fileRef = try! NSRegularExpression(pattern: #"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.md)\b"#)
    /// Section marks after a reference: `§X` (a number, or a word so that a named section is
    /// reported), `section N`, each with an optional range end.
    private static let sectionRef = try! NSRegularExpression(
        pattern: #"(?:§ ?(\d+(?:\.\d+)*|[A-Za-z]\w*)|\bsection (\d+(?:\.\d+)*))(?:\s?[–-]\s?(\d+(?:\.\d+)*))?"#)
    /// A quoted heading right after the reference (one space, then "text").
    private static let quotedRef = try! NSRegularExpression(pattern: #"^ "([^"\n]{1,60})""#)
    private static let scannedExtensions: Set<String> = ["swift", "py", "sh", "c", "h"]

    /// One citation that does not resolve.
    private struct Unresolved: CustomStringConvertible {
        let file: String, line: Int, what: String
        var description: String { "\(file):\(line): \(what)" }
    }

    func testEveryCitationResolves() throws {
        let fm = FileManager.default
        var files: [String] = []
        for top in ["Sources", "Tests"] {
            let dir = Self.root.appendingPathComponent(top)
            guard let walk = fm.enumerator(atPath: dir.path) else { continue }
            for case let rel as String in walk where Self.scannedExtensions.contains((rel as NSString).pathExtension) {
                files.append("\(top)/\(rel)")
            }
        }
        files += ["Package.swift", "Makefile"]
        XCTAssertGreaterThan(files.count, 100, "the scan found too few files under \(Self.root.path)")

        var headingCache: [String: [String]] = [:]
        var unresolved: [Unresolved] = []
        var citations = 0, sections = 0
        for rel in files.sorted() {
            let text = try String(contentsOf: Self.root.appendingPathComponent(rel), encoding: .utf8)
            for (index, line) in text.components(separatedBy: "\n").enumerated() {
                let ns = line as NSString
                let refs = Self.fileRef.matches(in: line, range: NSRange(location: 0, length: ns.length))
                for (k, ref) in refs.enumerated() {
                    let name = ns.substring(with: ref.range(at: 1))
                    guard Self.isCitation(name) else { continue }
                    citations += 1
                    func report(_ what: String) { unresolved.append(Unresolved(file: rel, line: index + 1, what: what)) }
                    guard let target = Self.resolve(name) else {
                        report("\(name): no such file (tried the path, docs/design/, docs/, proto/)"); continue
                    }
                    if headingCache[target] == nil { headingCache[target] = try Self.headings(of: target) }
                    let headings = headingCache[target] ?? []
                    let end = k + 1 < refs.count ? refs[k + 1].range.location : ns.length
                    let tailRange = NSRange(location: NSMaxRange(ref.range), length: end - NSMaxRange(ref.range))
                    let tail = ns.substring(with: tailRange)
                    let tns = tail as NSString
                    for s in Self.sectionRef.matches(in: tail, range: NSRange(location: 0, length: tns.length)) {
                        for group in 1...3 where s.range(at: group).location != NSNotFound {
                            let number = tns.substring(with: s.range(at: group))
                            sections += 1
                            if !Self.hasSection(number, in: headings) { report("\(name) §\(number): no such heading in \(target)") }
                        }
                    }
                    if let q = Self.quotedRef.firstMatch(in: tail, range: NSRange(location: 0, length: tns.length)) {
                        let quoted = tns.substring(with: q.range(at: 1))
                        sections += 1
                        if !headings.contains(where: { $0.range(of: quoted, options: .caseInsensitive) != nil }) {
                            report("\(name) \"\(quoted)\": no heading of \(target) contains it")
                        }
                    }
                }
            }
        }
        for u in unresolved { print("unresolved citation: \(u)") }
        print("CitationTests: \(citations) citations and \(sections) sections in \(files.count) files, \(unresolved.count) unresolved")
        XCTAssertGreaterThan(citations, 100, "the scan found too few citations; is the pattern broken?")
        XCTAssertTrue(unresolved.isEmpty, "unresolved citations:\n" + unresolved.map(\.description).joined(separator: "\n"))
    }

    /// The other direction: the design documents cite real files. A code-formatted repository path
    /// (`Sources/…`, `Tests/…`, `docs/…`, `proto/…`, …) must exist; a bare Swift or Python file name
    /// must be the name of some file under Sources/ or Tests/ (modules move files; names stay).
    func testDesignDocumentsCiteExistingFiles() throws {
        let fm = FileManager.default
        var names: Set<String> = ["Package.swift"]
        for top in ["Sources", "Tests"] {
            guard let walk = fm.enumerator(atPath: Self.root.appendingPathComponent(top).path) else { continue }
            for case let rel as String in walk { names.insert((rel as NSString).lastPathComponent) }
        }
        let code = try NSRegularExpression(pattern: #"`([\w./+-]+)`"#)
        let repoPath = try NSRegularExpression(pattern: #"^(Sources|Tests|docs|proto|deploy|bench|examples)/"#)
        let fileName = try NSRegularExpression(pattern: #"^[\w+-]+\.(swift|py)$"#)
        let design = Self.root.appendingPathComponent("docs/design")
        let docs = try fm.contentsOfDirectory(atPath: design.path).filter { $0.hasSuffix(".md") }.sorted()
        XCTAssertGreaterThanOrEqual(docs.count, 4, "docs/design/ should hold the design documents")
        var missing: [String] = [], checked = 0
        for doc in docs {
            let text = try String(contentsOf: design.appendingPathComponent(doc), encoding: .utf8)
            for (index, line) in text.components(separatedBy: "\n").enumerated() {
                let ns = line as NSString
                for m in code.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
                    let token = ns.substring(with: m.range(at: 1))
                    let whole = NSRange(location: 0, length: (token as NSString).length)
                    if repoPath.firstMatch(in: token, range: whole) != nil {
                        checked += 1
                        let path = token.hasSuffix("/") ? String(token.dropLast()) : token
                        if !fm.fileExists(atPath: Self.root.appendingPathComponent(path).path) {
                            missing.append("docs/design/\(doc):\(index + 1): \(token) does not exist")
                        }
                    } else if fileName.firstMatch(in: token, range: whole) != nil {
                        checked += 1
                        if !names.contains(token) { missing.append("docs/design/\(doc):\(index + 1): no file named \(token)") }
                    }
                }
            }
        }
        for m in missing { print("unresolved file reference: \(m)") }
        XCTAssertGreaterThan(checked, 50, "the design documents should cite the sources they describe")
        XCTAssertTrue(missing.isEmpty, "design documents cite missing files:\n" + missing.joined(separator: "\n"))
    }

    /// The module map keeps up with the package: every non-test target of Package.swift is named
    /// (in code format) in docs/design/ARCHITECTURE.md.
    func testArchitectureNamesEveryTarget() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try NSRegularExpression(pattern: #"\.(?:target|executableTarget|systemLibrary)\(name: "(\w+)""#)
        let ns = manifest as NSString
        let targets = target.matches(in: manifest, range: NSRange(location: 0, length: ns.length))
            .map { ns.substring(with: $0.range(at: 1)) }
        XCTAssertGreaterThan(targets.count, 10, "found too few targets in Package.swift")
        let architecture = try String(contentsOf: Self.root.appendingPathComponent("docs/design/ARCHITECTURE.md"), encoding: .utf8)
        let absent = targets.filter { !architecture.contains("`\($0)`") }
        XCTAssertEqual(absent, [], "docs/design/ARCHITECTURE.md §3 does not name these targets of Package.swift")
    }

    /// The pattern's precision: what counts as a citation and what does not.
    func testWhatCountsAsACitation() {
        func names(_ line: String) -> [String] {
            let ns = line as NSString
            return Self.fileRef.matches(in: line, range: NSRange(location: 0, length: ns.length))
                .map { ns.substring(with: $0.range(at: 1)) }.filter(Self.isCitation)
        }
        let doc = "DESIGN" + ".md", path = "docs/guide" + ".md"
        XCTAssertEqual(names("see \(doc) §4.6 and \(path)"), [doc, path])
        XCTAssertEqual(names("c.mdpoStep = 1; res.metrics.mdpoCoefficient"), [], "a key path is not a file")
        XCTAssertEqual(names("writes summary" + ".md next to results.csv"), [], "a bare lower-case name is an output file")
        XCTAssertEqual(names("https://example.org/a/b/" + doc), [], "a URL is not a repository citation")
        XCTAssertTrue(Self.hasSection("4.6", in: ["4.6 Dynamic sampling"]))
        XCTAssertTrue(Self.hasSection("4", in: ["4. Baselines"]))
        XCTAssertTrue(Self.hasSection("6.5.2", in: ["§6.5.2 Reward components"]))
        XCTAssertFalse(Self.hasSection("4.6", in: ["4.6.1 Refill", "4.60 Other"]))
    }

    /// A capitalised bare name or any path with a directory.
    private static func isCitation(_ name: String) -> Bool {
        if name.contains("/") { return true }
        let stem = name.dropLast(3)
        return stem.first?.isUppercase == true && !stem.contains { $0.isLowercase }
    }

    /// The repository-relative path `name` resolves to, or nil.
    private static func resolve(_ name: String) -> String? {
        for candidate in [name, "docs/design/" + name, "docs/" + name, "proto/" + name] {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(candidate).path, isDirectory: &isDir),
               !isDir.boolValue {
                return candidate
            }
        }
        return nil
    }

    /// The markdown headings of a file (text after the #s), outside fenced code blocks.
    private static func headings(of rel: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(rel), encoding: .utf8)
        var out: [String] = [], fenced = false
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("```") { fenced.toggle(); continue }
            guard !fenced, line.hasPrefix("#") else { continue }
            let body = line.drop { $0 == "#" }
            guard body.first == " " else { continue }
            out.append(body.trimmingCharacters(in: .whitespaces))
        }
        return out
    }

    /// Whether a heading starts with section `number` (optionally as `§number`, optionally with a
    /// trailing dot), followed by a space or the end.
    private static func hasSection(_ number: String, in headings: [String]) -> Bool {
        headings.contains { heading in
            var h = Substring(heading)
            if h.hasPrefix("§") { h = h.dropFirst() }
            guard h.hasPrefix(number) else { return false }
            var rest = h.dropFirst(number.count)
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
            return rest.isEmpty || rest.first == " "
        }
    }
}
