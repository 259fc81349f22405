// The configuration file reader: TOML through TOMLKit (tables, arrays of tables, dotted keys,
// inline tables, multi-line strings), keys in the order written, errors with line and column.
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

    /// Parse errors carry toml++'s message with the line and column where it went wrong.
    func testErrorsNameTheLine() {
        let cases: [(String, Int, Int, String)] = [
            ("a = 1\nb = ", 2, 5, "encountered end-of-file"),
            ("a = 1\n[t\nb = 2", 2, 3, "parsing table header: expected ']'"),
            ("x = hello", 1, 5, "could not determine value type (strings need quotes)"),
            ("a = 1\na = 2", 2, 5, "cannot redefine existing integer 'a'"),
            ("t = { a = 1 b = 2 }", 1, 13, "expected comma or closing '}'"),
            ("t = { a = 1, a = 2 }", 1, 18, "cannot redefine existing integer 'a'"),
            ("t = { a }", 1, 9, "expected '='"),
            ("s = \"open", 1, 10, "parsing string: encountered end-of-file"),
            ("a = 1 2", 1, 7, "expected a comment or whitespace, saw '2'"),
            ("justakey", 1, 9, "encountered end-of-file"),
        ]
        for (doc, line, column, msg) in cases {
            XCTAssertThrowsError(try parseTOML(doc), doc) { e in
                guard let e = e as? TOMLError else { return XCTFail("\(e)") }
                XCTAssertEqual(e.line, line, doc)
                XCTAssertEqual(e.column, column, doc)
                XCTAssertTrue(e.message.contains(msg), "\(doc): \(e.message)")
                XCTAssertTrue(e.description.hasPrefix("line \(line), column \(column): "), e.description)
            }
        }
    }

    /// A syntax error deep in a real configuration names its line.
    func testSyntaxErrorInALongerFileNamesItsLine() {
        let doc = """
        [task]
        name = "reverse"

        [training]
        steps = 10
        objective = "grpo
        [state]
        dir = "x"
        """
        XCTAssertThrowsError(try parseTOML(doc)) { e in
            XCTAssertEqual((e as? TOMLError)?.line, 6, "\(e)")
            XCTAssertTrue("\(e)".hasPrefix("line 6, column "), "\(e)")
        }
    }

    /// `[[name]]` arrays of tables: one table per header, keys in the order written, and
    /// `[name.sub]` headers after one belong to its last table.
    func testArraysOfTables() throws {
        let t = try parseTOML(#"""
        [[task.rewards]]
        name = "numeric"
        weight = 0.5
        from = "any"

        [[task.rewards]]
        name = "format"
        weight = 0.5
        [task.rewards.options]
        pattern = '^\d+$'

        [training]
        steps = 3
        """#)
        XCTAssertEqual(t["task.rewards"], .array([
            .table([TOMLKeyValue("name", .string("numeric")), TOMLKeyValue("weight", .float(0.5)), TOMLKeyValue("from", .string("any"))]),
            .table([TOMLKeyValue("name", .string("format")), TOMLKeyValue("weight", .float(0.5)),
                    TOMLKeyValue("options", .table([TOMLKeyValue("pattern", .string(#"^\d+$"#))]))]),
        ]))
        XCTAssertEqual(t["training.steps"], .integer(3))
        XCTAssertEqual(t.count, 2)
    }

    /// Dotted keys flatten like headers; inside an inline table they make nested tables.
    func testDottedKeysAndNestedInlineTables() throws {
        let t = try parseTOML("""
        training.steps = 5
        [listen]
        tls.certificate = "c.pem"
        [task]
        r = { z = 1, a.b = "x", "quoted.key" = true, nested = { y = [1, 2], b = 2.5 } }
        """)
        XCTAssertEqual(t["training.steps"], .integer(5))
        XCTAssertEqual(t["listen.tls.certificate"], .string("c.pem"))
        XCTAssertEqual(t["task.r"], .table([
            TOMLKeyValue("z", .integer(1)), TOMLKeyValue("a", .table([TOMLKeyValue("b", .string("x"))])),
            TOMLKeyValue("quoted.key", .bool(true)),
            TOMLKeyValue("nested", .table([TOMLKeyValue("y", .array([.integer(1), .integer(2)])), TOMLKeyValue("b", .float(2.5))])),
        ]))
    }

    /// Multi-line basic and literal strings, hex integers, special floats.
    func testMultiLineStringsAndNumbers() throws {
        let t = try parseTOML(#"""
        a = """
        one
        two \
            three"""
        b = '''C:\path
        # not a comment'''
        c = 0xff
        d = -inf
        e = { k = '''x}y''', later = 1 }
        """#)
        XCTAssertEqual(t["a"], .string("one\ntwo three"))
        XCTAssertEqual(t["b"], .string("C:\\path\n# not a comment"))
        XCTAssertEqual(t["c"], .integer(255))
        XCTAssertEqual(t["d"], .float(-.infinity))
        XCTAssertEqual(t["e"], .table([TOMLKeyValue("k", .string("x}y")), TOMLKeyValue("later", .integer(1))]))
    }

    /// Key order survives strings and comments that hold TOML's own delimiters.
    func testKeyOrderSurvivesDelimitersInStrings() throws {
        let t = try parseTOML(#"""
        r = [ # a comment with { braces, = and ]
          { z = "a\"}{", "y.x" = 'b]#', m = """c
        }""", a = [1, { q = 2, p = 3 }] },
        ]
        """#)
        XCTAssertEqual(t["r"], .array([.table([
            TOMLKeyValue("z", .string("a\"}{")), TOMLKeyValue("y.x", .string("b]#")), TOMLKeyValue("m", .string("c\n}")),
            TOMLKeyValue("a", .array([.integer(1), .table([TOMLKeyValue("q", .integer(2)), TOMLKeyValue("p", .integer(3))])])),
        ])]))
    }

    /// No setting takes a date: one is refused with the line of its key.
    func testDatesAreRefusedWithTheirLine() {
        XCTAssertThrowsError(try parseTOML("[task]\nname = \"x\"\nstarted = 1979-05-27 07:32:00Z\n")) { e in
            XCTAssertEqual((e as? TOMLError)?.line, 3, "\(e)")
            XCTAssertTrue("\(e)".contains("'task.started': dates and times are not used"), "\(e)")
        }
    }
}
