import Foundation
import TestSupport
import XCTest
@testable import VideoIO

/// DonkeyCar tubs of both formats, made here with real JPEGs and records laid out as DonkeyCar writes
/// them, read as clips: frames, order, times and recorded values as recorded.
final class DonkeyTubTests: XCTestCase {
    func readAll(_ source: any FrameSource) throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try source.next() { frames.append(frame) }
        return frames
    }

    /// Seven records in three catalogs (3 + 3 + 1) with irregular timestamps; index 2 deleted.
    func testVersion2TubFramesTimesAndValuesAsRecorded() throws {
        let folder = try TestPaths.temporaryDirectory(self).appendingPathComponent("tub_v2")
        let records = TestDatasets.records(count: 7)
        try TestDatasets.writeTubV2(records, to: folder, catalogLength: 3, deleted: [2])
        let source = try FrameSources.open(folder.path)
        XCTAssertEqual(source.info.container, "donkeycar-tub-v2")
        XCTAssertEqual([source.info.width, source.info.height], [48, 32])
        let frames = try readAll(source)
        let kept = records.filter { $0.index != 2 }
        XCTAssertEqual(frames.map(\.index), kept.map(\.index), "record indexes, the deleted one left out")
        XCTAssertEqual(frames.map(TestDatasets.greyIndex), kept.map(\.index), "each frame is its record's image")
        let first = Double(records[0].milliseconds!)
        for (frame, record) in zip(frames, kept) {
            XCTAssertEqual(frame.time, (Double(record.milliseconds!) - first) / 1000, accuracy: 1e-9, "frame \(frame.index)")
        }
        let dataset = try XCTUnwrap(source.dataset)
        XCTAssertEqual(dataset.labelField, "user/angle")
        XCTAssertEqual(dataset.values(of: "user/angle").map(\.value), kept.map(\.angle))
        XCTAssertEqual(dataset.values(of: "user/throttle").map(\.frame), kept.map(\.index))
        XCTAssertEqual(dataset.fields, ["user/angle", "user/throttle"], "strings and private _fields are not values")
        let span = Double(records.last!.milliseconds! - records[0].milliseconds!) / 1000
        XCTAssertEqual(source.info.framesPerSecond, 5 / span, accuracy: 1e-3, "mean rate of the six kept records")
        XCTAssertTrue(dataset.timing.hasPrefix("recorded _timestamp_ms"), dataset.timing)
        XCTAssertEqual(source.warnings, [])
    }

    func testSelectionAndFrameRateOverride() throws {
        let folder = try TestPaths.temporaryDirectory(self).appendingPathComponent("tub")
        try TestDatasets.writeTubV2(TestDatasets.records(count: 8), to: folder)
        let every = try FrameSources.open(folder.path, options: ReadOptions(every: 3, maxFrames: 2))
        XCTAssertEqual(try readAll(every).map(\.index), [0, 3])
        let paced = try FrameSources.open(folder.path, options: ReadOptions(start: 0.2, framesPerSecond: 10))
        XCTAssertEqual(try readAll(paced).map(\.time), [0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map { $0 }, accuracy: 1e-9)
        XCTAssertEqual(paced.timing, "--fps 10")
    }

    /// A broken JSON line, a record without its image, one image of another size, an empty catalog:
    /// each skipped with one warning; the rest is read.
    func testBrokenRecordsAreSkippedWithOneWarningEach() throws {
        let folder = try TestPaths.temporaryDirectory(self).appendingPathComponent("tub_broken")
        var records = TestDatasets.records(count: 6)
        records[1].image = nil
        records[4].image = TestDatasets.grey(4, width: 64, height: 32)
        try TestDatasets.writeTubV2(records, to: folder, catalogLength: 3, extraLines: [0: [#"{"_index": 99, "cam/image_array": "#]])
        // An empty catalog listed last, as DonkeyCar leaves one when it rolls over.
        try Data().write(to: folder.appendingPathComponent("catalog_2.catalog"))
        let manifest = try String(contentsOf: folder.appendingPathComponent("manifest.json"), encoding: .utf8)
        try manifest.replacingOccurrences(of: #""catalog_1.catalog"]"#, with: #""catalog_1.catalog", "catalog_2.catalog"]"#)
            .write(to: folder.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)

        let source = try FrameSources.open(folder.path)
        let frames = try readAll(source)
        XCTAssertEqual(frames.map(\.index), [0, 2, 3, 5])
        XCTAssertEqual(frames.map(TestDatasets.greyIndex), [0, 2, 3, 5])
        XCTAssertEqual(source.warnings.count, 3, source.warnings.joined(separator: "\n"))
        XCTAssertTrue(source.warnings.contains { $0.contains("catalog_0.catalog line 4: not a JSON record") }, "\(source.warnings)")
        XCTAssertTrue(source.warnings.contains { $0.contains("frame 1") && $0.contains("is missing") }, "\(source.warnings)")
        XCTAssertTrue(source.warnings.contains { $0.contains("frame 4") && $0.contains("64x32") && $0.contains("48x32") }, "\(source.warnings)")
        XCTAssertEqual(source.decodeErrorCount, 1, "only the missing image is a decode error")
    }

    func testTubWithoutReadableRecordsIsBadInput() throws {
        let root = try TestPaths.temporaryDirectory(self)
        let empty = root.appendingPathComponent("empty")
        try TestDatasets.writeTubV2([], to: empty)
        XCTAssertThrowsError(try FrameSources.open(empty.path)) { error in
            XCTAssertEqual((error as? VideoError)?.kind, .badInput)
            XCTAssertTrue((error as? VideoError)?.message.contains("no records with images") == true, "\(error)")
        }
        let noImages = root.appendingPathComponent("no-images")
        try TestDatasets.writeTubV2(TestDatasets.records(count: 3, picture: { _ in nil }), to: noImages)
        XCTAssertThrowsError(try FrameSources.open(noImages.path)) { error in
            XCTAssertEqual((error as? VideoError)?.kind, .badInput)
            XCTAssertTrue("\(error)".contains("none of its 3 images"), "\(error)")
        }
        let badManifest = root.appendingPathComponent("bad-manifest")
        try FileManager.default.createDirectory(at: badManifest, withIntermediateDirectories: true)
        try "not json\n".write(to: badManifest.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FrameSources.open(badManifest.path)) { XCTAssertEqual(($0 as? VideoError)?.kind, .badInput) }
    }

    /// Twelve v1 records: record_10 and record_11 come after record_9 (by number, not by name); without
    /// `milliseconds` frames are 1/20 s apart.
    func testVersion1TubOrderedByRecordNumberAtTwentyFramesPerSecond() throws {
        let folder = try TestPaths.temporaryDirectory(self).appendingPathComponent("tub_v1")
        let records = TestDatasets.records(count: 12, startMilliseconds: nil)
        try TestDatasets.writeTubV1(records, to: folder)
        try "{broken".write(to: folder.appendingPathComponent("record_12.json"), atomically: true, encoding: .utf8)
        let source = try FrameSources.open(folder.path)
        XCTAssertEqual(source.info.container, "donkeycar-tub-v1")
        let frames = try readAll(source)
        XCTAssertEqual(frames.map(\.index), Array(0..<12))
        XCTAssertEqual(frames.map(TestDatasets.greyIndex), Array(0..<12))
        XCTAssertEqual(frames.map(\.time), (0..<12).map { Double($0) / 20 }, accuracy: 1e-12)
        XCTAssertEqual(source.info.frameRate, Rational(20, 1))
        XCTAssertEqual(source.dataset?.values(of: "user/angle").map(\.value), records.map(\.angle))
        XCTAssertEqual(source.warnings, ["skipped record 12: record_12.json is not a JSON record"])
        XCTAssertTrue(source.timing?.contains("default 20 fps") == true, source.timing ?? "nil")
    }

    func testVersion1MillisecondsGiveTheTimes() throws {
        let folder = try TestPaths.temporaryDirectory(self).appendingPathComponent("tub_v1_ms")
        let records = TestDatasets.records(count: 4, startMilliseconds: 5000)
        try TestDatasets.writeTubV1(records, to: folder)
        let frames = try readAll(try FrameSources.open(folder.path))
        XCTAssertEqual(frames.map(\.time), records.map { Double($0.milliseconds! - 5000) / 1000 }, accuracy: 1e-12)
    }
}

/// Element-wise equality of two arrays of doubles within `accuracy`.
func XCTAssertEqual(_ actual: [Double], _ expected: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(actual) vs \(expected)", file: file, line: line)
    for (a, e) in zip(actual, expected) where abs(a - e) > accuracy {
        XCTFail("\(actual) differs from \(expected)", file: file, line: line)
        return
    }
}
