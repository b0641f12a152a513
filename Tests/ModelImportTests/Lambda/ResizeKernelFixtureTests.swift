import Foundation
import NeuralNet
import TestSupport
import XCTest
@testable import ModelImport

/// Every resize a Lambda can name (``ModelImport/ResizeMethod``), mapped to its NeuralNet layer, against
/// the TensorFlow op it stands for (`Tests/Fixtures/lambdas/resize_kernels.json`, written by
/// `generate_lambda_models.py`): output and input gradient, down- and upscaling, atol 1e-5 / rtol 1e-4.
final class ResizeKernelFixtureTests: XCTestCase {
    func testEveryKernelMatchesTensorFlow() throws {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("lambdas/resize_kernels.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let shape = try XCTUnwrap(root["input_shape"] as? [Int])
        let input = Tensor(shape: shape, scalars: try XCTUnwrap(root["input"] as? [Double]).map(Float.init))
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertEqual(Set(cases.compactMap { $0["method"] as? String }), Set(ModelImport.ResizeMethod.allCases.map(\.rawValue)))
        for entry in cases {
            let method = try XCTUnwrap(ModelImport.ResizeMethod(rawValue: entry["method"] as! String))
            let (height, width) = (entry["height"] as! Int, entry["width"] as! Int)
            let label = "\(method.rawValue) \(shape[1])x\(shape[2]) -> \(height)x\(width)"
            let layer = try LambdaLayerMapping.layer(for: .resize(height: height, width: width, method: method), name: "resize",
                                                     layerName: "lambda", inputShape: Array(shape.dropFirst()))
            let output = layer.forward(inputs: [input])
            let expected = (entry["output"] as! [Double]).map(Float.init)
            let forward = TensorComparison("\(label) output", actual: output.scalars, expected: expected, shape: output.shape)
            XCTAssertTrue(forward.passed, forward.description)
            let seed = Tensor(shape: output.shape, scalars: (entry["seed"] as! [Double]).map(Float.init))
            let gradient = layer.backward(outputGradient: seed, modifier: nil)[0]
            let expectedGradient = (entry["gradient"] as! [Double]).map(Float.init)
            let backward = TensorComparison("\(label) gradient", actual: gradient.scalars, expected: expectedGradient, shape: shape)
            XCTAssertTrue(backward.passed, backward.description)
        }
    }
}
