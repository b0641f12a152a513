import Foundation
import XCTest

/// The folder of this test process's scratch files (`<temporary directory>/steerlens-tests-<pid>`, see
/// ``TestPaths/scratchDirectory(_:)``): kept when a test failed, for inspection (its path is printed at
/// the end of the run), and removed when every test passed, so that runs do not leave tens of megabytes
/// each behind in the temporary directory.
final class ScratchRoot: NSObject, XCTestObservation, @unchecked Sendable {
    static let url = FileManager.default.temporaryDirectory.appendingPathComponent("steerlens-tests-\(getpid())")

    /// The suite that finished last: when the bundle finishes, the one holding every test that ran.
    private var lastFinishedSuite: XCTestSuite?

    private static let observer: ScratchRoot = {
        let observer = ScratchRoot()
        XCTestObservationCenter.shared.addTestObserver(observer)
        return observer
    }()

    /// The folder, created, with its clean-up at the end of the run registered (once per process).
    static func prepared() throws -> URL {
        _ = observer
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testSuiteDidFinish(_ testSuite: XCTestSuite) {
        lastFinishedSuite = testSuite
    }

    func testBundleDidFinish(_ testBundle: Bundle) {
        if lastFinishedSuite?.testRun?.hasSucceeded == true {
            try? FileManager.default.removeItem(at: Self.url)
        } else {
            print("Test files kept for inspection: \(Self.url.path)")
        }
    }
}
