import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// Loads every ONNX fixture (Tests/Fixtures/onnx/<case>_opset<N>/, exported by real PyTorch, see
/// generate_fixtures.py) and compares each output with onnxruntime's and each input gradient
/// `∂(Σₙ output_k[n, 0])/∂input` with PyTorch autograd's, element-wise with rtol 1e-4 and atol 1e-5 (the Keras
/// fixtures' tolerances; for gradients at most 1e-4 of the largest reference value, since input gradients
/// are often far below 1e-5). Inputs and gradients are stored in the model's own layout (NCHW, or NHWC for
/// the NHWC-input case) and transposed here to the engine's NHWC.
final class ONNXFixtureTests: XCTestCase {
    static let cases = ["pilotnet_elu", "pilotnet_relu_nhwc", "pilotnet_bn", "donkey_two_outputs", "resnet_gray", "ops_mix", "transposed_decoder"]

    func testPilotNetELUOpset11() throws { try checkFixture("pilotnet_elu_opset11") }
    func testPilotNetELUOpset17WithExternalData() throws { try checkFixture("pilotnet_elu_opset17") }
    func testPilotNetReLUWithNHWCInputOpset11() throws { try checkFixture("pilotnet_relu_nhwc_opset11") }
    func testPilotNetReLUWithNHWCInputOpset17() throws { try checkFixture("pilotnet_relu_nhwc_opset17") }
    func testBatchNormPilotNetOpset11() throws { try checkFixture("pilotnet_bn_opset11") }
    func testBatchNormPilotNetOpset17() throws { try checkFixture("pilotnet_bn_opset17") }
    func testDonkeyCarTwoOutputsWithSpeedInputOpset11() throws { try checkFixture("donkey_two_outputs_opset11") }
    func testDonkeyCarTwoOutputsWithSpeedInputOpset17() throws { try checkFixture("donkey_two_outputs_opset17") }
    func testGreyscaleResidualDepthwiseOpset11() throws { try checkFixture("resnet_gray_opset11") }
    func testGreyscaleResidualDepthwiseOpset17() throws { try checkFixture("resnet_gray_opset17") }
    func testOperatorMixOpset11() throws { try checkFixture("ops_mix_opset11") }
    func testOperatorMixOpset17() throws { try checkFixture("ops_mix_opset17") }
    func testTransposedConvolutionOpset11() throws { try checkFixture("transposed_decoder_opset11") }
    func testTransposedConvolutionOpset17() throws { try checkFixture("transposed_decoder_opset17") }

    /// Every fixture folder has a test above.
    func testEveryFixtureIsCovered() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.root.path)
            .filter { FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("\($0)/case.json").path) }
        XCTAssertEqual(Set(present), Set(Self.cases.flatMap { ["\($0)_opset11", "\($0)_opset17"] }))
    }

    /// The flatten after the last convolution is absorbed by the first dense layer's rows: no
    /// permutation layer runs, and the engine graph is as long as the Keras PilotNet's.
    func testChannelsFirstFlattenCostsNoLayer() throws {
        let loaded = try ONNXModelLoader.load(from: Self.root.appendingPathComponent("pilotnet_relu_nhwc_opset17/model.onnx"))
        let types = loaded.model.layerInfo.map(\.typeName)
        XCTAssertFalse(types.contains("Permute") || types.contains("FeaturePermutation"), "\(types)")
        XCTAssertEqual(types.filter { $0 == "Conv2D" }.count, 5)
        XCTAssertFalse(types.contains("Activation"), "activations are fused into Conv2D/Dense: \(types)")
    }

    static var root: URL { TestPaths.kerasFixtures.deletingLastPathComponent().appendingPathComponent("onnx") }

    /// `[N, C, H, W] ↔ [N, H, W, C]`.
    static func toNHWC(_ array: NPYArray) -> [Float] {
        let (n, c, h, w) = (array.shape[0], array.shape[1], array.shape[2], array.shape[3])
        var result = [Float](repeating: 0, count: array.values.count)
        for b in 0..<n { for k in 0..<c { for y in 0..<h { for x in 0..<w {
            result[((b * h + y) * w + x) * c + k] = array.values[((b * c + k) * h + y) * w + x]
        } } } }
        return result
    }

    static func caseInputs(_ directory: URL) throws -> [String: Float] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("case.json"))) as! [String: Any]
        return (json["inputs"] as? [String: Double] ?? [:]).mapValues { Float($0) }
    }

    private func checkFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = Self.root.appendingPathComponent(name)
        let loaded = try ONNXModelLoader.load(from: directory.appendingPathComponent("model.onnx"), inputValues: try Self.caseInputs(directory))
        let input = try NPYArray(contentsOf: directory.appendingPathComponent("input.npy"))
        let channelsFirst = loaded.card.modelClass == "NCHW graph"
        let batch = input.shape[0]
        let engineInput = channelsFirst ? Self.toNHWC(input) : input.values
        let outputs = try loaded.model.forward(Tensor(shape: [batch] + loaded.inputShape, scalars: engineInput))
        XCTAssertEqual(outputs.count, loaded.card.outputs.count, file: file, line: line)
        for (k, output) in outputs.enumerated() {
            let expected = try NPYArray(contentsOf: directory.appendingPathComponent("output_\(k).npy"))
            let forward = TensorComparison("\(name) output \(k)", actual: output.scalars, expected: expected.values, shape: expected.shape)
            XCTAssertTrue(forward.passed, forward.description, file: file, line: line)

            let gradient = loaded.model.backward(output: k, unit: 0)
            let expectedGradient = try NPYArray(contentsOf: directory.appendingPathComponent("gradient_\(k).npy"))
            let reference = channelsFirst ? Self.toNHWC(expectedGradient) : expectedGradient.values
            // Input gradients can be far below 1e-5 everywhere: the absolute tolerance scales with the reference.
            let scale = reference.map(abs).max() ?? 0
            XCTAssertGreaterThan(scale, 0, "\(name): the reference gradient is not all zeros", file: file, line: line)
            let backward = TensorComparison("\(name) gradient \(k)", actual: gradient.scalars, expected: reference, shape: [batch] + loaded.inputShape,
                                            atol: min(1e-5, 1e-4 * scale), rtol: 1e-4)
            XCTAssertTrue(backward.passed, backward.description, file: file, line: line)
            print("fixture \(forward) | \(backward)")
        }
    }
}
