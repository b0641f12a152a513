import Foundation
import XCTest

/// Locations of test material relative to this file.
enum TestPaths {
    /// The repository root (two levels above Tests/ModelImportTests).
    static let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Project-made Keras fixtures (committed): Tests/Fixtures/keras/<case>/.
    static let kerasFixtures = repository.appendingPathComponent("Tests/Fixtures/keras")
    /// Real third-party material beside the repository (never copied into it): `<repo>/../shared/data`.
    static let sharedData = repository.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// `<shared data>/<relative>`, or an XCTSkip when the shared data folder is absent (a fresh clone).
    static func shared(_ relative: String) throws -> URL {
        let url = sharedData.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared test data not present: \(url.path)")
        }
        return url
    }

    /// A fresh temporary directory removed at the end of the test.
    static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("modelimport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
