import Foundation
import XCTest

/// Acceptance 4: everything committed under Datasets/ stays within 12 MB (the git-ignored `training/`
/// folder the training script renders is not counted).
final class DatasetSizeTests: XCTestCase {
    func testDatasetsFolderIsAtMost12MB() throws {
        let root = DemoPaths.datasets
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]))
        var total = 0
        for case let url as URL in enumerator {
            if url.lastPathComponent == "training" { enumerator.skipDescendants(); continue }
            let values = try url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values.isRegularFile == true { total += values.fileSize ?? 0 }
        }
        print("Datasets/: \(total) bytes")
        XCTAssertLessThanOrEqual(total, 12 * 1024 * 1024)
        for name in ["demo/drive.mp4", "demo/labels.csv", "models/pilotnet-demo.h5", "models/pilotnet-demo-candidate.h5"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path), "missing Datasets/\(name)")
        }
        let clip = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("demo/drive.mp4").path)[.size] as? Int)
        XCTAssertLessThanOrEqual(clip, 6 * 1024 * 1024)
    }
}
