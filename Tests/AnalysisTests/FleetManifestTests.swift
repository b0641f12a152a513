import Analysis
import Foundation
import SteerLensSupport
import XCTest

/// `--manifest` parsing: plain lists, CSV with labels and ids, relative paths, ids, and one-line errors
/// that name the line.
final class FleetManifestTests: XCTestCase {
    func parse(_ text: String, folder: String = "/data/fleet") throws -> FleetManifest {
        try FleetManifest.parse(text, path: "m.csv", folder: folder, checkFiles: false)
    }

    func failure(_ text: String) -> FleetManifestError? {
        do { _ = try parse(text); return nil } catch { return error as? FleetManifestError }
    }

    func testPlainListResolvesRelativePathsAndDerivesIDs() throws {
        let manifest = try parse("# drives\n\ndrive1/front.mp4\n/abs/rear.mkv\r\n")
        XCTAssertEqual(manifest.entries.map(\.clip), ["/data/fleet/drive1/front.mp4", "/abs/rear.mkv"])
        XCTAssertEqual(manifest.entries.map(\.id), ["front", "rear"])
        XCTAssertEqual(manifest.entries.map(\.line), [3, 4])
        XCTAssertEqual(manifest.entries.map(\.labels), [nil, nil])
    }

    func testCSVWithHeaderLabelsIDsAndQuotes() throws {
        let manifest = try parse("clip,labels,id\na.mp4,a.csv,first\n\"b,1.mp4\",,\nc.mp4,/l/c.csv\n")
        XCTAssertEqual(manifest.entries.map(\.clip), ["/data/fleet/a.mp4", "/data/fleet/b,1.mp4", "/data/fleet/c.mp4"])
        XCTAssertEqual(manifest.entries.map(\.labels), ["/data/fleet/a.csv", nil, "/l/c.csv"])
        XCTAssertEqual(manifest.entries.map(\.id), ["first", "b_1", "c"])
    }

    func testCollidingStemsGetTheirLineNumber() throws {
        let manifest = try parse("d1/front.mp4\nd2/front.mp4\nd3/rear.mp4\n")
        XCTAssertEqual(manifest.entries.map(\.id), ["front-1", "front-2", "rear"])
    }

    func testErrorsNameTheLineAndKind() {
        XCTAssertEqual(failure("a.mp4\nb.mp4,l.csv,x,extra\n")?.line, 2)
        XCTAssertEqual(failure("a.mp4\nb.mp4,l.csv,x,extra\n")?.kind, .badInput)
        XCTAssertEqual(failure("a.mp4,,same\nb.mp4,,same\n")?.message, "manifest 'm.csv' line 2 id 'same' repeats line 1")
        XCTAssertEqual(failure("a.mp4,,../escape\n")?.kind, .badInput)
        XCTAssertEqual(failure("a.mp4,,.hidden\n")?.line, 1)
        XCTAssertEqual(failure("\"a.mp4\n")?.line, 1)
        XCTAssertEqual(failure(",labels.csv\n")?.line, 1)
        XCTAssertEqual(failure("# nothing\n\n")?.kind, .badInput)
        XCTAssertNil(failure("a.mp4\n"))
    }

    func testMissingFilesExit66WithTheLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-manifest-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        FileManager.default.createFile(atPath: folder.appendingPathComponent("here.mp4").path, contents: Data([0]))
        let manifest = folder.appendingPathComponent("fleet.txt")
        try Data("here.mp4\ngone.mp4\n".utf8).write(to: manifest)
        XCTAssertThrowsError(try FleetManifest.load(manifest.path)) { error in
            let error = error as? FleetManifestError
            XCTAssertEqual(error?.kind, .missingInput)
            XCTAssertEqual(error?.line, 2)
            XCTAssertTrue(error?.message.contains("gone.mp4") ?? false)
        }
        try Data("here.mp4,nolabels.csv\n".utf8).write(to: manifest)
        XCTAssertThrowsError(try FleetManifest.load(manifest.path)) { XCTAssertEqual(($0 as? FleetManifestError)?.kind, .missingInput) }
        XCTAssertThrowsError(try FleetManifest.load(folder.appendingPathComponent("absent.txt").path)) {
            XCTAssertEqual(($0 as? FleetManifestError)?.kind, .missingInput)
            XCTAssertNil(($0 as? FleetManifestError)?.line)
        }
        try Data("here.mp4\n".utf8).write(to: manifest)
        XCTAssertEqual(try FleetManifest.load(manifest.path).entries.map(\.clip), [folder.appendingPathComponent("here.mp4").path])
    }

    func testRecordOptionsLeaveOutTheFleetsOwn() {
        let arguments = ["--manifest", "m.txt", "--model", "a.h5", "--shard=1/4", "--out", "OUT", "--quiet", "--png-every", "0", "--shards", "3", "--overwrite"]
        XCTAssertEqual(FleetRecord.options(from: arguments), ["--model", "a.h5", "--png-every", "0"])
    }
}
