// The configuration file reader: the supported TOML subset and its errors.
import XCTest
@testable import Learner

final class TOMLTests: XCTestCase {
    func testTablesScalarsAndArrays() throws {
        let doc = """
        # learner configuration
        name = "run-1"   # trailing comment
        [listen]
        rpc = "127.0.0.1:7070"
        tls = false
        [training]
        steps = 1_000
        lr = 1e-4
        hosts = ["a", 'b#c',
                 "d"]
        empty = []
        "quoted key" = -3
        """
        let t = try parseTOML(doc)
        XCTAssertEqual(t["name"], .string("run-1"))
        XCTAssertEqual(t["listen.rpc"], .string("127.0.0.1:7070"))
        XCTAssertEqual(t["listen.tls"], .bool(false))
        XCTAssertEqual(t["training.steps"], .integer(1000))
        XCTAssertEqual(t["training.lr"], .float(1e-4))
        XCTAssertEqual(t["training.hosts"], .array([.string("a"), .string("b#c"), .string("d")]))
        XCTAssertEqual(t["training.empty"], .array([]))
        XCTAssertEqual(t["training.quoted key"], .integer(-3))
    }

    func testEscapes() throws {
        let t = try parseTOML(#"s = "a\"b\\c\n\u00e9""#)
        XCTAssertEqual(t["s"], .string("a\"b\\c\né"))
    }

    /// Inline tables (reward lists): keys in order, nested values, over several lines.
    func testInlineTables() throws {
        let t = try parseTOML("""
        [task]
        rewards = [{name="numeric", from="any", weight=0.5},
                   {name = "format", pattern = "^\\\\d+$", weight = 0.5, opts = {trim = true}}]  # two
        empty = {}
        """)
        XCTAssertEqual(t["task.rewards"], .array([
            .table([TOMLKeyValue("name", .string("numeric")), TOMLKeyValue("from", .string("any")), TOMLKeyValue("weight", .float(0.5))]),
            .table([TOMLKeyValue("name", .string("format")), TOMLKeyValue("pattern", .string("^\\d+$")), TOMLKeyValue("weight", .float(0.5)),
                    TOMLKeyValue("opts", .table([TOMLKeyValue("trim", .bool(true))]))]),
        ]))
        XCTAssertEqual(t["task.empty"], .table([]))
    }

    func testErrorsNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("a = 1\nb = ", 2, "missing value"),
            ("a = 1\n[t\nb = 2", 2, "table header"),
            ("x = hello", 1, "strings need quotes"),
            ("a = 1\na = 2", 2, "duplicate key"),
            ("t = { a = 1 b = 2 }", 1, "expected ',' or '}' in inline table"),
            ("t = { a = 1, a = 2 }", 1, "duplicate key 'a'"),
            ("t = { a }", 1, "expected 'key = value' in inline table"),
            ("s = \"open", 1, "unterminated"),
            ("a = 1 2", 1, "unexpected text"),
            ("justakey", 1, "expected 'key = value'"),
        ]
        for (doc, line, msg) in cases {
            XCTAssertThrowsError(try parseTOML(doc), doc) { e in
                guard let e = e as? TOMLError else { return XCTFail("\(e)") }
                XCTAssertEqual(e.line, line, doc)
                XCTAssertTrue(e.message.contains(msg), "\(doc): \(e.message)")
            }
        }
    }
}
