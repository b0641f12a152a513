import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// Fleet runs through the binary: `--manifest` errors, sharded and resumed runs equal to a single run,
/// two workers on one clip, and `merge` (complete, missing and half-written clips, thresholds, JUnit).
final class FleetCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("fleet")
    static let relu = TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_relu/model.h5").path
    static let elu = TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_elu/model.h5").path
    static let schema = TestPaths.fixtures.appendingPathComponent("junit/junit.xsd").path

    /// Three clips of 8, 16 and 24 frames at 8 fps (1, 2 and 3 s) in `clips/`, and a manifest beside
    /// them with relative paths; the middle clip has labels.
    static let manifest: URL = {
        let clips = directory.appendingPathComponent("clips")
        try! FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        for (name, count) in [("short", 8), ("middle", 16), ("long", 24)] {
            _ = try! TestClips.writeVideo(to: clips.appendingPathComponent("\(name).mp4"), count: count, size: PixelSize(width: 128, height: 64),
                                          encoding: .h264(frameRate: Rational(8, 1)))
        }
        let labels = (0..<16).map { "\($0),\(Double($0) / 20 - 0.4)" }.joined(separator: "\n")
        try! Data(("frame,steering\n" + labels + "\n").utf8).write(to: clips.appendingPathComponent("middle.csv"))
        let url = directory.appendingPathComponent("fleet.csv")
        try! Data("# three drives\nclips/short.mp4\nclips/middle.mp4,clips/middle.csv\nclips/long.mp4,,the-long-one\n".utf8).write(to: url)
        return url
    }()
    static let ids = ["short", "middle", "the-long-one"]

    func path(_ name: String) -> String { Self.directory.appendingPathComponent(name).path }

    func analyze(_ out: String, _ extra: [String] = []) throws -> Command.Result {
        try SteerLensBinary.run(["analyze", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", out, "--png-every", "4", "--maps", "increase"] + extra)
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testBadManifestsAndFlagsExitWithOneLine() throws {
        let bad = path("bad.csv")
        try Data("clips/short.mp4\nclips/long.mp4,,x,y\n".utf8).write(to: URL(fileURLWithPath: bad))
        _ = Self.manifest
        var result = try SteerLensBinary.run(["analyze", "--manifest", bad, "--model", Self.relu, "--out", path("bad-out")])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("line 2"), result.stderr)
        try Data("clips/short.mp4\nclips/gone.mp4\n".utf8).write(to: URL(fileURLWithPath: bad))
        result = try SteerLensBinary.run(["predict", "--manifest", bad, "--model", Self.relu, "--out", path("bad-out")])
        XCTAssertEqual(result.status, 66, result.stderr)
        XCTAssertTrue(result.stderr.contains("line 2") && result.stderr.contains("gone.mp4"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad-out")), "nothing written")
        result = try SteerLensBinary.run(["analyze", "--manifest", path("absent.txt"), "--model", Self.relu, "--out", path("bad-out")])
        XCTAssertEqual(result.status, 66, result.stderr)
        for arguments in [["analyze", "--manifest", Self.manifest.path, "--model", Self.relu],
                          ["analyze", "x.mp4", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", path("bad-out")],
                          ["analyze", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", path("bad-out"), "--shard", "2/2"],
                          ["compare", "--manifest", Self.manifest.path, "--baseline", Self.relu, "--candidate", Self.elu],
                          ["predict", "--model", Self.relu, "--shard", "0/2"],
                          ["predict", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", path("bad-out"), "--csv", path("p.csv")]] {
            result = try SteerLensBinary.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
        }
        result = try Command.run(SteerLensBinary.url.path, ["analyze", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", path("bad-out")],
                                 environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("--shards"), result.stderr)
    }

    func testShardedRunEqualsSingleRunResumesAndMerges() throws {
        let single = path("single"), sharded = path("sharded")
        var result = try analyze(single)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, single + "\n")
        var assigned: [[String]] = []
        for shard in ["0/2", "1/2"] {
            result = try analyze(sharded, ["--shard", shard])
            XCTAssertEqual(result.status, 0, result.stderr)
            assigned.append(result.stderr.split(separator: "\n").compactMap { line in Self.ids.first { line.contains("] \($0): done in") } })
        }
        XCTAssertEqual(assigned.flatMap { $0 }.sorted(), Self.ids.sorted(), "every clip in exactly one shard")
        XCTAssertEqual(assigned, [["the-long-one"], ["short", "middle"]], "longest first: 3 s against 2 s + 1 s")
        // Longest first: the 3 s clip alone in shard 0, the 2 s and 1 s clips together in shard 1.
        struct Duration: Decodable { let seconds: Double }
        let durations = try JSONDecoder().decode([String: Duration].self, from: Data(contentsOf: URL(fileURLWithPath: sharded + "/fleet-durations.json")))
        XCTAssertEqual(durations.keys.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted(), ["long.mp4", "middle.mp4", "short.mp4"])
        XCTAssertEqual(durations.values.map(\.seconds).sorted(), [1, 2, 3], "durations from the containers")
        for id in Self.ids {
            XCTAssertEqual(try text("\(single)/clips/\(id)/frames.csv"), try text("\(sharded)/clips/\(id)/frames.csv"), id)
            XCTAssertNotNil(FileManager.default.contents(atPath: "\(sharded)/clips/\(id)/fleet-record.json"))
        }
        XCTAssertTrue(try text("\(sharded)/clips/middle/frames.csv").contains(",-0.4,"), "the manifest's labels reach the clip")

        // A re-run skips what is complete; changed options redo it.
        let record = try text("\(sharded)/clips/short/fleet-record.json")
        result = try analyze(sharded)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("(0 done, 3 already complete, 0 failed)"), result.stderr)
        XCTAssertEqual(try text("\(sharded)/clips/short/fleet-record.json"), record)
        result = try analyze(sharded, ["--shard", "0/1", "--batch-size", "5"])
        XCTAssertTrue(result.stderr.contains("(3 done, 0 already complete, 0 failed)"), result.stderr)
        XCTAssertNotEqual(try text("\(sharded)/clips/short/fleet-record.json"), record)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sharded + "/clips").sorted(), Self.ids.sorted(), "no litter")

        let junit = path("sharded.xml")
        result = try SteerLensBinary.run(["merge", sharded, "--junit", junit])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("merged 3 clips (3 complete, 0 missing, 0 incomplete, 0 failed), 48 frames"), result.stderr)
        let csv = try text(sharded + "/fleet.csv").split(separator: "\n")
        XCTAssertEqual(csv.count, 4)
        XCTAssertTrue(csv[2].hasPrefix("middle,") && csv[2].contains(",complete,16,"), String(csv[2]))
        XCTAssertEqual(try Command.run("xmllint", ["--noout", "--schema", Self.schema, junit]).status, 0)
        XCTAssertEqual(try text(junit).components(separatedBy: "<testcase ").count - 1, 3)
        let html = try text(sharded + "/index.html")
        XCTAssertEqual(HTMLStructure(html).problems, [])
        XCTAssertTrue(html.contains(#"<a href="clips/the-long-one/index.html">"#), "links to each clip's page")
    }

    func testMergeReportsMissingAndHalfWrittenClips() throws {
        let out = path("broken")
        XCTAssertEqual(try analyze(out).status, 0)
        try FileManager.default.removeItem(atPath: out + "/clips/short")
        try FileManager.default.removeItem(atPath: out + "/clips/middle/fleet-record.json")
        // A worker killed mid-clip leaves its private folder.
        try FileManager.default.moveItem(atPath: out + "/clips/the-long-one", toPath: out + "/clips/.the-long-one.work-otherhost-99-abc")
        let junit = path("broken.xml")
        let result = try SteerLensBinary.run(["merge", out, "--junit", junit])
        XCTAssertEqual(result.status, 66, result.stderr)
        XCTAssertTrue(result.stderr.contains("missing: short"), result.stderr)
        XCTAssertTrue(result.stderr.contains("incomplete: middle") && result.stderr.contains("fleet-record.json"), result.stderr)
        XCTAssertTrue(result.stderr.contains("incomplete: the-long-one") && result.stderr.contains(".work-otherhost-99-abc"), result.stderr)
        struct Output: Decodable { let complete: Bool; struct Report: Decodable { struct Clip: Decodable { let id: String; let status: String }; let clips: [Clip] }; let report: Report }
        let output = try JSONDecoder().decode(Output.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/fleet.json")))
        XCTAssertFalse(output.complete)
        XCTAssertEqual(output.report.clips.map(\.status), ["missing", "incomplete", "incomplete"])
        XCTAssertEqual(try text(junit).components(separatedBy: "<failure ").count - 1, 3)
        XCTAssertEqual(try Command.run("xmllint", ["--noout", "--schema", Self.schema, junit]).status, 0)
        XCTAssertEqual(try SteerLensBinary.run(["merge", path("nowhere")]).status, 66)
    }

    /// One shard re-run with other options: the other shards' clips are stale, never merged with it.
    func testMergeRefusesToMixRunsWithOtherOptions() throws {
        let out = path("mixed")
        XCTAssertEqual(try analyze(out).status, 0)
        XCTAssertEqual(try analyze(out, ["--shard", "0/2", "--png-every", "8"]).status, 0)
        let result = try SteerLensBinary.run(["merge", out])
        XCTAssertEqual(result.status, 66, result.stderr)
        XCTAssertTrue(result.stderr.contains("(1 complete, 0 missing, 0 incomplete, 0 failed, 2 stale)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("stale: short") && result.stderr.contains("stale: middle"), result.stderr)
        XCTAssertEqual(try analyze(out, ["--shard", "1/2", "--png-every", "8"]).status, 0)
        XCTAssertEqual(try SteerLensBinary.run(["merge", out]).status, 0, "consistent again once every shard ran with the same options")
    }

    /// Two processes given the same clips at the same moment: both finish, one result per clip, whole.
    func testTwoWorkersOnTheSameClipsNeverCorruptEachOther() throws {
        let reference = path("reference"), shared = path("shared")
        XCTAssertEqual(try analyze(reference).status, 0)
        let arguments = ["analyze", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", shared, "--png-every", "4", "--maps", "increase"]
        let processes = (0..<2).map { _ -> Process in
            let process = Process()
            process.executableURL = SteerLensBinary.url
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        XCTAssertEqual(processes.map(\.terminationStatus), [0, 0])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: shared + "/clips").sorted(), Self.ids.sorted(), "no work folders left")
        for id in Self.ids {
            XCTAssertEqual(try text("\(shared)/clips/\(id)/frames.csv"), try text("\(reference)/clips/\(id)/frames.csv"), id)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(shared)/clips/\(id)").sorted(),
                           try FileManager.default.contentsOfDirectory(atPath: "\(reference)/clips/\(id)").sorted(), id)
        }
        XCTAssertEqual(try SteerLensBinary.run(["merge", shared]).status, 0)
    }

    func testCompareFleetMatchesOneCompareAndFailsOnAFleetThreshold() throws {
        let fleet = path("compare-fleet"), single = path("compare-single")
        var result = try SteerLensBinary.run(["compare", "--manifest", Self.manifest.path, "--baseline", Self.relu, "--candidate", Self.elu,
                                              "--out", fleet, "--shard", "1/2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try SteerLensBinary.run(["compare", "--manifest", Self.manifest.path, "--baseline", Self.relu, "--candidate", Self.elu,
                                          "--out", fleet, "--shard", "0/2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let clips = ["short", "middle", "long"].map { Self.directory.appendingPathComponent("clips/\($0).mp4").path }
        result = try SteerLensBinary.run(["compare"] + clips + ["--baseline", Self.relu, "--candidate", Self.elu, "--out", single, "--max-delta", "100",
                                                                "--max-p95-delta", "100", "--min-correlation=-1", "--max-drift-share", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Single: Decodable { struct Report: Decodable { struct Clip: Decodable { struct Frame: Decodable { let delta: Double }; let frames: [Frame] }; let clips: [Clip] }; let report: Report }
        let deltas = try JSONDecoder().decode(Single.self, from: Data(result.stdout.utf8)).report.clips.flatMap { $0.frames.map { abs($0.delta) } }
        XCTAssertEqual(deltas.count, 48)
        let loose = ["--max-delta", "100", "--max-p95-delta", "100", "--min-correlation=-1", "--max-drift-share", "1", "--max-mae-increase", "100"]
        result = try SteerLensBinary.run(["merge", fleet, "--json"] + loose)
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Fleet: Decodable { struct Report: Decodable { struct Metrics: Decodable { let frames: Int; let maxAbsoluteDelta: Double; let meanAbsoluteDelta: Double }; let metrics: Metrics }; let report: Report }
        let metrics = try JSONDecoder().decode(Fleet.self, from: Data(result.stdout.utf8)).report.metrics
        XCTAssertEqual(metrics.frames, 48)
        XCTAssertEqual(metrics.maxAbsoluteDelta, deltas.max()!)
        XCTAssertEqual(metrics.meanAbsoluteDelta, deltas.reduce(0, +) / 48, accuracy: 1e-12)
        XCTAssertGreaterThan(metrics.maxAbsoluteDelta, 0)
        let tight = String(metrics.maxAbsoluteDelta / 2)
        result = try SteerLensBinary.run(["merge", fleet, "--max-delta", tight, "--junit", path("compare.xml")] + loose.dropFirst(2))
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("regression: fleet: max |delta|"), result.stderr)
        XCTAssertEqual(try Command.run("xmllint", ["--noout", "--schema", Self.schema, path("compare.xml")]).status, 0)
    }

    func testPredictFleetWritesTheCSVPredictPrints() throws {
        let out = path("predict")
        var result = try SteerLensBinary.run(["predict", "--manifest", Self.manifest.path, "--model", Self.relu, "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try SteerLensBinary.run(["predict", Self.directory.appendingPathComponent("clips/long.mp4").path, "--model", Self.relu])
        XCTAssertEqual(try text(out + "/clips/the-long-one/predictions.csv"), result.stdout)
        XCTAssertTrue(try text(out + "/clips/middle/predictions.csv").hasPrefix("frame,time_s,prediction,label\n"))
        result = try SteerLensBinary.run(["merge", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(try text(out + "/fleet.csv").contains("middle,"), "merged")
    }
}
