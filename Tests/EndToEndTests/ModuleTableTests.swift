// The module table of docs/design/ARCHITECTURE.md §3 says, for every target, what it may import;
// that column must be exactly the target's dependencies in Package.swift (issue 11 §4), so the
// layering the document promises is the layering the compiler enforces. Pure file reads.

import Foundation
import XCTest

final class ModuleTableTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Each non-test target of the manifest and its dependency names (targets and products).
    static func manifestDependencies(_ manifest: String) throws -> [String: Set<String>] {
        let head = try NSRegularExpression(pattern: #"\.(?:target|executableTarget)\(name: "(\w+)"(, dependencies: \[)?"#)
        let quoted = try NSRegularExpression(pattern: #"(?<!package: )"(\w+)""#)
        let ns = manifest as NSString
        var out: [String: Set<String>] = [:]
        for m in head.matches(in: manifest, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range(at: 1))
            guard m.range(at: 2).location != NSNotFound else { out[name] = []; continue }
            // The dependency list: up to the bracket that closes the one opened after `dependencies:`.
            var depth = 1, i = m.range.location + m.range.length
            let start = i
            while i < ns.length, depth > 0 {
                let c = ns.character(at: i)
                if c == UInt16(UInt8(ascii: "[")) { depth += 1 } else if c == UInt16(UInt8(ascii: "]")) { depth -= 1 }
                i += 1
            }
            let list = ns.substring(with: NSRange(location: start, length: i - 1 - start))
            let lns = list as NSString
            out[name] = Set(quoted.matches(in: list, range: NSRange(location: 0, length: lns.length)).map { lns.substring(with: $0.range(at: 1)) })
        }
        return out
    }

    /// Each single-target row of the table and the names in its "may import" column.
    static func documentedDependencies(_ doc: String) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for line in doc.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { continue }
            let target = cells[2], imports = cells[4]
            guard target.hasPrefix("`"), target.filter({ $0 == "`" }).count == 2, !imports.hasPrefix("everything") else { continue }
            let names = imports == "—" ? [] : imports.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            out[target.trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = Set(names)
        }
        return out
    }

    func testMayImportIsExactlyThePackageDependencies() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/design/ARCHITECTURE.md"), encoding: .utf8)
        let actual = try Self.manifestDependencies(manifest), documented = Self.documentedDependencies(doc)
        XCTAssertGreaterThan(documented.count, 15, "found too few rows in the ARCHITECTURE.md module table")
        for (target, deps) in documented.sorted(by: { $0.key < $1.key }) {
            guard let real = actual[target] else { XCTFail("ARCHITECTURE.md lists `\(target)`, which Package.swift does not build"); continue }
            XCTAssertEqual(deps, real, "`\(target)`: ARCHITECTURE.md says it may import \(deps.sorted()); Package.swift gives it \(real.sorted())")
        }
    }

    /// The parsers on a small manifest and table (so the test above cannot pass by parsing nothing).
    func testTheParsersReadDependenciesAndRows() throws {
        let manifest = """
        .target(name: "A", dependencies: ["B", .product(name: "P", package: "pkg")], swiftSettings: ["X"]),
        .target(name: "B"),
        """
        XCTAssertEqual(try Self.manifestDependencies(manifest), ["A": ["B", "P"], "B": []])
        let doc = "| l | `A` | job | B, P |\n| l | `B` | job | — |\n| l | `C`, `D` | shims | — |\n| app | `E` | cli | everything below |"
        XCTAssertEqual(Self.documentedDependencies(doc), ["A": ["B", "P"], "B": []])
    }
}
