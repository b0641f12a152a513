import Foundation
import SteerLensSupport
import TestSupport
import XCTest
@testable import VideoIO

/// `--color gray` against real OpenCV: Tests/Fixtures/onnx/gray/rgb2gray.npy holds 4096 random colours
/// and `cv2.cvtColor(COLOR_RGB2GRAY)` of each (generate_fixtures.py, OpenCV 5.0), among them colours
/// where OpenCV's 15-bit coefficients and the 14-bit luma of `COLOR_RGB2YUV` round differently.
final class GrayConversionTests: XCTestCase {
    func testGrayMatchesOpenCVOnEveryFixtureColour() throws {
        let table = try NPYArray(contentsOf: TestPaths.fixtures.appendingPathComponent("onnx/gray/rgb2gray.npy"))
        XCTAssertEqual(table.shape, [4096, 4])
        let rgb = (0..<4096).flatMap { row in (0..<3).map { UInt8(table.values[row * 4 + $0]) } }
        let expected = (0..<4096).map { UInt8(table.values[$0 * 4 + 3]) }
        let frame = Frame(index: 0, time: 0, width: 64, height: 64, pixels: rgb)
        let gray = try Preprocess(colorSpace: .gray).apply(to: frame)
        XCTAssertEqual(gray.count, 4096, "one byte per pixel")
        let mismatches = (0..<4096).filter { gray[$0] != expected[$0] }
        XCTAssertEqual(mismatches.count, 0, "first: \(mismatches.prefix(5).map { (rgb[3 * $0], rgb[3 * $0 + 1], rgb[3 * $0 + 2], gray[$0], expected[$0]) })")
        // The 14-bit YUV luma differs from OpenCV's grey on some of these colours, so the test can tell them apart.
        let yuvLuma = try Preprocess(colorSpace: .yuv).apply(to: frame)
        XCTAssertTrue((0..<4096).contains { yuvLuma[3 * $0] != expected[$0] })
    }

    func testGrayModelInputHasOneChannel() throws {
        let frame = Frame(index: 0, time: 0, width: 4, height: 2, pixels: [UInt8](repeating: 200, count: 24))
        let preprocess = Preprocess(size: PixelSize(width: 2, height: 1), colorSpace: .gray, scale: 0.5)
        var floats = [Float](repeating: -1, count: 2)
        try floats.withUnsafeMutableBufferPointer { try preprocess.apply(to: frame, into: $0) }
        XCTAssertEqual(floats, [100, 100])
    }
}
