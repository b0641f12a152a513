import XCTest
@testable import VideoIO

/// Crop, resize and colour conversion against values computed by OpenCV 5.0 (`cv2.resize`,
/// `cv2.cvtColor`) on the same pixels: `a = (np.arange(7*9*3) * 37 % 256).astype(np.uint8).reshape(7, 9, 3)`.
final class PreprocessTests: XCTestCase {
    /// The 9×7 test image above as a frame.
    let ramp = Frame(index: 0, time: 0, width: 9, height: 7, pixels: (0..<(7 * 9 * 3)).map { UInt8(($0 * 37) % 256) })

    func redChannel(_ pixels: [UInt8], width: Int) -> [[UInt8]] {
        stride(from: 0, to: pixels.count, by: width * 3).map { row in (0..<width).map { pixels[row + $0 * 3] } }
    }

    func testAreaResizeMatchesOpenCV() throws {
        let toFourByThree = try Preprocess(size: PixelSize(width: 4, height: 3), interpolation: .area).apply(to: ramp)
        XCTAssertEqual(redChannel(toFourByThree, width: 4), [[121, 132, 111, 122], [113, 108, 151, 113], [153, 132, 94, 154]])
        let toThreeByThree = try Preprocess(size: PixelSize(width: 3, height: 3), interpolation: .area).apply(to: ramp)
        XCTAssertEqual(redChannel(toThreeByThree, width: 3), [[142, 97, 125], [121, 137, 105], [137, 141, 121]])
    }

    func testBilinearResizeMatchesOpenCV() throws {
        // OpenCV's bilinear path is 11-bit fixed point; ours is Float: allow one grey level.
        let shrunk = try Preprocess(size: PixelSize(width: 4, height: 3), interpolation: .bilinear).apply(to: ramp)
        assertWithinOneLevel(redChannel(shrunk, width: 4), [[117, 78, 40, 140], [90, 20, 206, 136], [192, 186, 147, 173]])
        let enlarged = try Preprocess(size: PixelSize(width: 13, height: 10), interpolation: .bilinear).apply(to: ramp)
        assertWithinOneLevel(Array(redChannel(enlarged, width: 13).prefix(2)),
                             [[0, 60, 136, 213, 133, 111, 188, 87, 86, 143, 42, 60, 120],
                              [127, 111, 123, 200, 119, 97, 174, 74, 72, 140, 137, 122, 106]])
    }

    func assertWithinOneLevel(_ actual: [[UInt8]], _ expected: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.map(\.count), expected.map(\.count), file: file, line: line)
        for (row, expectedRow) in zip(actual, expected) {
            for (value, reference) in zip(row, expectedRow) where abs(Int(value) - Int(reference)) > 1 {
                XCTFail("\(actual) differs from OpenCV's \(expected) by more than one level", file: file, line: line)
                return
            }
        }
    }

    func testNearestResizeMatchesOpenCV() throws {
        let shrunk = try Preprocess(size: PixelSize(width: 4, height: 3), interpolation: .nearest).apply(to: ramp)
        XCTAssertEqual(redChannel(shrunk, width: 4), [[0, 222, 188, 154], [206, 172, 138, 104], [156, 122, 88, 54]])
    }

    func testYUVMatchesOpenCV() throws {
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30, 255, 255, 255, 0, 0, 0, 128, 64, 200, 3, 250, 251]
        let frame = Frame(index: 0, time: 0, width: 8, height: 1, pixels: rgb)
        let yuv = try Preprocess(colorSpace: .yuv).apply(to: frame)
        XCTAssertEqual(yuv, [76, 91, 255, 150, 54, 0, 29, 239, 103, 124, 82, 28, 255, 128, 128, 0, 128, 128, 99, 178, 153, 176, 165, 0])
        let bgr = try Preprocess(colorSpace: .bgr).apply(to: frame)
        XCTAssertEqual(Array(bgr.prefix(6)), [0, 0, 255, 0, 255, 0])
    }

    func testCropTakesTheRightPixels() throws {
        let cropped = try Preprocess(crop: CropInsets(top: 2, bottom: 1, left: 3, right: 2)).apply(to: ramp)
        XCTAssertEqual(cropped.count, 4 * 4 * 3)
        for y in 0..<4 {
            for x in 0..<4 {
                let source = ramp.pixel(x: x + 3, y: y + 2)
                XCTAssertEqual(cropped[(y * 4 + x) * 3], source.r)
                XCTAssertEqual(cropped[(y * 4 + x) * 3 + 2], source.b)
            }
        }
    }

    /// At scale 1 a crop is copied instead of interpolated; every interpolation's taps give the same bytes.
    func testACropAtScaleOneIsTheInterpolatedCrop() throws {
        for interpolation in Interpolation.allCases {
            let preprocess = Preprocess(crop: CropInsets(top: 2, bottom: 1, left: 3, right: 2), size: PixelSize(width: 4, height: 4), interpolation: interpolation)
            let geometry = try preprocess.geometry(for: PixelSize(width: 9, height: 7))
            let interpolated = Resampler.interpolate(ramp.pixels, frameWidth: 9, geometry: geometry, interpolation: interpolation)
            XCTAssertEqual(try preprocess.apply(to: ramp), interpolated, "\(interpolation)")
        }
    }

    func testFloatOutputHoldsTheEightBitValues() throws {
        let preprocess = Preprocess(crop: CropInsets(top: 1), size: PixelSize(width: 3, height: 2), colorSpace: .yuv)
        let bytes = try preprocess.apply(to: ramp)
        var floats = [Float](repeating: -1, count: 3 * 2 * 3)
        try floats.withUnsafeMutableBufferPointer { try preprocess.apply(to: ramp, into: $0) }
        XCTAssertEqual(floats, bytes.map(Float.init))
    }

    func testGeometryMapsModelInputBackToTheFrame() throws {
        // PilotNet style: 320x160 frame, crop rows [60, 135), resize to 200x66.
        let geometry = try Preprocess(crop: CropInsets(top: 60, bottom: 25), size: PixelSize(width: 200, height: 66))
            .geometry(for: PixelSize(width: 320, height: 160))
        XCTAssertEqual(geometry.cropSize, PixelSize(width: 320, height: 75))
        let origin = geometry.framePoint(x: 0, y: 0)
        XCTAssertEqual(origin.x, 0); XCTAssertEqual(origin.y, 60)
        let corner = geometry.framePoint(x: 200, y: 66)
        XCTAssertEqual(corner.x, 320, accuracy: 1e-9); XCTAssertEqual(corner.y, 135, accuracy: 1e-9)
        let back = geometry.inputPoint(x: 160, y: 97.5)
        XCTAssertEqual(back.x, 100, accuracy: 1e-9); XCTAssertEqual(back.y, 33, accuracy: 1e-9)
        let rect = geometry.frameRect(x: 10, y: 11, width: 20, height: 22)
        XCTAssertEqual(rect.width, 32, accuracy: 1e-9); XCTAssertEqual(rect.height, 25, accuracy: 1e-9)
    }

    func testCropThatLeavesNothingIsAUsageError() {
        XCTAssertThrowsError(try Preprocess(crop: CropInsets(top: 4, bottom: 3)).apply(to: ramp)) { error in
            XCTAssertEqual((error as? VideoError)?.kind, .usage)
        }
        XCTAssertThrowsError(try Preprocess(crop: CropInsets(left: -1)).apply(to: ramp))
    }

    /// A preprocessing decoded from a hand-edited file (sidecar, run.json) may carry any integer or
    /// share: absurd insets and sizes are usage errors, not traps in the crop's arithmetic.
    func testAbsurdCropsAndSizesAreUsageErrors() {
        let absurd: [Preprocess] = [
            Preprocess(crop: CropInsets(left: Int.max, right: Int.max)), Preprocess(crop: CropInsets(top: Int.max - 1, bottom: 2)),
            Preprocess(crop: CropInsets(lengths: .percent(1e300), .pixels(0), .percent(.nan), .pixels(0))),
            Preprocess(crop: CropInsets(lengths: .percent(-1e300), .pixels(0), .pixels(0), .pixels(0))),
            Preprocess(size: PixelSize(width: Int.max, height: 2)), Preprocess(size: PixelSize(width: 16_384, height: 16_384)),
        ]
        for preprocess in absurd {
            XCTAssertThrowsError(try preprocess.apply(to: ramp), "\(preprocess)") { XCTAssertEqual(($0 as? VideoError)?.kind, .usage) }
        }
        // The flags' spellings stop at the largest frame SteerLens reads.
        XCTAssertNil(CropLength("9223372036854775807"))
        XCTAssertEqual(CropLength("16384"), .pixels(16_384))
        for text in ["0x5", "16385x2", "16384x16384", "9223372036854775807x2", "2x-3"] { XCTAssertNil(PixelSize(parsing: text), text) }
        XCTAssertEqual(PixelSize(parsing: "16384x8192"), PixelSize(width: 16_384, height: 8_192))
    }
}
