import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// `steerlens analyze` through the built binary: the reference maps of real TensorFlow reproduced from
/// the command line, the output layout, and a whole real clip.
final class AnalyzeCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("analyze")
    static let pilotnetModel = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5").path

    func out(_ name: String) -> URL { Self.directory.appendingPathComponent(name) }

    /// Two runs of the same clip write the same files, byte for byte, but for the timing figures (batch
    /// boundaries never depend on timing: PipelineStageTests.testBatchBoundariesDoNotDependOnTiming).
    func testTwoRunsWriteTheSameFiles() throws {
        let clip = out("repeat.mp4")
        _ = try TestClips.writeVideo(to: clip, count: 24, size: PixelSize(width: 320, height: 180), encoding: .h264(frameRate: Rational(30, 1)))
        var runs: [[String: Data]] = []
        for name in ["repeat-a", "repeat-b"] {
            let destination = out(name)
            let result = try SteerLensBinary.run(["analyze", clip.path, "--model", Self.pilotnetModel, "--out", destination.path,
                                                  "--save-maps", "npy", "--overwrite", "--batch-size", "5"])
            XCTAssertEqual(result.status, 0, result.stderr)
            var files: [String: Data] = [:]
            for path in try FileManager.default.subpathsOfDirectory(atPath: destination.path).sorted() {
                var isDirectory: ObjCBool = false
                let url = destination.appendingPathComponent(path)
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                var text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
                if path == "run.json" || path == "index.html" {
                    text = text.replacingOccurrences(of: #""elapsedSeconds" : [0-9.e+-]+"#, with: "", options: .regularExpression)
                        .replacingOccurrences(of: #"[0-9.]+ (frames/s|s elapsed)"#, with: "", options: .regularExpression)
                    files[path] = Data(text.utf8)
                } else {
                    files[path] = try Data(contentsOf: url)
                }
            }
            runs.append(files)
        }
        XCTAssertEqual(runs[0].keys.sorted(), runs[1].keys.sorted())
        XCTAssertGreaterThan(runs[0].count, 24 * 4, "maps and images of 24 frames")
        for (path, data) in runs[0] where runs[1][path] != data {
            XCTFail("\(path) differs between two runs of the same clip")
        }
    }

    func testWritesTheStableOutputLayout() throws {
        let destination = out("layout")
        let result = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, "--model", Self.pilotnetModel,
                                              "--out", destination.path, "--save-maps", "npy"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let csv = try String(contentsOf: destination.appendingPathComponent("frames.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(csv.first?.hasPrefix("frame,time_s,prediction,label,error,increase_importance_upper") == true, "\(csv.first ?? "")")
        XCTAssertEqual(csv.count, 3)
        for kind in ["increase", "decrease", "maintain"] {
            for frame in ["000000", "000001"] {
                let map = try NPYArray(contentsOf: destination.appendingPathComponent("maps/\(kind)/\(frame).npy"))
                XCTAssertEqual(map.shape, [32, 64])
                XCTAssertTrue(map.values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
                // max is (max − min)/(max − min + ε): just below 1 when gradients are small.
                XCTAssertGreaterThan(map.values.max()!, 0.99)
                XCTAssertEqual(map.values.min()!, 0)
            }
        }
        let gradient = try NPYArray(contentsOf: destination.appendingPathComponent("gradients/000001.npy"))
        XCTAssertEqual(gradient.shape, [32, 64, 3])
        struct Run: Decodable {
            struct Summary: Decodable { let frames: Int }
            struct Settings: Decodable { let maps: [String]; let objective: String }
            let summary: Summary
            let settings: Settings
        }
        let run = try JSONDecoder().decode(Run.self, from: Data(contentsOf: destination.appendingPathComponent("run.json")))
        XCTAssertEqual(run.summary.frames, 2)
        XCTAssertEqual(run.settings.maps.count, 3)
        let grid = try NPYArray(contentsOf: destination.appendingPathComponent("saliency-grid.npy"))
        XCTAssertEqual(grid.shape, [2, 3, 24, 48], "frames × maps × frame grid (48 wide, 32:64 aspect)")
        // No staging directory is left behind.
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).contains { $0.contains(".partial") })
    }

    func testPredictionsAndGradientsMatchTensorFlow() throws {
        // pilotnet_small's reference gradient uses a random seed projection of a 1-unit output:
        // ∂(r·y)/∂x = r·∂y/∂x per sample, so g = gradient / r.
        let folder = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small")
        let destination = out("pilotnet-tf")
        let result = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, "--model", Self.pilotnetModel,
                                              "--out", destination.path, "--save-maps", "npy", "--maps", "increase"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let seed = try NPYArray(contentsOf: folder.appendingPathComponent("seed.npy")).values
        let reference = try NPYArray(contentsOf: folder.appendingPathComponent("gradient.npy"))
        let perItem = reference.values.count / 2
        for item in 0..<2 {
            let expected = reference.values[(item * perItem)..<((item + 1) * perItem)].map { $0 / seed[item] }
            let ours = try NPYArray(contentsOf: destination.appendingPathComponent(String(format: "gradients/%06d.npy", item))).values
            let comparison = TensorComparison("g[\(item)]", actual: ours, expected: expected, shape: [32, 64, 3],
                                              atol: 1e-4 * expected.map(abs).max()!, rtol: 0)
            XCTAssertTrue(comparison.passed, comparison.description)
        }
    }

    func testReproducesTheRealReferenceMapsFromTheCommandLine() throws {
        for name in ["naokishibuya-pilotnet-keras1", "svh2811-pilotnet-bn-keras2"] {
            let folder = try TestPaths.shared("reference/\(name)")
            let model = try TestPaths.shared("models/\(name).h5").path
            let archive = folder.appendingPathComponent("reference.npz")
            guard let g = try NPYArray.fromArchive(archive, member: "g") else { throw XCTSkip("unzip is not installed") }
            for item in 0..<g.shape[0] {
                let destination = out("\(name)-\(item)")
                let result = try SteerLensBinary.run(["analyze", folder.appendingPathComponent("input_\(item).png").path, "--model", model,
                                                      "--out", destination.path, "--save-maps", "npy"])
                XCTAssertEqual(result.status, 0, result.stderr)
                let perItem = g.values.count / g.shape[0]
                let reference = Array(g.values[(item * perItem)..<((item + 1) * perItem)])
                let ours = try NPYArray(contentsOf: destination.appendingPathComponent("gradients/000000.npy")).values
                let gradient = TensorComparison("\(name) g[\(item)]", actual: ours, expected: reference, shape: Array(g.shape.dropFirst()),
                                                atol: 1e-3 * reference.map(abs).max()!, rtol: 0)
                XCTAssertTrue(gradient.passed, gradient.description)
                for kind in ["increase", "decrease"] {
                    let maps = try XCTUnwrap(try NPYArray.fromArchive(archive, member: kind))
                    let size = maps.values.count / maps.shape[0]
                    let expected = Array(maps.values[(item * size)..<((item + 1) * size)])
                    let actual = try NPYArray(contentsOf: destination.appendingPathComponent("maps/\(kind)/000000.npy")).values
                    let comparison = TensorComparison("\(name) \(kind)[\(item)]", actual: actual, expected: expected, shape: [size], atol: 1e-4, rtol: 0)
                    XCTAssertTrue(comparison.passed, comparison.description)
                }
            }
        }
    }

    func testWholeRealClipWithTheOriginalPreprocessing() throws {
        // naokishibuya's drive.py: rows 60..135 of a 160-row frame (37.5 % / 15.625 %), 200x66, RGB→YUV.
        let clip = try TestPaths.shared("clips/udacity-solidWhiteRight.mp4").path
        let model = try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5").path
        let destination = out("solidWhiteRight")
        let result = try SteerLensBinary.run(["analyze", clip, "--model", model, "--crop", "37.5%,15.625%,0,0", "--color", "yuv",
                                              "--out", destination.path, "--save-maps", "npy", "--png-every", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try String(contentsOf: destination.appendingPathComponent("frames.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 221, "one row per decoded frame")
        XCTAssertEqual(rows.map { Int($0.split(separator: ",")[0])! }, Array(0..<221))
        for kind in ["increase", "decrease", "maintain"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: destination.appendingPathComponent("maps/\(kind)").path)
            XCTAssertEqual(files.count, 221)
            for frame in stride(from: 0, to: 221, by: 20) {
                let map = try NPYArray(contentsOf: destination.appendingPathComponent(String(format: "maps/%@/%06d.npy", kind, frame)))
                XCTAssertTrue(map.values.allSatisfy(\.isFinite), "\(kind) \(frame)")
            }
        }
    }

    func testFourKFramesStreamThroughTheBoundedPixelBudget() throws {
        // A 3840×2160 RGB frame is 24.9 MB, so the 32 MiB of full-size frames allowed in flight holds one:
        // with images for every frame, batches of 8 are cut to single frames. Nothing may depend on that.
        // Three frames: three single-frame batches in order (each 4K frame costs seconds under ASan).
        let count = 3
        let clip = out("uhd.mp4")
        try TestClips.writeVideo(to: clip, count: count, size: PixelSize(width: 3840, height: 2160), encoding: .h264())
        var predictions: [[Double]] = [], maps: [[Float]] = []
        for pngEvery in ["1", "0"] {
            let destination = out("uhd-png-every-\(pngEvery)")
            let result = try SteerLensBinary.run(["analyze", clip.path, "--model", Self.pilotnetModel, "--out", destination.path, "--overwrite",
                                                  "--batch-size", "8", "--png-every", pngEvery, "--save-maps", "npy", "--maps", "increase"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let rows = try String(contentsOf: destination.appendingPathComponent("frames.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            XCTAssertEqual(rows.map { Int($0.split(separator: ",")[0])! }, Array(0..<count))
            predictions.append(rows.map { Double($0.split(separator: ",")[2])! })
            maps.append(try (0..<count).flatMap { try NPYArray(contentsOf: destination.appendingPathComponent(String(format: "maps/increase/%06d.npy", $0))).values })
            if pngEvery == "1" {
                for folder in ["frames", "increase"] {
                    let files = try FileManager.default.contentsOfDirectory(atPath: destination.appendingPathComponent(folder).path).sorted()
                    XCTAssertEqual(files, (0..<count).map { String(format: "%06d.png", $0) }, folder)
                    let size = try pngDimensions(destination.appendingPathComponent(String(format: "\(folder)/%06d.png", count - 1)))
                    XCTAssertEqual(size.width, 3840, folder)
                    XCTAssertEqual(size.height, 2160, folder)
                }
            }
        }
        for (drawn, plain) in zip(predictions[0], predictions[1]) { XCTAssertEqual(drawn, plain, accuracy: 1e-6 * max(abs(plain), 1)) }
        let comparison = TensorComparison("increase maps, single-frame batches vs one batch", actual: maps[0], expected: maps[1],
                                          shape: [count, 32, 64], atol: 1e-5, rtol: 0)
        XCTAssertTrue(comparison.passed, comparison.description)
    }

    func testDefaultOutputRefusalAndNothingWrittenOnFailure() throws {
        let workspace = out("workspace")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let first = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, "--model", Self.pilotnetModel], in: workspace)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("Reports/pilotnet/frames.csv").path),
                      "default output is Reports/<input-stem>/ (a sequence's folder name)")
        let again = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, "--model", Self.pilotnetModel], in: workspace)
        XCTAssertEqual(again.status, 73)
        XCTAssertTrue(again.stderr.contains("--overwrite"), again.stderr)

        let badLayer = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, "--model", Self.pilotnetModel,
                                                "--layer", "no_such_layer", "--filter", "0", "--out", out("bad-layer").path])
        XCTAssertEqual(badLayer.status, 64, badLayer.stderr)
        XCTAssertEqual(badLayer.stderr.split(separator: "\n").count, 1, badLayer.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("bad-layer").path))

        let badMaps = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, "--model", Self.pilotnetModel, "--maps", "sideways"])
        XCTAssertEqual(badMaps.status, 64, badMaps.stderr)
    }

    func testSeveralInputsGoToOneFolderEach() throws {
        let destination = out("several")
        let second = FixtureFrames.directory.appendingPathComponent("pilotnet/000001.png").path
        let result = try SteerLensBinary.run(["analyze", FixtureFrames.pilotnet.path, second, "--model", Self.pilotnetModel,
                                              "--out", destination.path, "--maps", "increase,absolute", "--backprop-modifier", "guided"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: destination.path).sorted(), ["000001", "pilotnet"])
    }
}
