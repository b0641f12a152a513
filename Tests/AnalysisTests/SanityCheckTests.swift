import Foundation
import ModelImport
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import TestSupport
import XCTest
@testable import Analysis

/// The cascading randomisation test on the real pilotnet_elu fixture model (`Tests/Fixtures/saliency`):
/// the gradient's maps must lose their similarity, an edge detector of the input must be flagged.
final class SanityCheckTests: XCTestCase {
    /// A "method" that ignores the model: Sobel gradient magnitude of the channel mean, min-max normalised.
    struct EdgeDetector: SanityMethod {
        var mapNames: [String] { ["edges"] }
        func maps(model: Model, batch: Tensor) throws -> [String: [[Float]]] {
            let (height, width, channels) = (batch.shape[1], batch.shape[2], batch.shape[3])
            let maps = (0..<batch.batchSize).map { item -> [Float] in
                func grey(_ y: Int, _ x: Int) -> Float {
                    let (cy, cx) = (min(max(y, 0), height - 1), min(max(x, 0), width - 1))
                    let base = ((item * height + cy) * width + cx) * channels
                    return batch.scalars[base..<(base + channels)].reduce(0, +) / Float(channels)
                }
                var map = [Float](repeating: 0, count: height * width)
                for y in 0..<height {
                    for x in 0..<width {
                        let gx = grey(y - 1, x + 1) + 2 * grey(y, x + 1) + grey(y + 1, x + 1) - grey(y - 1, x - 1) - 2 * grey(y, x - 1) - grey(y + 1, x - 1)
                        let gy = grey(y + 1, x - 1) + 2 * grey(y + 1, x) + grey(y + 1, x + 1) - grey(y - 1, x - 1) - 2 * grey(y - 1, x) - grey(y - 1, x + 1)
                        map[y * width + x] = (gx * gx + gy * gy).squareRoot()
                    }
                }
                let (low, high) = (map.min()!, map.max()!)
                return map.map { ($0 - low) / max(high - low, 1e-12) }
            }
            return ["edges": maps]
        }
    }

    func fixture() throws -> (Model, Tensor) {
        let folder = TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_elu")
        let model = try KerasModelLoader.load(from: folder.appendingPathComponent("model.h5")).model
        let input = try NPYArray(contentsOf: folder.appendingPathComponent("input.npy"))
        return (model, Tensor(shape: input.shape, scalars: input.values))
    }

    func testGradientPassesAndAnEdgeDetectorIsFlagged() throws {
        let (model, batch) = try fixture()
        XCTAssertEqual(model.reinitialisableLayerNames, ["conv1", "conv2", "conv3", "fc1", "steering"])
        let gradient = SanityCheck(model: model, method: try ExplainerSanityMethod(model: model, objective: .output(index: 0, unit: 0), kinds: [.increase, .decrease]), seed: 3)
        let steps = try gradient.cascade(batch)
        XCTAssertEqual(steps.map(\.layer), ["steering", "fc1", "conv3", "conv2", "conv1"], "from the output down")
        XCTAssertEqual(steps.last?.randomised.count, 5)
        for name in ["increase", "decrease"] {
            let last = try XCTUnwrap(steps.last?.maps[name])
            XCTAssertLessThan(last.spearman, 0.5, "\(name): the gradient of a random network must not look like the trained one's")
            XCTAssertLessThan(last.ssim, 0.5, name)
        }
        let report = SanityReport(steerlensVersion: "test", model: "m", clip: "c", frames: [0, 1, 2], maps: ["increase", "decrease"],
                                  initialiser: SanityCheck.initialiser, seed: 3, threshold: 0.5, cascade: steps)
        XCTAssertEqual(report.flagged, [])

        let edges = try SanityCheck(model: model, method: EdgeDetector(), seed: 3).cascade(batch)
        XCTAssertEqual(try XCTUnwrap(edges.last?.maps["edges"]?.spearman), 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(edges.last?.maps["edges"]?.ssim), 1, accuracy: 1e-9)
        let flagged = SanityReport(steerlensVersion: "test", model: "m", clip: "c", frames: [0, 1, 2], maps: ["edges"],
                                   initialiser: SanityCheck.initialiser, seed: 3, threshold: 0.5, cascade: edges)
        XCTAssertEqual(flagged.flagged, ["edges"])
        let page = try flagged.renderPage()
        XCTAssertTrue(page.contains("FLAGGED"))
        XCTAssertEqual(HTMLStructure(page).problems, [])
    }

    /// Methods with kinds of their own (VisualBackProp's `mask`) name their maps like `analyze`.
    func testEveryMethodRunsThroughTheCascade() throws {
        let (model, batch) = try fixture()
        let method = try ExplainerSanityMethod(model: model, objective: .output(index: 0, unit: 0), kinds: [.increase],
                                               methods: [.gradient, .gradcam, .visualbackprop])
        XCTAssertEqual(method.mapNames, ["increase", "gradcam/increase", "visualbackprop/mask"])
        let steps = try SanityCheck(model: model, method: method, seed: 3).cascade(batch)
        XCTAssertEqual(Set(steps[0].maps.keys), Set(method.mapNames))
        XCTAssertTrue(steps.allSatisfy { $0.maps.values.allSatisfy { $0.spearman.isFinite && $0.ssim.isFinite } })
    }

    /// Re-initialisation is seeded, keeps the graph, touches only the named layers and follows Glorot's limit.
    func testReinitialisationIsSeededAndLocal() throws {
        let (model, batch) = try fixture()
        let reference = try model.forward(batch)[0].scalars
        let first = try model.reinitialising(["steering"], seed: 1), again = try model.reinitialising(["steering"], seed: 1)
        let other = try model.reinitialising(["steering"], seed: 2)
        let outputs = try first.forward(batch)[0].scalars
        XCTAssertEqual(outputs, try again.forward(batch)[0].scalars)
        XCTAssertNotEqual(outputs, try other.forward(batch)[0].scalars)
        XCTAssertNotEqual(outputs, reference)
        XCTAssertEqual(try model.forward(batch)[0].scalars, reference, "the trained model keeps its weights")
        let dense = try XCTUnwrap(first.layer(named: "steering") as? Dense), original = try XCTUnwrap(model.layer(named: "steering") as? Dense)
        XCTAssertFalse(dense === original)
        XCTAssertTrue(first.layer(named: "fc1") === model.layer(named: "fc1"), "layers outside the cascade are shared, not copied")
        let limit = Float((6 / Double(dense.kernel.shape[0] + dense.kernel.shape[1])).squareRoot())
        XCTAssertTrue(dense.kernel.scalars.allSatisfy { abs($0) <= limit })
        XCTAssertGreaterThan(dense.kernel.scalars.map(abs).max()!, 0.8 * limit)
        XCTAssertTrue(dense.bias?.scalars.allSatisfy { $0 == 0 } ?? true)
    }
}
