import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest
@testable import Analysis

/// Sidecar `mean`/`std` (torchvision `Normalize` after `ToTensor`) and greyscale model inputs.
final class ModelInputNormalizationTests: XCTestCase {
    func sidecar(_ json: String) throws -> ModelSidecar? {
        let folder = try TestPaths.temporaryDirectory(self)
        let model = folder.appendingPathComponent("pilot.onnx").path
        try Data(json.utf8).write(to: ModelSidecar.url(forModel: model))
        return try ModelSidecar.load(forModel: model)
    }

    func testMeanAndStdNormaliseEachChannelAfterTheScale() throws {
        let loaded = try XCTUnwrap(try sidecar(#"{"scale": "1/255", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}"#))
        let input = try ModelInput(inputShape: [1, 2, 3], preprocess: try loaded.preprocess(), normalization: try loaded.normalization())
        let frame = Frame(index: 0, time: 0, width: 2, height: 1, pixels: [255, 0, 51, 0, 255, 102])
        let batch = try input.batch([frame])
        let expected: [Float] = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.2 - 0.406) / 0.225,
                                 (0 - 0.485) / 0.229, (1 - 0.456) / 0.224, (0.4 - 0.406) / 0.225]
        for (actual, wanted) in zip(batch.scalars, expected) { XCTAssertEqual(actual, wanted, accuracy: 1e-5) }
        // The batches `stress` builds itself go through the same normalisation.
        var values: [Float] = [1, 0, 0.2, 0, 1, 0.4]
        input.normalize(&values)
        for (actual, wanted) in zip(values, expected) { XCTAssertEqual(actual, wanted, accuracy: 1e-5) }
    }

    func testInvalidNormalisationIsASidecarError() {
        XCTAssertThrowsError(try sidecar(#"{"std": [0.2, 0]}"#)) { error in
            XCTAssertTrue((error as? SidecarError)?.detail.contains("std") == true, "\(error)")
        }
    }

    /// `"stress": {"delta": …}` is δ of the label-free stress relation, below `--delta` and a suite file's.
    func testSidecarStressDeltaIsTheDefaultDelta() throws {
        let loaded = try XCTUnwrap(try sidecar(#"{"crop": ["10", "0", "0", "0"], "stress": {"delta": 0.05}}"#))
        XCTAssertEqual(loaded.stress?.delta, 0.05)
        let deepTest = try StressSuite.named("deeptest")
        XCTAssertEqual(deepTest.delta(flag: nil, sidecar: loaded.stress), 0.05)
        XCTAssertEqual(deepTest.delta(flag: 0.3, sidecar: loaded.stress), 0.3)
        XCTAssertEqual(deepTest.delta(flag: nil, sidecar: nil), 0.1)
        var file = deepTest
        file.delta = 0.2
        XCTAssertEqual(file.delta(flag: nil, sidecar: loaded.stress), 0.2)
        XCTAssertNil(try XCTUnwrap(try sidecar(#"{"crop": ["10", "0", "0", "0"]}"#)).stress)
        XCTAssertThrowsError(try sidecar(#"{"stress": {"delta": -1}}"#)) { error in
            XCTAssertTrue((error as? SidecarError)?.detail.contains("stress.delta") == true, "\(error)")
        }
    }

    func testGreyscaleModelsNeedColorGray() throws {
        XCTAssertThrowsError(try ModelInput(inputShape: [4, 4, 1], preprocess: Preprocess())) { error in
            XCTAssertTrue((error as? InputShapeMismatch)?.hint.contains("--color gray") == true, "\(error)")
        }
        let input = try ModelInput(inputShape: [1, 1, 1], preprocess: Preprocess(colorSpace: .gray))
        let batch = try input.batch([Frame(index: 0, time: 0, width: 1, height: 1, pixels: [255, 255, 255])])
        XCTAssertEqual(batch.shape, [1, 1, 1, 1])
        XCTAssertEqual(batch.scalars, [255])
    }
}
