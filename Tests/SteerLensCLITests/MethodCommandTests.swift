import Foundation
import SteerLensSupport
import TestSupport
import XCTest

/// `analyze --method`: each method's maps in its own folders, the default method's paths unchanged,
/// per-method columns and run.json fields, and exit 64 where a method is not defined.
final class MethodCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("analyze-methods")

    func testEveryMethodWritesItsOwnMapsBesideTheDefault() throws {
        let out = Self.directory.appendingPathComponent("all")
        let result = try SteerLensBinary.run(["analyze", AnalyzeReportTests.hostileClip.path, "--model", AnalyzeReportTests.model, "--out", out.path,
                                              "--overwrite", "--quiet", "--max-frames", "2", "--save-maps", "npy",
                                              "--method", "gradient", "--method", "gradcam", "--method", "visualbackprop", "--method", "smoothgrad",
                                              "--method", "integrated-gradients", "--method", "occlusion", "--smooth-samples", "2", "--ig-steps", "4",
                                              "--occlusion-patch", "8", "--occlusion-stride", "8"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let files = FileManager.default
        let frame = "000000"
        for folder in ["increase", "maintain", "gradcam/increase", "gradcam/maintain", "visualbackprop/mask", "smoothgrad/decrease",
                       "integrated-gradients/increase", "occlusion/decrease"] {
            XCTAssertTrue(files.fileExists(atPath: out.appendingPathComponent("\(folder)/\(frame).png").path), folder)
            let map = try NPYArray(contentsOf: out.appendingPathComponent("maps/\(folder)/\(frame).npy"))
            XCTAssertEqual(map.shape.count, 2, folder)
            XCTAssertTrue(map.values.allSatisfy { (0...1).contains($0) }, folder)
            XCTAssertEqual(map.values.max()!, 1, accuracy: 1e-3, "\(folder) is min-max normalised")
        }
        let csv = try String(contentsOf: out.appendingPathComponent("frames.csv"), encoding: .utf8)
        let header = csv.split(separator: "\n")[0].split(separator: ",").map(String.init)
        XCTAssertTrue(header.contains("gradcam_increase_importance_upper"))
        XCTAssertTrue(header.contains("visualbackprop_mask_importance_left"))
        XCTAssertTrue(header.contains("integrated-gradients_completeness_error"))
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as! [String: Any]
        let methods = (run["settings"] as! [String: Any])["methods"] as! [[String: Any]]
        XCTAssertEqual(methods.map { $0["name"] as! String }, ["gradient", "gradcam", "visualbackprop", "smoothgrad", "integrated-gradients", "occlusion"])
        let frames = run["frames"] as! [[String: Any]]
        let completeness = try XCTUnwrap((frames[0]["diagnostics"] as? [String: Double])?["integrated-gradients_completeness_error"])
        XCTAssertTrue(completeness.isFinite && completeness >= 0)
    }

    func testMethodsThatDoNotFitTheModelExit64() throws {
        let out = Self.directory.appendingPathComponent("bad")
        let badLayer = try SteerLensBinary.run(["analyze", AnalyzeReportTests.hostileClip.path, "--model", AnalyzeReportTests.model, "--out", out.path,
                                                "--overwrite", "--quiet", "--max-frames", "1", "--method", "gradcam", "--cam-layer", "no_such_layer"])
        XCTAssertEqual(badLayer.status, 64, badLayer.stderr)
        XCTAssertTrue(badLayer.stderr.contains("no_such_layer"), badLayer.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let unknown = try SteerLensBinary.run(["analyze", AnalyzeReportTests.hostileClip.path, "--model", AnalyzeReportTests.model, "--method", "lime"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        // Outside 1…1000: refused before the model loads, naming the flag and the bound (100 million steps
        // would otherwise run for days on one frame).
        for (flag, value) in [("--ig-steps", "0"), ("--ig-steps", "100000000"), ("--smooth-samples", "0"), ("--smooth-samples", "1001")] {
            let result = try SteerLensBinary.run(["analyze", AnalyzeReportTests.hostileClip.path, "--model", AnalyzeReportTests.model, flag, value])
            XCTAssertEqual(result.status, 64, "\(flag) \(value): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("\(flag) must be within 1…1000, got \(value)"), result.stderr)
        }
    }

    /// svh2811's PilotNet resizes between its crop and its first convolution: VisualBackProp is not defined.
    func testVisualBackPropOnAResizingModelExits64() throws {
        let model = try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.h5").path
        let out = Self.directory.appendingPathComponent("vbp")
        let result = try SteerLensBinary.run(["analyze", AnalyzeReportTests.hostileClip.path, "--model", model, "--out", out.path, "--overwrite",
                                              "--quiet", "--max-frames", "1", "--method", "visualbackprop"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("visualbackprop is not defined"), result.stderr)
    }
}
