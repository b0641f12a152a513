import Foundation
import ModelImport
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import Saliency

/// The three maps of ONNX models equal the keras-vis formulas applied to PyTorch autograd's input
/// gradient (Tests/Fixtures/onnx, see generate_fixtures.py): `increase` = normalize(max_c g),
/// `decrease` = normalize(max_c −g), `maintain` = normalize(max_c |1/(g + ε)|), with
/// normalize(M) = (M − min M)/(max M − min M + ε) per image. `maintain` amplifies the gradients'
/// last-bit differences where `g ≈ 0` (its scale is set by the smallest |g| of the image), so against
/// PyTorch's gradient it is held to 5e-3, and to 1e-6 against the formula on the engine's own gradient.
final class ONNXSaliencyTests: XCTestCase {
    static let root = TestPaths.fixtures.appendingPathComponent("onnx")

    /// keras-vis `visualize_saliency` on a gradient `[N, H, W, C]` (NHWC), written out independently of the engine.
    static func kerasVisMap(_ g: [Float], items: Int, pixels: Int, channels: Int, _ modifier: (Float) -> Float) -> [Float] {
        var result: [Float] = []
        for item in 0..<items {
            var map = [Double](repeating: 0, count: pixels)
            for p in 0..<pixels {
                map[p] = (0..<channels).map { Double(modifier(g[(item * pixels + p) * channels + $0])) }.max()!
            }
            let low = map.min()!, high = map.max()!
            result += map.map { Float(($0 - low) / (high - low + 1e-7)) }
        }
        return result
    }

    func check(_ name: String, inputs: [String: Float] = [:], maintainTolerance: Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = Self.root.appendingPathComponent(name)
        let loaded = try ONNXModelLoader.load(from: folder.appendingPathComponent("model.onnx"), inputValues: inputs)
        let input = try NPYArray(contentsOf: folder.appendingPathComponent("input.npy"))
        let torchGradient = try NPYArray(contentsOf: folder.appendingPathComponent("gradient_0.npy"))
        let (items, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        func nhwc(_ values: [Float]) -> [Float] {
            var result = values
            for n in 0..<items { for c in 0..<channels { for y in 0..<height { for x in 0..<width {
                result[((n * height + y) * width + x) * channels + c] = values[((n * channels + c) * height + y) * width + x]
            } } } }
            return result
        }
        let engine = try SaliencyEngine(model: loaded.model, kinds: [.increase, .decrease, .maintain])
        let result = try engine.run(Tensor(shape: [items] + loaded.inputShape, scalars: nhwc(input.values)))
        let g = nhwc(torchGradient.values), pixels = height * width
        let formulas: [(SaliencyMapKind, (Float) -> Float, Float)] = [
            (.increase, { $0 }, 1e-4), (.decrease, { -$0 }, 1e-4), (.maintain, { abs(1 / ($0 + 1e-7)) }, maintainTolerance),
        ]
        for (kind, formula, tolerance) in formulas {
            let expected = Self.kerasVisMap(g, items: items, pixels: pixels, channels: channels, formula)
            let comparison = TensorComparison("\(name) \(kind.name)", actual: result.maps[kind]!.scalars, expected: expected,
                                              shape: [items, height, width], atol: tolerance, rtol: 0)
            XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
            print("maps \(comparison)")
        }
        let own = Self.kerasVisMap(result.gradient.scalars, items: items, pixels: pixels, channels: channels) { abs(1 / ($0 + 1e-7)) }
        let exact = TensorComparison("\(name) maintain (own g)", actual: result.maps[.maintain]!.scalars, expected: own, shape: [items, height, width], atol: 1e-6, rtol: 0)
        XCTAssertTrue(exact.passed, exact.description, file: file, line: line)
    }

    /// `maintain` is `|1 / g|` scaled by its maximum: where `g` nearly cancels, a relative change of `g` in
    /// the 5th digit (Winograd's rounding in the second and third layers) moves a pixel by up to 1 %.
    func testPilotNetELUMapsEqualKerasVisOnTorchGradients() throws {
        try check("pilotnet_elu_opset17", maintainTolerance: 1e-2)
    }

    func testGreyscaleResidualMapsEqualKerasVisOnTorchGradients() throws {
        try check("resnet_gray_opset11", maintainTolerance: 5e-3)
    }

    func testDonkeyCarMapsEqualKerasVisOnTorchGradients() throws {
        try check("donkey_two_outputs_opset11", inputs: ["speed": 0.7], maintainTolerance: 5e-3)
    }
}
