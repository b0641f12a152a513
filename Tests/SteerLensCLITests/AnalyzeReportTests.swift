import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// `steerlens analyze` writing overlays and the HTML report, run through the binary.
final class AnalyzeReportTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("analyze-report")
    static let model = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5").path

    /// A 2 s 160×96 H.264 clip whose file name is hostile HTML, plus frame labels.
    static let hostileClip: URL = {
        let url = directory.appendingPathComponent("<img src=x onerror=alert(1)>.mp4")
        try! TestClips.writeVideo(to: url, count: 60, size: PixelSize(width: 160, height: 96), encoding: .h264(frameRate: Rational(30, 1)))
        return url
    }()

    static let labels: URL = {
        let url = directory.appendingPathComponent("labels.csv")
        let rows = (0..<60).map { "\($0),\(String(format: "%.4f", Double($0) / 30)),\(String(format: "%.3f", sin(Double($0) / 9) * 0.3))" }
        try! (["frame,time_s,steering"] + rows).joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }()

    func testReportOverlaysAndEscapingEndToEnd() throws {
        let out = Self.directory.appendingPathComponent("report")
        let result = try SteerLensBinary.run(["analyze", Self.hostileClip.path, "--model", Self.model, "--out", out.path, "--crop", "16,16,0,0",
                                              "--labels", Self.labels.path, "--png-every", "3", "--png-width", "120", "--panel", "--video", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), out.appendingPathComponent("index.html").path, "stdout names the page")

        let html = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        let structure = HTMLStructure(html)
        XCTAssertEqual(structure.problems, [])
        XCTAssertFalse(html.contains("<img src=x onerror=alert(1)>"), "the clip name is escaped")
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;.mp4"))
        XCTAssertTrue(structure.hasElement(id: "timeline") && structure.hasElement(id: "viewer-section"))
        XCTAssertEqual(structure.all("polyline").count, 2 + 2 * 4, "predictions and labels; deletion and insertion curves of 3 maps and the random ranking")
        XCTAssertTrue(structure.hasElement(id: "faithfulness-section"))
        XCTAssertEqual(structure.all("video").count, 1)

        // Every 3rd of 60 frames: 20 images per stream, 120 px wide, height keeps 160:96 → 72.
        for folder in ["frames", "increase", "decrease", "maintain"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent(folder).path).sorted()
            XCTAssertEqual(files.count, 20, folder)
            XCTAssertEqual(files.first, "000000.png")
            let size = try pngDimensions(out.appendingPathComponent("\(folder)/000057.png"))
            XCTAssertEqual([size.width, size.height], [120, 72], folder)
        }
        let panel = try pngDimensions(out.appendingPathComponent("panel/000003.png"))
        XCTAssertEqual([panel.width, panel.height], [480, 72])
        XCTAssertEqual(try FFprobeStream.probe(out.appendingPathComponent("panel.mp4").path).nb_read_frames, "20")

        let csv = try String(contentsOf: out.appendingPathComponent("frames.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(csv[0].hasPrefix("frame,time_s,prediction,label,error,increase_importance_upper"))
        XCTAssertEqual(csv.count, 61)
        // Faithfulness (default every 60th frame): frame 0 scored, frame 1 not; areas are finite numbers or empty.
        let columns = csv[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let auc = columns.indices.filter { columns[$0].hasSuffix("_auc") }
        XCTAssertEqual(auc.map { columns[$0] }, ["increase_deletion_auc", "increase_insertion_auc", "decrease_deletion_auc", "decrease_insertion_auc",
                                                "maintain_deletion_auc", "maintain_insertion_auc", "random_deletion_auc", "random_insertion_auc"])
        let (scored, unscored) = (csv[1].split(separator: ",", omittingEmptySubsequences: false), csv[2].split(separator: ",", omittingEmptySubsequences: false))
        XCTAssertTrue(auc.allSatisfy { unscored[$0].isEmpty }, String(csv[2]))
        XCTAssertTrue(auc.allSatisfy { scored[$0].isEmpty || Double(scored[$0])?.isFinite == true }, String(csv[1]))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any]
        let frames = try XCTUnwrap(json?["frames"] as? [[String: Any]])
        XCTAssertNotNil(frames[0]["faithfulness"])
        XCTAssertNil(frames[1]["faithfulness"])
        XCTAssertEqual(((json?["summary"] as? [String: Any])?["faithfulness"] as? [String: Any])?["framesScored"] as? Int, 1)
        struct Run: Decodable {
            struct Summary: Decodable { let labelledFrames: Int; let meanAbsoluteError: Double? }
            let summary: Summary
        }
        let run = try JSONDecoder().decode(Run.self, from: Data(contentsOf: out.appendingPathComponent("run.json")))
        XCTAssertEqual(run.summary.labelledFrames, 60)
        XCTAssertNotNil(run.summary.meanAbsoluteError)
    }

    func testPNGEveryZeroWritesNoImagesButTheReport() throws {
        let out = Self.directory.appendingPathComponent("no-images")
        let result = try SteerLensBinary.run(["analyze", Self.hostileClip.path, "--model", Self.model, "--out", out.path, "--png-every", "0", "--max-frames", "10"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(), ["frames.csv", "index.html", "run.json", "saliency-grid.npy"])
    }

    func testOverlaysOnARealClipAreFullFramesTintedOnlyInsideTheCrop() throws {
        let clip = try TestPaths.shared("clips/udacity-test_video.mp4").path
        let model = try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5").path
        let out = Self.directory.appendingPathComponent("real")
        let result = try SteerLensBinary.run(["analyze", clip, "--model", model, "--crop", "37.5%,15.625%,0,0", "--color", "yuv", "--out", out.path, "--max-frames", "4"])
        XCTAssertEqual(result.status, 0, result.stderr)
        // Compare overlay and original frame PNGs decoded by FFmpeg: equal outside rows 270..<607, tinted inside.
        let original = try XCTUnwrap(try FrameReader(path: out.appendingPathComponent("frames/000002.png").path).next())
        let overlay = try XCTUnwrap(try FrameReader(path: out.appendingPathComponent("increase/000002.png").path).next())
        XCTAssertEqual([overlay.width, overlay.height], [1280, 720])
        for y in stride(from: 0, to: 720, by: 7) {
            let rowStart = y * 1280 * 3
            let same = original.pixels[rowStart..<(rowStart + 1280 * 3)] == overlay.pixels[rowStart..<(rowStart + 1280 * 3)]
            XCTAssertEqual(same, !(270..<607).contains(y), "row \(y)")
        }
    }

    func testInterruptLeavesNoReportAndARerunSucceeds() throws {
        let clip = Self.directory.appendingPathComponent("long.mp4")
        try TestClips.writeVideo(to: clip, count: 600, size: PixelSize(width: 320, height: 180), encoding: .h264(frameRate: Rational(30, 1)))
        let out = Self.directory.appendingPathComponent("interrupted")
        let process = Process()
        process.executableURL = SteerLensBinary.url
        process.arguments = ["analyze", clip.path, "--model", Self.model, "--out", out.path, "--batch-size", "8"]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Wait until the run has written its first overlays into the staging directory, then interrupt it.
        func stagedImages() -> Int {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: Self.directory.path)) ?? []
            guard let staging = names.first(where: { $0.hasPrefix(".interrupted.partial") }) else { return 0 }
            return (try? FileManager.default.contentsOfDirectory(atPath: Self.directory.appendingPathComponent("\(staging)/increase").path).count) ?? 0
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, stagedImages() == 0 { usleep(50_000) }
        XCTAssertGreaterThan(stagedImages(), 0, "the run started")
        process.interrupt()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("interrupted after"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).contains { $0.hasPrefix(".interrupted.partial") }, "staging removed")

        let rerun = try SteerLensBinary.run(["analyze", clip.path, "--model", Self.model, "--out", out.path, "--overwrite", "--max-frames", "20"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
    }

    func testBadLabelsFailBeforeAnythingIsWritten() throws {
        let labels = Self.directory.appendingPathComponent("bad-labels.csv")
        try "frame,steering\n0,left\n".write(to: labels, atomically: true, encoding: .utf8)
        let out = Self.directory.appendingPathComponent("bad-labels-out")
        let result = try SteerLensBinary.run(["analyze", Self.hostileClip.path, "--model", Self.model, "--out", out.path, "--labels", labels.path])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}

/// A Udacity recording: its driving_log.csv is both the input (centre images) and the labels.
final class DrivingLogAnalysisTests: XCTestCase {
    func testDrivingLogIsAnImageListWithLabels() throws {
        let folder = try TestPaths.scratchDirectory("udacity")
        let encoder = try ImageEncoder()
        var rows: [String] = []
        for index in 0..<6 {
            try encoder.write(TestClips.pattern(index: index, width: 64, height: 32), to: folder.appendingPathComponent("IMG/center_\(index).jpg.png"))
            rows.append("IMG/center_\(index).jpg.png, IMG/left_\(index).jpg, IMG/right_\(index).jpg, \(Double(index) / 20), 0.4, 0, 20")
        }
        let log = folder.appendingPathComponent("driving_log.csv")
        try (rows.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let model = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5").path
        let out = folder.appendingPathComponent("report")
        let result = try SteerLensBinary.run(["analyze", log.path, "--model", model, "--labels", log.path, "--out", out.path, "--png-every", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Run: Decodable {
            struct Summary: Decodable { let frames: Int; let labelledFrames: Int; let meanAbsoluteError: Double? }
            struct Settings: Decodable { let labels: String?; let labelField: String? }
            let summary: Summary
            let settings: Settings
        }
        let run = try JSONDecoder().decode(Run.self, from: Data(contentsOf: out.appendingPathComponent("run.json")))
        XCTAssertEqual(run.summary.frames, 6)
        XCTAssertEqual(run.summary.labelledFrames, 6)

        // Without --labels the log's own steering column labels its frames: the same MAE.
        let own = folder.appendingPathComponent("report-own-labels")
        let second = try SteerLensBinary.run(["analyze", log.path, "--model", model, "--out", own.path, "--png-every", "0"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let ownRun = try JSONDecoder().decode(Run.self, from: Data(contentsOf: own.appendingPathComponent("run.json")))
        XCTAssertEqual(ownRun.summary.labelledFrames, 6)
        XCTAssertEqual(try XCTUnwrap(ownRun.summary.meanAbsoluteError), try XCTUnwrap(run.summary.meanAbsoluteError), accuracy: 1e-12)
        XCTAssertEqual(ownRun.settings.labelField, "steering")
        XCTAssertEqual(ownRun.settings.labels, "steering recorded in \(log.path)")
    }
}
