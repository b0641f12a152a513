import Foundation
import TestSupport
import VideoIO
import XCTest

/// Numbers on the command line outside what SteerLens can honour end with exit 64 and a message naming
/// the flag and its range, before any output is made. Found by running every numeric flag of every
/// command with 0, ±1, NaN, ±inf, 1e18, 1e300 and Int.max: these trapped (SIGILL), ran out of memory,
/// or failed late while writing JSON (exit 70).
final class OptionRangeTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("option-range")
    static let model = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5").path
    static let clip: URL = {
        let url = directory.appendingPathComponent("clip.mp4")
        try! TestClips.writeVideo(to: url, count: 6, size: PixelSize(width: 64, height: 48), encoding: .h264(frameRate: Rational(30, 1)))
        return url
    }()

    func testOutOfRangeNumbersAreUsageErrors() throws {
        let out = Self.directory.appendingPathComponent("out").path
        let clip = Self.clip.path, model = Self.model
        let cases: [(arguments: [String], message: String)] = [
            (["analyze", clip, "--model", model, "--out", out, "--batch-size=9223372036854775807"], "--batch-size must be between 1 and 4096"),
            (["predict", clip, "--model", model, "--batch-size", "4097"], "--batch-size must be between 1 and 4096"),
            (["stress", clip, "--model", model, "--out", out, "--batch-size", "0"], "--batch-size must be between 1 and 4096"),
            (["stress", clip, "--model", model, "--out", out, "--mse-lambda", "inf"], "--mse-lambda must be within 0…1000000"),
            (["stress", clip, "--model", model, "--out", out, "--delta", "nan"], "--delta must be within 0…1000000"),
            (["compare", clip, "--baseline", model, "--candidate", model, "--out", out, "--max-delta", "nan"], "--max-delta must be a finite number"),
            (["compare", clip, "--baseline", model, "--candidate", model, "--out", out, "--max-drift-share=-inf"], "--max-drift-share must be a finite number"),
            (["check", clip, "--baseline-run", out, "--model", model, "--min-correlation", "inf"], "--min-correlation must be a finite number"),
            (["analyze", clip, "--model", model, "--out", out, "--png-width", "100000"], "--png-width must be between 16 and 8192"),
            (["frames", clip, "--out", out, "--resize", "100000x100000"], "--resize takes WIDTHxHEIGHT with integers 1…16384"),
            (["predict", clip, "--model", model, "--crop=0,0,9223372036854775807,9223372036854775807"], "--crop takes four values"),
        ]
        for (arguments, message) in cases {
            let result = try SteerLensBinary.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "'\(message)' in \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) made its output")
        }
    }

    /// The largest `--png-every` draws no image after the first frame's, and a `--start` past the end
    /// (however far) says so in one line.
    func testExtremeSelectionsRunOrSayWhy() throws {
        let out = Self.directory.appendingPathComponent("every").path
        let run = try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.model, "--out", out, "--quiet", "--png-every=9223372036854775807"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out + "/increase"), ["000000.png"])
        for start in ["100", "1e18", "1e300"] {
            let past = try SteerLensBinary.run(["predict", Self.clip.path, "--model", Self.model, "--start", start])
            XCTAssertEqual(past.status, 64, past.stderr)
            XCTAssertEqual(past.stderr.split(separator: "\n").count, 1, past.stderr)
            XCTAssertTrue(past.stderr.contains("is past the end of"), past.stderr)
        }
    }
}
