// ModelFilesTests: the module's tests.
import XCTest
@testable import ModelFiles

final class ModelFilesModuleTests: XCTestCase {
    func testFixturesFolderIsBundled() throws {
        XCTAssertNotNil(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    }
}
