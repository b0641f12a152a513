import Analysis
import Foundation
import ModelImport
import SteerLensSupport
import VideoIO
import XCTest

/// Flag spellings of preprocessing and model-file settings: parsed values, and usage errors (exit 64)
/// that name the flag and the value given.
final class CommandLineValuesTests: XCTestCase {
    func testPreprocessFlagsParse() throws {
        let overrides = try PreprocessOverrides(parsingCrop: "60,25%,0,0", size: "200x66", interpolation: .bilinear, colorSpace: .yuv,
                                                scale: "1/255", offset: "-0.5")
        XCTAssertEqual(overrides.crop, CropInsets(lengths: .pixels(60), .percent(25), .pixels(0), .pixels(0)))
        XCTAssertEqual(overrides.size, PixelSize(width: 200, height: 66))
        XCTAssertEqual(overrides.scale, 1 / 255)
        XCTAssertEqual(overrides.offset, -0.5)
        let none = try PreprocessOverrides(parsingCrop: nil, size: nil, interpolation: nil, colorSpace: nil, scale: nil, offset: nil)
        XCTAssertNil(none.crop)
        XCTAssertNil(none.size)
        XCTAssertNil(none.scale)
    }

    func testBadPreprocessFlagsAreUsageErrorsNamingTheFlag() {
        func assertUsageError(crop: String? = nil, size: String? = nil, scale: String? = nil, mentioning fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try PreprocessOverrides(parsingCrop: crop, size: size, interpolation: nil, colorSpace: nil, scale: scale, offset: nil),
                                 line: line) { error in
                let usage = error as? UsageError
                XCTAssertEqual(usage?.kind, .usage, line: line)
                XCTAssertTrue(usage?.message.contains(fragment) == true, usage?.message ?? "\(error)", line: line)
            }
        }
        assertUsageError(crop: "60,25,0", mentioning: "--crop takes four values TOP,BOTTOM,LEFT,RIGHT; got '60,25,0'")
        assertUsageError(crop: "60,25,x,0", mentioning: "--crop takes four values")
        assertUsageError(size: "200by66", mentioning: "--resize takes WIDTHxHEIGHT")
        assertUsageError(scale: "1/x", mentioning: "--scale takes a number or a fraction; got '1/x'")
    }

    func testModelFileFlagsParse() throws {
        let options = try ModelFileOptions(architecture: "a.json", lambdas: ["lambda_1=x/127.5-1"], inputs: ["speed=0.5", "speed=0.25"])
        XCTAssertEqual(options.architecture, "a.json")
        XCTAssertEqual(Array(options.lambdaOverrides.keys), ["lambda_1"])
        XCTAssertEqual(options.inputValues, ["speed": 0.25])
        XCTAssertThrowsError(try ModelFileOptions(architecture: nil, lambdas: [], inputs: ["speed"])) { error in
            XCTAssertEqual((error as? UsageError)?.message, "--input must be NAME=VALUE with a number; got 'speed'")
        }
        XCTAssertThrowsError(try ModelFileOptions(architecture: nil, lambdas: ["nonsense"], inputs: [])) { error in
            XCTAssertTrue((error as? UsageError)?.message.hasPrefix("--lambda nonsense: ") == true, "\(error)")
        }
    }

    func testAnalyzeReportDirectoryFollowsOutAndInputCount() {
        XCTAssertEqual(ClipNaming.reportDirectory(for: "clips/drive.mp4", inputCount: 1, out: nil).path, URL(fileURLWithPath: "Reports/drive").path)
        XCTAssertEqual(ClipNaming.reportDirectory(for: "clips/drive.mp4", inputCount: 1, out: "/tmp/r").path, "/tmp/r")
        XCTAssertEqual(ClipNaming.reportDirectory(for: "seq/%06d.png", inputCount: 2, out: "/tmp/r").path, "/tmp/r/seq")
    }
}
