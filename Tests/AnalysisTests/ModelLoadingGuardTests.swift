import Analysis
import XCTest

/// `STEERLENS_MODEL_LOAD_TIMEOUT`: a positive number of seconds, else a usage error (a 0 or negative
/// limit fired at once and called the model file damaged, exit 65).
final class ModelLoadingGuardTests: XCTestCase {
    func testTheLimitIsAPositiveNumberOfSeconds() throws {
        XCTAssertEqual(try ModelLoadingGuard.limit(environment: [:]), 60)
        XCTAssertEqual(try ModelLoadingGuard.limit(environment: ["STEERLENS_MODEL_LOAD_TIMEOUT": "2.5"]), 2.5)
        for text in ["0", "-5", "abc", "", "inf", "nan", "1e400"] {
            XCTAssertThrowsError(try ModelLoadingGuard.limit(environment: ["STEERLENS_MODEL_LOAD_TIMEOUT": text]), text) { error in
                XCTAssertEqual((error as? UsageError)?.kind, .usage, text)
            }
        }
    }
}
