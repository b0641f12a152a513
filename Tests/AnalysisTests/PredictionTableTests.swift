import Foundation
import Reporting
import SteerLensSupport
import TestSupport
import Transforms
import VideoIO
import XCTest
@testable import Analysis

/// `predict`'s table on the demo clip and model (its sidecar's preprocessing): header, one row per
/// selected frame with the labels file's value, `--transform` applied before the model, and the file
/// variant writing the same text or nothing.
final class PredictionTableTests: XCTestCase {
    let clip = TestPaths.repository.appendingPathComponent("Datasets/demo/drive.mp4").path
    let labels = TestPaths.repository.appendingPathComponent("Datasets/demo/labels.csv").path

    func session() throws -> ModelSession {
        try ModelSession.open(TestPaths.repository.appendingPathComponent("Datasets/models/pilotnet-demo.h5").path, file: ModelFileOptions(),
                              ignoreSidecar: false, request: ExplanationRequest(kinds: [], explainsBin: false), explains: false,
                              preprocessing: PreprocessOverrides())
    }

    func rows(_ table: PredictionTable) throws -> [String] {
        var rows: [String] = []
        XCTAssertNil(try table.write { rows.append($0) }, "the demo clip decodes without errors")
        return rows
    }

    func testRowsPerSelectedFrameWithLabels() throws {
        let table = PredictionTable(input: clip, session: try session(), selection: ReadOptions(every: 90), batchSize: 4, labelsPath: labels)
        let rows = try rows(table)
        XCTAssertEqual(rows.first, "frame,time_s,prediction,label")
        XCTAssertEqual(rows.count, 1 + 15, "1,350 frames, every 90th")
        let track = try LabelTrack.load(URL(fileURLWithPath: labels))
        for (n, row) in rows.dropFirst().enumerated() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, 4, row)
            XCTAssertEqual(Int(fields[0]), n * 90)
            XCTAssertEqual(try XCTUnwrap(Double(fields[1])), Double(n * 90) / 30, accuracy: 1e-6)
            XCTAssertEqual(try XCTUnwrap(Double(fields[2])), 0, accuracy: 1, "a steering angle")
            let label = try XCTUnwrap(track.steering(frame: n * 90, time: Double(n * 90) / 30, framesPerSecond: 30))
            XCTAssertEqual(try XCTUnwrap(Double(fields[3])), label, accuracy: 1e-9)
        }
    }

    /// The transform reaches the model: mirrored frames move the prediction towards the other side on
    /// most frames of this curvy clip (the demo model is not mirror-consistent, so not to its negative).
    func testTransformIsAppliedBeforeTheModel() throws {
        var table = PredictionTable(input: clip, session: try session(), selection: ReadOptions(every: 90), batchSize: 4)
        let plain = try rows(table).dropFirst().map { Double($0.split(separator: ",")[2])! }
        table.transform = try TransformParser.chain(["flip"])
        let flipped = try rows(table).dropFirst().map { Double($0.split(separator: ",")[2])! }
        XCTAssertEqual(plain.count, flipped.count)
        XCTAssertNotEqual(plain, flipped)
        let opposite = zip(plain, flipped).filter { ($0 > 0.02 && $1 < $0) || ($0 < -0.02 && $1 > $0) }.count
        XCTAssertGreaterThan(opposite, plain.filter { abs($0) > 0.02 }.count / 2, "\(plain) vs \(flipped)")
    }

    /// `write(to:)` writes the streamed lines, newline-terminated; a missing input throws and leaves no file.
    func testFileHoldsTheSameTextOrNothing() throws {
        let directory = try TestPaths.temporaryDirectory(self)
        let table = PredictionTable(input: clip, session: try session(), selection: ReadOptions(every: 150), batchSize: 8, labelsPath: labels)
        let file = directory.appendingPathComponent("predictions.csv")
        XCTAssertNil(try table.write(to: file))
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), try rows(table).joined(separator: "\n") + "\n")
        var missing = table
        missing.input = directory.appendingPathComponent("absent.mp4").path
        let absentFile = directory.appendingPathComponent("absent.csv")
        XCTAssertThrowsError(try missing.write(to: absentFile)) { XCTAssertEqual(($0 as? any SteerLensError)?.kind, .missingInput, "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: absentFile.path))
    }
}
