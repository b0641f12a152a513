import Foundation
import TestSupport
import XCTest
@testable import VideoIO

/// A Udacity driving_log.csv read as a clip of its centre images.
final class ImageListReaderTests: XCTestCase {
    /// IMG/center_k.png for k in 0..<5, logged with Windows paths from the recording machine, plus one
    /// row whose image is missing.
    func makeLog() throws -> (log: URL, frames: [Frame]) {
        let folder = try TestPaths.scratchDirectory("driving-log")
        let encoder = try ImageEncoder()
        var rows: [String] = [], frames: [Frame] = []
        for index in 0..<5 {
            let frame = TestClips.pattern(index: index, width: 32, height: 16)
            try encoder.write(frame, to: folder.appendingPathComponent("IMG/center_\(index).png"))
            frames.append(frame)
            rows.append(#"C:\Users\driver\sim\IMG\center_\#(index).png, C:\Users\driver\sim\IMG\left_\#(index).png, C:\Users\driver\sim\IMG\right_\#(index).png, \#(Double(index) / 10), 0.5, 0, 30.2"#)
        }
        rows.insert("IMG/center_missing.png, IMG/left_x.png, IMG/right_x.png, 0.9, 0.5, 0, 30", at: 2)
        let log = folder.appendingPathComponent("driving_log.csv")
        try (rows.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        return (log, frames)
    }

    func testRowsBecomeFramesAndMissingImagesAreCounted() throws {
        let (log, written) = try makeLog()
        let reader = try FrameSources.open(log.path)
        XCTAssertEqual(reader.info.declaredFrameCount, 6)
        XCTAssertEqual(reader.info.width, 32)
        var frames: [Frame] = []
        while let frame = try reader.next() { frames.append(frame) }
        XCTAssertEqual(frames.map(\.index), [0, 1, 3, 4, 5], "row k is frame k; the missing image is skipped")
        XCTAssertEqual(frames.map(\.pixels), written.map(\.pixels))
        XCTAssertEqual(reader.decodeErrorCount, 1)
        XCTAssertEqual(frames[2].time, 3.0 / 30, accuracy: 1e-12)
    }

    func testSelectionOptionsApply() throws {
        let (log, _) = try makeLog()
        let reader = try ImageListReader(path: log.path, options: ReadOptions(every: 2, maxFrames: 2))
        XCTAssertEqual(try reader.nextBatch(10).map(\.index), [0, 4])
    }

    func testOtherCSVFilesAreNotClips() throws {
        let folder = try TestPaths.scratchDirectory("not-a-log")
        let csv = folder.appendingPathComponent("labels.csv")
        try "frame,steering\n0,0.1\n".write(to: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FrameSources.open(csv.path)) { XCTAssertEqual(($0 as? VideoError)?.kind, .badInput) }
    }

    /// Driving logs the FuzzLabels harness found (Tests/Fixtures/fuzz/FuzzLabels): image paths of
    /// separators, NULs and invalid UTF-8 that made Foundation's path code trap. Each is a bad input now.
    func testFuzzFindingsAreBadInputs() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("fuzz/FuzzLabels")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertFalse(files.isEmpty)
        for file in files {
            XCTAssertThrowsError(try FrameSources.open(folder.appendingPathComponent(file).path), file) {
                XCTAssertEqual(($0 as? VideoError)?.kind, .badInput, "\($0)")
            }
        }
    }
}
