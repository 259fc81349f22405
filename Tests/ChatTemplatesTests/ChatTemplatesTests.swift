// ChatTemplatesTests: the module's tests.
import XCTest
@testable import ChatTemplates

final class ChatTemplatesModuleTests: XCTestCase {
    func testFixturesFolderIsBundled() throws {
        XCTAssertNotNil(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    }
}
