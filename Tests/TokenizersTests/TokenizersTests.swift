// TokenizersTests: the module's tests.
import XCTest
@testable import Tokenizers

final class TokenizersModuleTests: XCTestCase {
    func testFixturesFolderIsBundled() throws {
        XCTAssertNotNil(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    }
}
