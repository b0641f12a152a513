import Foundation
import ModelImport
import NeuralNet
import VideoIO
import XCTest

/// Acceptance 2 (SteerLens side): the baseline demo model, loaded by ``KerasModelLoader`` and run by
/// NeuralNet on the committed clip decoded by ``FrameReader`` with the sidecar's preprocessing, steers
/// within MAE 0.05 of labels.csv. Every 5th frame (270 of 1350) keeps the debug-build test fast; the
/// model card reports the TensorFlow MAE over every frame.
final class DemoModelAccuracyTests: XCTestCase {
    static let every = 5

    func predictions(model name: String) throws -> [(frame: Int, prediction: Double)] {
        let model = try DemoModel(named: name)
        let reader = try FrameReader(path: DemoPaths.clip.path, options: ReadOptions(every: Self.every))
        var result: [(Int, Double)] = []
        while true {
            let frames = try reader.nextBatch(32)
            if frames.isEmpty { break }
            let output = try model.loaded.model.forward(try model.batch(frames))[0]
            for (index, frame) in frames.enumerated() { result.append((frame.index, Double(output.scalars[index]))) }
        }
        return result
    }

    func testBaselineSteersWithinMAE005OnTheDemoClip() throws {
        let labels = try DemoPaths.labels()
        let predicted = try predictions(model: "pilotnet-demo.h5")
        XCTAssertEqual(predicted.count, 1350 / Self.every)
        let errors = predicted.map { abs($0.prediction - labels[$0.frame]!) }
        let mae = errors.reduce(0, +) / Double(errors.count)
        print("pilotnet-demo: SteerLens MAE \(mae) over \(errors.count) frames (every \(Self.every)th), max error \(errors.max()!)")
        XCTAssertLessThanOrEqual(mae, 0.05)

        // It follows the curves: predictions correlate with the labels and keep their sign on clear turns.
        let x = predicted.map(\.prediction), y = predicted.map { labels[$0.frame]! }
        XCTAssertGreaterThan(Self.correlation(x, y), 0.95)
        for (prediction, label) in zip(x, y) where abs(label) > 0.3 {
            XCTAssertEqual(prediction.sign, label.sign, "prediction \(prediction) for label \(label)")
        }
    }

    func testCandidateIsWorseOnLeftCurves() throws {
        let labels = try DemoPaths.labels()
        let scene = try String(contentsOf: DemoPaths.demo.appendingPathComponent("scene.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let leftCurve = Set(scene.filter { $0[1] == "left_curve" }.map { Int($0[0])! })
        func leftCurveMAE(_ name: String) throws -> Double {
            let errors = try predictions(model: name).filter { leftCurve.contains($0.frame) }.map { abs($0.prediction - labels[$0.frame]!) }
            return errors.reduce(0, +) / Double(errors.count)
        }
        let baseline = try leftCurveMAE("pilotnet-demo.h5"), candidate = try leftCurveMAE("pilotnet-demo-candidate.h5")
        print("left-curve MAE: baseline \(baseline), candidate \(candidate)")
        XCTAssertGreaterThan(candidate, 2 * baseline)
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        return sxy / (sxx * syy).squareRoot()
    }
}
