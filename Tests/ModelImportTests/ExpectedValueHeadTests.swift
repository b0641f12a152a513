import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// The expected angle Σ pᵢ·cᵢ appended to a categorical model's graph, and its input gradient, against
/// TensorFlow (`categorical_head/expected_angle*.npy`, gradient of Σ over the batch = seed 1 per frame).
final class ExpectedValueHeadTests: XCTestCase {
    func testExpectedAngleAndItsGradientMatchTensorFlow() throws {
        let folder = TestPaths.kerasFixtures.appendingPathComponent("categorical_head")
        let loaded = try KerasModelLoader.load(from: folder.appendingPathComponent("model.h5"))
        let centers = (0..<15).map { Float(-1 + Double($0) * 2 / 14) }
        let head = try loaded.appendingExpectedValue(ofOutput: 0, values: centers)
        XCTAssertEqual(head.card.outputs.map(\.name), ["angle_out", "throttle_out", "angle_out/expected"])
        XCTAssertEqual(head.model.outputShapes, [[15], [1], [1]])
        let input = try NPYArray(contentsOf: folder.appendingPathComponent("input.npy"))
        let outputs = try head.model.forward(Tensor(shape: input.shape, scalars: input.values))
        let expected = try NPYArray(contentsOf: folder.appendingPathComponent("expected_angle.npy"))
        let forward = TensorComparison("angle", actual: outputs[2].scalars, expected: expected.values, shape: expected.shape)
        XCTAssertTrue(forward.passed, forward.description)
        let gradient = head.model.backward(output: 2, unit: 0)
        let reference = try NPYArray(contentsOf: folder.appendingPathComponent("expected_angle_gradient.npy"))
        let backward = TensorComparison("dangle/dx", actual: gradient.scalars, expected: reference.values, shape: reference.shape)
        XCTAssertTrue(backward.passed, backward.description)
        XCTAssertThrowsError(try loaded.appendingExpectedValue(ofOutput: 1, values: centers), "15 bins on the 1-unit throttle head")
    }
}
