import Foundation
import TestSupport
import VideoIO
import XCTest

/// `predict` and `analyze` on recorded datasets through the built binary: a DonkeyCar tub's own
/// angles become the labels, `--label-field` picks another field, sequences start anywhere, bad
/// datasets fail with one line and an exit code.
final class DatasetCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("datasets")
    static let model = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5").path

    /// Eight records of moving test pictures at the model's input size (64×32): index 3 deleted, the
    /// image of record 6 missing.
    static let tub: (folder: URL, records: [TestDatasets.Record]) = {
        let folder = directory.appendingPathComponent("tub_21-06-01")
        var records = TestDatasets.records(count: 8, picture: { TestClips.pattern(index: $0, width: 64, height: 32) })
        records[6].image = nil
        try! TestDatasets.writeTubV2(records, to: folder, deleted: [3])
        return (folder, records)
    }()

    /// `frame → (time, prediction, label)` from `predict`'s CSV.
    func predict(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (rows: [Int: [Double]], result: Command.Result) {
        let result = try SteerLensBinary.run(["predict"] + arguments + ["--model", Self.model])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        var rows: [Int: [Double]] = [:]
        for row in result.stdout.split(separator: "\n").dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            rows[Int(fields[0])!] = fields.dropFirst().map { Double($0) ?? .nan }
        }
        return (rows, result)
    }

    func testPredictOnATubPrintsItsRecordedAngles() throws {
        let (folder, records) = Self.tub
        let (rows, result) = try predict([folder.path])
        XCTAssertTrue(result.stdout.hasPrefix("frame,time_s,prediction,label\n"), result.stdout)
        let kept = records.filter { $0.index != 3 && $0.index != 6 }
        XCTAssertEqual(rows.keys.sorted(), kept.map(\.index), "the deleted record and the one without its image are left out")
        for record in kept {
            XCTAssertEqual(rows[record.index]![2], record.angle, accuracy: 1e-9, "label of frame \(record.index)")
            XCTAssertEqual(rows[record.index]![0], Double(record.milliseconds! - records[0].milliseconds!) / 1000, accuracy: 1e-6)
        }
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("warning") && $0.contains("skipped frame 6") }
        XCTAssertEqual(warnings.count, 1, result.stderr)

        let (throttle, _) = try predict([folder.path, "--label-field", "user/throttle"])
        for record in kept { XCTAssertEqual(throttle[record.index]![2], record.throttle, accuracy: 1e-9) }
        XCTAssertEqual(throttle.mapValues { $0[1] }, rows.mapValues { $0[1] }, "the same predictions")
        XCTAssertNotEqual(Set(rows.values.map { $0[1] }).count, 1, "the pictures differ, so do the predictions")
    }

    /// The acceptance case: `analyze` on a v2 tub reports the MAE against the tub's own angles, equal to
    /// the mean of |prediction − angle| computed here from `predict`'s output and the records.
    func testAnalyzeReportsMAEAgainstTheTubsAngles() throws {
        let (folder, records) = Self.tub
        let out = Self.directory.appendingPathComponent("analyze-tub")
        let result = try SteerLensBinary.run(["analyze", folder.path, "--model", Self.model, "--out", out.path, "--png-every", "0", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any])
        let (predictions, _) = try predict([folder.path])
        let angles = Dictionary(uniqueKeysWithValues: records.map { ($0.index, $0.angle) })
        let errors = predictions.map { abs($0.value[1] - angles[$0.key]!) }
        let summary = try XCTUnwrap(run["summary"] as? [String: Any])
        XCTAssertEqual(summary["labelledFrames"] as? Int, 6)
        XCTAssertEqual(try XCTUnwrap(summary["meanAbsoluteError"] as? Double), errors.reduce(0, +) / Double(errors.count), accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(summary["maxAbsoluteError"] as? Double), errors.max()!, accuracy: 1e-6)
        for frame in try XCTUnwrap(run["frames"] as? [[String: Any]]) {
            XCTAssertEqual(try XCTUnwrap(frame["label"] as? Double), angles[frame["frame"] as! Int]!, accuracy: 1e-12)
        }
        let settings = try XCTUnwrap(run["settings"] as? [String: Any]), clip = try XCTUnwrap(run["clip"] as? [String: Any])
        XCTAssertEqual(settings["labelField"] as? String, "user/angle")
        XCTAssertEqual(settings["labels"] as? String, "user/angle recorded in \(folder.path)")
        XCTAssertEqual(clip["container"] as? String, "donkeycar-tub-v2")
        XCTAssertEqual(clip["skippedRecords"] as? Int, 1)
        XCTAssertTrue((clip["warnings"] as? [String])?.first?.contains("skipped frame 6") == true, "\(clip)")
        XCTAssertTrue((clip["timing"] as? String)?.hasPrefix("recorded _timestamp_ms") == true, "\(clip)")
        let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("recorded _timestamp_ms"), "the report states where frame times came from")
        XCTAssertTrue(page.contains("1 records skipped"))
    }

    /// `compare` reads the tub's angles too: its MAE against them equals the hand computation, and
    /// `--label-field` switches the field.
    func testCompareUsesTheRecordedLabels() throws {
        let (folder, records) = Self.tub
        let (predictions, _) = try predict([folder.path])
        for (field, value) in [("user/angle", \TestDatasets.Record.angle), ("user/throttle", \TestDatasets.Record.throttle)] {
            let out = Self.directory.appendingPathComponent("compare-\(field.replacingOccurrences(of: "/", with: "-"))")
            let result = try SteerLensBinary.run(["compare", folder.path, "--baseline", Self.model, "--candidate", Self.model, "--out", out.path,
                                                  "--label-field", field])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("comparison.json"))) as? [String: Any])
            let report = try XCTUnwrap(json["report"] as? [String: Any])
            let metrics = try XCTUnwrap(((report["clips"] as? [[String: Any]])?.first)?["metrics"] as? [String: Any])
            let recorded = Dictionary(uniqueKeysWithValues: records.map { ($0.index, $0[keyPath: value]) })
            let expected = predictions.map { abs($0.value[1] - recorded[$0.key]!) }.reduce(0, +) / Double(predictions.count)
            XCTAssertEqual(try XCTUnwrap(metrics["baselineMAE"] as? Double), expected, accuracy: 1e-6, field)
        }
    }

    func testLabelsFileWinsOverTheRecordedAngles() throws {
        let labels = Self.directory.appendingPathComponent("tub-labels.csv")
        try "frame,steering\n0,0.5\n1,0.25\n".write(to: labels, atomically: true, encoding: .utf8)
        let out = Self.directory.appendingPathComponent("analyze-tub-labels")
        let result = try SteerLensBinary.run(["analyze", Self.tub.folder.path, "--model", Self.model, "--labels", labels.path,
                                              "--out", out.path, "--png-every", "0", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any])
        XCTAssertEqual((run["summary"] as? [String: Any])?["labelledFrames"] as? Int, 2)
        XCTAssertEqual((run["settings"] as? [String: Any])?["labels"] as? String, labels.path)
        XCTAssertNil((run["settings"] as? [String: Any])?["labelField"] as? String)
    }

    /// The issue's user: `predict 'tub/%d_cam-image_array_.jpg'` on frames numbered from 5801.
    func testSequenceStartingAt5801AndFolderInNaturalOrder() throws {
        let folder = Self.directory.appendingPathComponent("v1-images")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = try ImageEncoder()
        for k in 0..<4 {
            let frame = TestClips.pattern(index: k, width: 64, height: 32)
            try encoder.write(frame, to: folder.appendingPathComponent("\(5801 + k)_cam-image_array_.png"))
        }
        let (sequence, _) = try predict([folder.appendingPathComponent("%d_cam-image_array_.png").path, "--fps", "20"])
        XCTAssertEqual(sequence.keys.sorted(), [0, 1, 2, 3])
        XCTAssertEqual(sequence[3]![0], 0.15, accuracy: 1e-9)

        let naturally = Self.directory.appendingPathComponent("natural")
        try FileManager.default.createDirectory(at: naturally, withIntermediateDirectories: true)
        for (k, name) in ["f_1.png", "f_2.png", "f_10.png", "f_11.png"].enumerated() {
            try FileManager.default.copyItem(at: folder.appendingPathComponent("\(5801 + k)_cam-image_array_.png"), to: naturally.appendingPathComponent(name))
        }
        let (folderRows, result) = try predict([naturally.path])
        XCTAssertTrue(result.stdout.hasPrefix("frame,time_s,prediction\n"), "a folder records no labels: \(result.stdout)")
        XCTAssertEqual(folderRows.mapValues { $0[1] }, sequence.mapValues { $0[1] }, "f_2 before f_10: the same frames in the same order")
        XCTAssertEqual(folderRows[1]![0], 1.0 / 30, accuracy: 1e-6)
    }

    /// A DonkeyCar pilot's `/255` outside the network, from the sidecar or the flag; recorded in run.json.
    func testDonkeyCarScaleFromSidecarOrFlag() throws {
        let pilot = Self.directory.appendingPathComponent("mypilot.h5")
        if !FileManager.default.fileExists(atPath: pilot.path) { try FileManager.default.copyItem(atPath: Self.model, toPath: pilot.path) }
        try Data(#"{"scale": "1/255", "color": "rgb"}"#.utf8).write(to: URL(fileURLWithPath: pilot.path + ".steerlens.json"))
        func run(_ extra: [String]) throws -> String {
            let result = try SteerLensBinary.run(["predict", Self.tub.folder.path] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout
        }
        let bySidecar = try run(["--model", pilot.path])
        XCTAssertEqual(bySidecar, try run(["--model", Self.model, "--scale", "1/255"]))
        XCTAssertEqual(bySidecar, try run(["--model", Self.model, "--scale", "0.00392156862745098"]))
        XCTAssertNotEqual(bySidecar, try run(["--model", Self.model]))
        let out = Self.directory.appendingPathComponent("analyze-scaled")
        let result = try SteerLensBinary.run(["analyze", Self.tub.folder.path, "--model", pilot.path, "--out", out.path, "--png-every", "0", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any])
        let preprocessing = ((run["settings"] as? [String: Any])?["preprocessing"] as? [String: Any]) ?? [:]
        XCTAssertEqual(try XCTUnwrap(preprocessing["scale"] as? Double), 1.0 / 255, accuracy: 1e-9)
    }

    func testBadDatasetsFailWithOneLine() throws {
        func assertFails(_ arguments: [String], exitCode: Int32, mentioning fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try SteerLensBinary.run(arguments)
            XCTAssertEqual(result.status, exitCode, result.stderr, file: file, line: line)
            XCTAssertEqual(result.stdout, "", file: file, line: line)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(fragment), "'\(fragment)' in \(result.stderr)", file: file, line: line)
        }
        let tub = Self.tub.folder.path
        try assertFails(["predict", tub, "--model", Self.model, "--label-field", "user/speed"], exitCode: 64, mentioning: "recorded fields: user/angle, user/throttle")
        let labels = Self.directory.appendingPathComponent("any.csv")
        try "frame,steering\n0,0\n".write(to: labels, atomically: true, encoding: .utf8)
        try assertFails(["analyze", tub, "--model", Self.model, "--labels", labels.path, "--label-field", "user/throttle"], exitCode: 64, mentioning: "--label-field")

        let empty = Self.directory.appendingPathComponent("tub_empty")
        try TestDatasets.writeTubV2([], to: empty)
        let out = Self.directory.appendingPathComponent("analyze-empty")
        try assertFails(["analyze", empty.path, "--model", Self.model, "--out", out.path, "--quiet"], exitCode: 65, mentioning: "no records with images")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written")
        let imageless = Self.directory.appendingPathComponent("tub_imageless")
        try TestDatasets.writeTubV1(TestDatasets.records(count: 2, picture: { _ in nil }), to: imageless)
        try assertFails(["predict", imageless.path, "--model", Self.model], exitCode: 65, mentioning: "none of its 2 images can be decoded")
        try assertFails(["predict", Self.directory.appendingPathComponent("no-such-tub").path, "--model", Self.model], exitCode: 66, mentioning: "does not exist")
        let video = Self.directory.appendingPathComponent("clip.mkv")
        try TestClips.writeVideo(to: video, count: 2, size: PixelSize(width: 64, height: 32), encoding: VideoEncoding(encoder: "ffv1", frameRate: Rational(25, 1), options: [:]))
        try assertFails(["predict", video.path, "--model", Self.model, "--fps", "10"], exitCode: 64, mentioning: "--fps applies to")
        try assertFails(["predict", video.path, "--model", Self.model, "--label-field", "user/angle"], exitCode: 64, mentioning: "--label-field")
    }
}
