import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// Keras 1.2.1-layout models whose first layer is a Lambda body compiled by one Python version each
/// (3.5 … 3.12), against TensorFlow running the Lambda's meaning written out explicitly
/// (`Tests/Fixtures/lambdas/generate_lambda_models.py`): the resolved operations, the prediction and
/// the input gradient, within the tolerances of the Keras fixtures (atol 1e-5, rtol 1e-4).
final class LambdaModelFixtureTests: XCTestCase {
    static let root = TestPaths.fixtures.appendingPathComponent("lambdas/models")

    func testAreaResizeThenNormalisePython35() throws { try check("model_normalize_area") }
    func testCropWithImportPython36() throws { try check("model_crop_import") }
    func testCropWithImportWeightsOnlyWithArchitecture() throws { try check("model_crop_import", weightsOnly: true) }
    func testAlignCornersResizePython37() throws { try check("model_resize_align_corners") }
    func testMinMaxNormalisationPython38() throws { try check("model_minmax") }
    func testCropBicubicStandardisationPython39() throws { try check("model_bicubic_standardize") }
    func testNearestResizeToYUVPython310() throws { try check("model_nearest_yuv") }
    func testPerChannelMeanFromDefaultsPython311() throws { try check("model_per_channel") }
    func testConcatenateExpandDimsPython311Text() throws { try check("model_concat_expand") }
    func testRGBToHSVPython39Text() throws { try check("model_hsv") }
    func testBGRStandardScoreClipPython310Text() throws { try check("model_bgr_std_clip") }
    func testGrayscaleTanhPython312() throws { try check("model_gray_tanh") }

    func testEveryModelFixtureIsCovered() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.root.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(Set(present), [
            "model_normalize_area", "model_crop_import", "model_resize_align_corners", "model_minmax",
            "model_bicubic_standardize", "model_nearest_yuv", "model_per_channel", "model_concat_expand", "model_hsv", "model_bgr_std_clip", "model_gray_tanh",
        ])
    }

    /// The min/max fixture has tied extremes, so it exercises TensorFlow's equal split of the gradient.
    func testMinMaxFixtureHasTies() throws {
        let input = try NPYArray(contentsOf: Self.root.appendingPathComponent("model_minmax/input.npy"))
        let first = Array(input.values.prefix(input.values.count / 2))
        let highest = first.max()!, lowest = first.min()!
        let tied = first.filter { $0 == highest }.count + first.filter { $0 == lowest }.count
        XCTAssertGreaterThan(tied, 2)
    }

    /// Loads `model.h5` (or `weights.h5` + `architecture.json`) and compares operations, output and gradient.
    private func check(_ name: String, weightsOnly: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = Self.root.appendingPathComponent(name)
        let caseInfo = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("case.json"))) as? [String: Any])
        let loaded = weightsOnly
            ? try KerasModelLoader.load(from: directory.appendingPathComponent("weights.h5"), architecture: directory.appendingPathComponent("architecture.json"))
            : try KerasModelLoader.load(from: directory.appendingPathComponent("model.h5"))

        let expectedOperations = try XCTUnwrap(caseInfo["expected_operations"] as? [[String: Any]]).map(LambdaFixtureCase.operation)
        let resolution = try XCTUnwrap(loaded.card.lambdaResolutions.first, file: file, line: line)
        XCTAssertEqual(resolution.operations, expectedOperations, file: file, line: line)
        guard case .bytecode(let python) = resolution.source else { return XCTFail("\(name): not from bytecode", file: file, line: line) }
        XCTAssertTrue(python.hasPrefix("def ") || python.hasPrefix("lambda "), python, file: file, line: line)

        let input = try NPYArray(contentsOf: directory.appendingPathComponent("input.npy"))
        let outputs = try loaded.model.forward(Tensor(shape: input.shape, scalars: input.values))
        let expected = try NPYArray(contentsOf: directory.appendingPathComponent("output.npy"))
        let forward = TensorComparison("\(name) output", actual: outputs[0].scalars, expected: expected.values, shape: expected.shape)
        XCTAssertTrue(forward.passed, forward.description, file: file, line: line)

        let seed = try NPYArray(contentsOf: directory.appendingPathComponent("seed.npy"))
        let gradient = loaded.model.backward(output: 0, seed: Tensor(shape: seed.shape, scalars: seed.values))
        let expectedGradient = try NPYArray(contentsOf: directory.appendingPathComponent("gradient.npy"))
        XCTAssertEqual(gradient.shape, expectedGradient.shape, file: file, line: line)
        let backward = TensorComparison("\(name) gradient", actual: gradient.scalars, expected: expectedGradient.values, shape: expectedGradient.shape)
        XCTAssertTrue(backward.passed, backward.description, file: file, line: line)
        print("lambda model \(forward) | \(backward)")
    }
}
