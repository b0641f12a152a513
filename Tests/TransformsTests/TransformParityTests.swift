import Foundation
import SteerLensSupport
import Transforms
import VideoIO
import XCTest

/// DeepTest's transforms against OpenCV 5.0 (`Tests/Fixtures/transforms`, written by
/// `generate_transform_fixtures.py` with opencv-python-headless): exact for the integer operations,
/// within 1 for the interpolating ones, with the share of differing values bounded as stated in each
/// transform's doc comment.
final class TransformParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/transforms").standardized

    func image(_ name: String) throws -> Frame {
        let reader = try FrameReader(path: Self.fixtures.appendingPathComponent(name + ".png").path)
        return try XCTUnwrap(try reader.next(), "fixture \(name) has no frame")
    }

    /// Compares `transform(source)` with the fixture; fails listing the first mismatches.
    func assertParity(_ specification: String, fixture: String, maxDifference: Int = 0, maxMismatchShare: Double = 0,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let transform = try TransformParser.parse(specification)
        let result = try transform.apply(try image("source"))
        let expected = try image(fixture)
        XCTAssertEqual(result.width, expected.width, "\(specification) width", file: file, line: line)
        XCTAssertEqual(result.height, expected.height, "\(specification) height", file: file, line: line)
        guard result.pixels.count == expected.pixels.count else { return }
        var largest = 0, mismatches = 0, examples: [String] = []
        for index in result.pixels.indices where result.pixels[index] != expected.pixels[index] {
            let difference = abs(Int(result.pixels[index]) - Int(expected.pixels[index]))
            largest = max(largest, difference)
            mismatches += 1
            if examples.count < 5 {
                let pixel = index / 3
                examples.append("(x \(pixel % result.width), y \(pixel / result.width), c \(index % 3)): \(result.pixels[index]) vs OpenCV \(expected.pixels[index])")
            }
        }
        let share = Double(mismatches) / Double(result.pixels.count)
        XCTAssertLessThanOrEqual(largest, maxDifference, "\(specification): max |diff| \(largest); first: \(examples)", file: file, line: line)
        XCTAssertLessThanOrEqual(share, maxMismatchShare, "\(specification): \(mismatches) values differ; first: \(examples)", file: file, line: line)
    }

    func testTranslationIsExact() throws {
        for value in ["10,10", "30,30", "-20,5"] { try assertParity("translation:\(value)", fixture: "translation_\(value)") }
    }

    func testRotationWithinOne() throws {
        for degrees in ["3", "9", "27"] {
            try assertParity("rotation:\(degrees)", fixture: "rotation_\(degrees)", maxDifference: 1, maxMismatchShare: 0.001)
        }
    }

    func testShearWithinOne() throws {
        for factor in ["0.1", "0.3", "0.7"] {
            try assertParity("shear:\(factor)", fixture: "shear_\(factor)", maxDifference: 1, maxMismatchShare: 0.001)
        }
    }

    /// The wheels' default resize is Intel IPP's, whose weights round differently: within 1, on up to
    /// 8 % of the values at 1.5.
    func testCubicScaleWithinOneOfIPP() throws {
        try assertParity("scale:2.5", fixture: "scale_2.5", maxDifference: 1, maxMismatchShare: 0.1)
        try assertParity("scale:1.5", fixture: "scale_1.5", maxDifference: 1, maxMismatchShare: 0.1)
        try assertParity("scale:4", fixture: "scale_4", maxDifference: 1, maxMismatchShare: 0.1)
    }

    /// OpenCV's own cubic resize (IPP off), which SteerLens computes: exact at 1.5 and 2.5; at 4, 3 of
    /// 248,832 values are 1 apart, each a sum within 10⁻⁵ of a half that OpenCV rounds down.
    func testCubicScaleEqualsOpenCVsOwnResize() throws {
        try assertParity("scale:2.5", fixture: "scale_2.5_without_ipp")
        try assertParity("scale:1.5", fixture: "scale_1.5_without_ipp")
        try assertParity("scale:4", fixture: "scale_4_without_ipp", maxDifference: 1, maxMismatchShare: 0.00002)
    }

    func testContrastAndBrightnessAreExactOnAllChannels() throws {
        for alpha in ["1.2", "2", "3"] { try assertParity("contrast:\(alpha)", fixture: "contrast_\(alpha)") }
        for beta in ["10", "50", "100"] { try assertParity("brightness:\(beta)", fixture: "brightness_\(beta)") }
    }

    func testMeanGaussianAndMedianBlursAreExact() throws {
        for kind in ["mean3", "mean4", "mean5", "mean6", "gaussian3", "gaussian5", "gaussian7", "median3", "median5"] {
            try assertParity("blur:\(kind)", fixture: "blur_\(kind)")
        }
    }

    func testBilateralWithinOne() throws {
        try assertParity("blur:bilateral", fixture: "blur_bilateral", maxDifference: 1, maxMismatchShare: 0.01)
    }

    func testFlipIsExact() throws {
        try assertParity("flip", fixture: "flip_horizontal")
    }
}
