import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// The real third-party steering models in `<repo>/../shared/data` (never copied into the repository),
/// loaded with no flags and compared with TensorFlow's outputs `y` and input gradients `g = ∂y/∂x` from
/// `reference/<model>/reference.npz`. Skips cleanly when the folder (or `unzip`) is absent.
final class RealModelTests: XCTestCase {
    func testNaokishibuyaKeras1() throws {
        let model = try KerasModelLoader.load(from: try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5"))
        XCTAssertEqual(model.inputShape, [66, 200, 3])
        XCTAssertEqual(model.card.kerasVersion, "1.2.1")
        XCTAssertEqual(model.card.format, "Keras 1")
        XCTAssertEqual(model.card.lambdaResolutions.map(\.layer), ["lambda_1"])
        XCTAssertEqual(model.card.lambdaResolutions.first?.operations, [.affine(scale: Float(1 / 127.5), offset: -1)])
        print(model.card.lambdaResolutions.map(\.description))
        XCTAssertEqual(model.card.totalParameters, 252_219)
        try compare(model, reference: "naokishibuya-pilotnet-keras1")
    }

    func testSvh2811Keras2WithBatchNormalization() throws {
        let model = try KerasModelLoader.load(from: try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.h5"))
        XCTAssertEqual(model.inputShape, [160, 320, 3])
        XCTAssertEqual(model.card.backend, "tensorflow")
        XCTAssertEqual(model.card.lambdaResolutions.map(\.layer), ["lambda_1", "lambda_2"])
        XCTAssertEqual(model.card.lambdaResolutions.map(\.operations), [
            [.resize(height: 66, width: 200, method: .bilinearTF1)], [.affine(scale: Float(1 / 255.0), offset: -0.5)],
        ])
        print(model.card.lambdaResolutions.map(\.description))
        try compare(model, reference: "svh2811-pilotnet-bn-keras2")
    }

    /// The weights-only file needs an architecture: the test writes one at run time from the full model's
    /// `model_config` (shared data is never copied into the repository).
    func testSvh2811WeightsOnlyWithArchitecture() throws {
        let weightsFile = try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.weights.h5")
        let fullFile = try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.h5")
        XCTAssertThrowsError(try KerasModelLoader.load(from: weightsFile)) { error in
            XCTAssertEqual(error as? ModelImportError, .architectureRequired(path: weightsFile.path))
            XCTAssertTrue((error as? ModelImportError)?.hint.contains("--architecture") ?? false)
        }
        let config = try XCTUnwrap(try HDF5File(readingAt: fullFile.path).rootGroup().stringAttribute("model_config"))
        let architecture = try TestPaths.temporaryDirectory(self).appendingPathComponent("svh2811.json")
        try Data(config.utf8).write(to: architecture)
        let model = try KerasModelLoader.load(from: weightsFile, architecture: architecture)
        XCTAssertEqual(model.card.architectureFile, architecture.path)
        try compare(model, reference: "svh2811-pilotnet-bn-keras2")
    }

    /// `--lambda` overrides win over the file's bytecode and are recorded as such.
    func testLambdaOverridesTakePriority() throws {
        let url = try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5")
        let model = try KerasModelLoader.load(from: url, lambdaOverrides: ["lambda_1": [.affine(scale: 1 / 127.5, offset: -1)]])
        XCTAssertEqual(model.card.lambdaResolutions, [LambdaLayerResolution(layer: "lambda_1", operations: [.affine(scale: 1 / 127.5, offset: -1)], source: .override)])
        try compare(model, reference: "naokishibuya-pilotnet-keras1")
        XCTAssertThrowsError(try KerasModelLoader.load(from: url, lambdaOverrides: ["lambda_9": [.identity]])) { error in
            XCTAssertEqual(error as? ModelImportError, .unknownLambdaOverride(name: "lambda_9", lambdaLayers: ["lambda_1"]))
        }
    }

    // MARK: Helpers

    /// Runs the reference pixels through `model` and checks y (max |Δ|/max|y| ≤ 1e-4) and g (≤ 1e-3).
    private func compare(_ loaded: LoadedModel, reference name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let archive = try TestPaths.shared("reference/\(name)/reference.npz")
        guard let x = try NPYArray.fromArchive(archive, member: "x"),
              let y = try NPYArray.fromArchive(archive, member: "y"),
              let g = try NPYArray.fromArchive(archive, member: "g") else {
            throw XCTSkip("unzip is not available to read \(archive.path)")
        }
        let outputs = try loaded.model.forward(Tensor(shape: x.shape, scalars: x.values))
        let gradient = loaded.model.backward(output: 0, unit: 0)
        let prediction = (0..<x.shape[0]).map { outputs[0].scalars[$0 * outputs[0].itemCount] }
        let forward = TensorComparison("\(name) y", actual: prediction, expected: y.values, shape: y.shape)
        let backward = TensorComparison("\(name) g", actual: gradient.scalars, expected: g.values, shape: g.shape)
        print("real model \(forward)\nreal model \(backward)")
        XCTAssertLessThanOrEqual(forward.maxRelativeToScale, 1e-4, forward.description, file: file, line: line)
        XCTAssertLessThanOrEqual(backward.maxRelativeToScale, 1e-3, backward.description, file: file, line: line)
    }
}
