// Shared helpers for ModelFilesTests: fixture paths, expected-value files (float32 bit patterns,
// written by Fixtures/make_fixtures.py) and the optional SmolLM2 GGUF.

import Foundation
import XCTest
@testable import ModelFiles

enum Fixtures {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }
    static func json<T: Decodable>(_ name: String, as _: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    /// A fresh empty temporary directory (removed by the caller's `addTeardownBlock`).
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("modelfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    /// The SmolLM2-135M-Instruct Q4_1 GGUF, or nil (BundledModels.smolLM2).
    static let smolLM2: URL? = BundledModels.smolLM2()
}

/// Bit patterns of Float values (exact comparison, NaN payloads included).
func bitPatterns(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

/// Asserts that `body` throws a GGUFError whose kind satisfies `match`, and returns it.
@discardableResult
func assertGGUFError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                        _ match: (GGUFError.Kind) -> Bool) -> GGUFError? {
    do {
        _ = try body()
        XCTFail("expected a GGUFError, got a value", file: file, line: line)
    } catch let e as GGUFError {
        XCTAssertTrue(match(e.kind), "unexpected error: \(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected a GGUFError, got \(error)", file: file, line: line)
    }
    return nil
}
