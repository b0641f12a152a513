import ModelImport
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import Saliency

/// The real third-party models against the maps real TensorFlow/tf-keras-vis computed on the same
/// pixels (`../shared/data/reference`; skipped when absent).
final class ReferenceModelTests: XCTestCase {
    func checkReference(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = try TestPaths.shared("reference/\(name)")
        let archive = folder.appendingPathComponent("reference.npz")
        guard let pixels = try NPYArray.fromArchive(archive, member: "x") else { throw XCTSkip("unzip is not installed") }
        let loaded = try KerasModelLoader.load(from: try TestPaths.shared("models/\(name).h5"))
        let engine = try SaliencyEngine(model: loaded.model)
        let result = try engine.run(Tensor(shape: pixels.shape, scalars: pixels.values))
        XCTAssertEqual(engine.backwardPassCount, 1)

        let y = try XCTUnwrap(try NPYArray.fromArchive(archive, member: "y"))
        let predictions = TensorComparison("y", actual: result.outputs[0].scalars, expected: y.values, shape: y.shape, atol: 0, rtol: 1e-4)
        XCTAssertTrue(predictions.passed, predictions.description, file: file, line: line)

        let g = try XCTUnwrap(try NPYArray.fromArchive(archive, member: "g"))
        let items = pixels.shape[0], perItem = g.values.count / items, pixels2D = perItem / 3
        for item in 0..<items {
            let reference = Array(g.values[(item * perItem)..<((item + 1) * perItem)])
            let ours = Array(result.gradient.scalars[(item * perItem)..<((item + 1) * perItem)])
            let scale = reference.map(abs).max()!
            let comparison = TensorComparison("g[\(item)]", actual: ours, expected: reference, shape: Array(g.shape.dropFirst()), atol: 1e-3 * scale, rtol: 0)
            XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
        }
        for kind in [SaliencyMapKind.increase, .decrease] {
            let reference = try XCTUnwrap(try NPYArray.fromArchive(archive, member: kind.name))
            let comparison = TensorComparison(kind.name, actual: result.maps[kind]!.scalars, expected: reference.values, shape: reference.shape, atol: 1e-4, rtol: 0)
            XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
        }
        // maintain is ill-conditioned across implementations: check it as the formula applied to our g.
        let maintain = result.maps[.maintain]!.scalars
        for item in 0..<items {
            var m = (0..<pixels2D).map { pixel in (0..<3).map { abs(1 / (result.gradient.scalars[item * perItem + pixel * 3 + $0] + Float(1e-7))) }.max()! }
            m = m.map { $0.isFinite ? $0 : .greatestFiniteMagnitude }
            let low = Double(m.min()!), range = Double(m.max()!) - low + 1e-7
            for pixel in 0..<pixels2D {
                XCTAssertEqual(maintain[item * pixels2D + pixel], Float((Double(m[pixel]) - low) / range), accuracy: 1e-6, file: file, line: line)
            }
        }
    }

    func testKeras1PilotNet() throws { try checkReference("naokishibuya-pilotnet-keras1") }
    func testKeras2PilotNetWithBatchNormalization() throws { try checkReference("svh2811-pilotnet-bn-keras2") }
}
