import Foundation
import SteerLensSupport
import Transforms
import VideoIO
import XCTest

/// The transforms beyond DeepTest: deterministic, doing what their names say, and the parser's errors.
final class TransformBehaviourTests: XCTestCase {
    /// A 64×48 gradient frame with some texture.
    func gradient(index: Int = 0) -> Frame {
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        for y in 0..<48 {
            for x in 0..<64 {
                let at = (y * 64 + x) * 3
                pixels[at] = UInt8(x * 4); pixels[at + 1] = UInt8(y * 5); pixels[at + 2] = UInt8((x * y) % 256)
            }
        }
        return Frame(index: index, time: Double(index) / 30, width: 64, height: 48, pixels: pixels)
    }

    func mean(_ frame: Frame) -> Double { Double(frame.pixels.reduce(0) { $0 + Int($1) }) / Double(frame.pixels.count) }

    func testProceduralTransformsAreDeterministicAndChangeTheImage() throws {
        for specification in ["fog:0.6", "rain:0.5", "night:2.5", "dirt:6"] {
            let transform = try TransformParser.parse(specification)
            let first = try transform.apply(gradient()), second = try transform.apply(gradient())
            XCTAssertEqual(first, second, "\(specification) is not deterministic")
            XCTAssertNotEqual(first.pixels, gradient().pixels, "\(specification) left the frame unchanged")
            XCTAssertEqual(first.specificationSize, gradient().specificationSize)
        }
    }

    func testNightDarkensFogBrightensTowardsGrey() throws {
        let frame = gradient()
        XCTAssertLessThan(mean(try TransformParser.parse("night:3").apply(frame)), mean(frame) * 0.6)
        let fogged = try TransformParser.parse("fog:1").apply(frame)
        // Full fog at the top row: every value within the fog blend of grey.
        let topRow = fogged.pixels[0..<(64 * 3)].map(Int.init)
        let originalTop = frame.pixels[0..<(64 * 3)].map(Int.init)
        let distanceBefore = zip(originalTop, [Int](repeating: 208, count: topRow.count)).map { abs($0 - $1) }.reduce(0, +)
        let distanceAfter = zip(topRow, [Int](repeating: 208, count: topRow.count)).map { abs($0 - $1) }.reduce(0, +)
        XCTAssertLessThan(distanceAfter, distanceBefore / 2)
    }

    func testRainMovesFromFrameToFrameButDirtStays() throws {
        let rain = try TransformParser.parse("rain:0.8"), dirt = try TransformParser.parse("dirt:5")
        XCTAssertNotEqual(try rain.apply(gradient(index: 0)).pixels, try rain.apply(gradient(index: 1)).pixels)
        XCTAssertEqual(try dirt.apply(gradient(index: 0)).pixels, try dirt.apply(gradient(index: 1)).pixels)
    }

    func testFlipTwiceIsIdentityAndRollEqualsRotation() throws {
        let flip = try TransformParser.parse("flip")
        XCTAssertEqual(try flip.apply(try flip.apply(gradient())), gradient())
        XCTAssertEqual(try TransformParser.parse("roll:4").apply(gradient()), try TransformParser.parse("rotation:4").apply(gradient()))
    }

    func testPitchMovesTheSceneUp() throws {
        let shifted = try TransformParser.parse("pitch:5").apply(gradient())
        // Row 0 now holds the original row 5; the last 5 rows are black.
        XCTAssertEqual(Array(shifted.pixels[0..<(64 * 3)]), Array(gradient().pixels[(5 * 64 * 3)..<(6 * 64 * 3)]))
        XCTAssertTrue(shifted.pixels[(43 * 64 * 3)...].allSatisfy { $0 == 0 })
    }

    func testRecompressionRoundTripsThroughFFmpeg() throws {
        let frame = gradient()
        for specification in ["jpeg:2", "jpeg:31", "h264:40"] {
            let result = try TransformParser.parse(specification).apply(frame)
            XCTAssertEqual(result.width, 64); XCTAssertEqual(result.height, 48)
            let error = zip(result.pixels, frame.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
            XCTAssertGreaterThan(error, 0, "\(specification) returned the input unchanged")
            XCTAssertLessThan(Double(error) / Double(frame.pixels.count), 40, "\(specification) is not the same picture")
        }
        let best = try TransformParser.parse("jpeg:2").apply(frame), worst = try TransformParser.parse("jpeg:31").apply(frame)
        func error(_ a: Frame) -> Int { zip(a.pixels, frame.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) }
        XCTAssertLessThan(error(best), error(worst))
    }

    func testParserRejectsUnknownNamesAndBadValuesAsUsageErrors() {
        let cases: [(String, String)] = [("sepia:1", "unknown transform 'sepia'"), ("rotation", "needs a value"),
                                         ("rotation:abc", "is not a number"), ("blur:mean9", "blur takes one of"),
                                         ("contrast:-1", "must be within"), ("translation:10", "TX,TY"), ("jpeg:1", "qscale")]
        for (text, expected) in cases {
            XCTAssertThrowsError(try TransformParser.parse(text), text) { error in
                let failure = error as? TransformError
                XCTAssertEqual(failure?.kind, .usage)
                XCTAssertTrue(failure?.message.contains(expected) == true, "\(text): \(failure?.message ?? "\(error)")")
            }
        }
    }

    /// A whole-pixel shift of the frame's size or more, either way, leaves nothing of it: a black frame of
    /// the same size, and bands of it black too (DeepTest's `translation:100,100` on a clip under 100
    /// pixels, or `--transform translation:400,0` on a 320-pixel-wide one, trapped before).
    func testShiftsBeyondTheFrameLeaveItBlack() throws {
        let frame = gradient()
        for specification in ["translation:64,0", "translation:-64,0", "translation:0,48", "translation:0,-48", "translation:100,100",
                              "translation:-10000,3", "translation:5,10000", "pitch:48", "pitch:-10000"] {
            let transform = try TransformParser.parse(specification)
            let whole = try transform.apply(frame)
            XCTAssertEqual([whole.width, whole.height], [64, 48], specification)
            XCTAssertTrue(whole.pixels.allSatisfy { $0 == 0 }, specification)
            for rows in [0..<48, 10..<20, -5..<60] {
                XCTAssertEqual(try transform.apply(frame, rows: rows).pixels, [UInt8](repeating: 0, count: rows.clamped(to: 0..<48).count * 64 * 3),
                               "\(specification) rows \(rows)")
            }
        }
        // One column or row short of the frame's size still brings in that last column or row.
        let corner = (47 * 64 + 63) * 3, edge = try TransformParser.parse("translation:-63,-47").apply(frame)
        XCTAssertEqual(edge.pixels, Array(frame.pixels[corner..<(corner + 3)]) + [UInt8](repeating: 0, count: 64 * 48 * 3 - 3))
    }
}

extension Frame {
    var specificationSize: String { "\(width)x\(height)" }
}

/// The row-restricted transforms (what `stress` feeds a cropping model) equal the full transform on those rows.
final class CubicScaleRowsTests: XCTestCase {
    func testRowsEqualTheFullScale() throws {
        var pixels = [UInt8](repeating: 0, count: 40 * 30 * 3)
        for index in pixels.indices { pixels[index] = UInt8((index * 37 + index / 7) % 256) }
        let frame = Frame(index: 0, time: 0, width: 40, height: 30, pixels: pixels)
        for factor in [1.5, 2.5, 6] {
            let scale = CubicScale(factor: factor)
            let full = try scale.apply(frame)
            let rows = (full.height * 3 / 8)..<(full.height * 9 / 10)
            let partial = try scale.apply(frame, rows: rows)
            let rowLength: Int = full.width * 3
            let kept: Range<Int> = (rows.lowerBound * rowLength)..<(rows.upperBound * rowLength)
            XCTAssertEqual([partial.width, partial.height], [full.width, rows.count], "scale \(factor)")
            XCTAssertEqual(partial.pixels, Array(full.pixels[kept]), "scale \(factor)")
        }
    }

    /// The scale fed row by row into the model's resize gives the model input of the whole scaled frame,
    /// value for value, for area and bilinear resizes, crops in percent and in pixels, and a crop-only copy.
    func testModelInputWithoutTheScaledFrameEqualsTheWholeFrame() throws {
        var pixels = [UInt8](repeating: 0, count: 64 * 36 * 3)
        var state: UInt32 = 99
        for index in pixels.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            pixels[index] = index % 4 == 0 ? UInt8(truncatingIfNeeded: state >> 24) : UInt8((index / 3 % 64 * 4 + index % 3 * 60) % 256)
        }
        let frame = Frame(index: 0, time: 0, width: 64, height: 36, pixels: pixels)
        let preprocesses = [
            Preprocess(crop: CropInsets(lengths: CropLength("37.5%")!, CropLength("10%")!, .pixels(0), .pixels(0)), size: PixelSize(width: 20, height: 7)),
            Preprocess(crop: CropInsets(top: 5, bottom: 3, left: 4, right: 7), size: PixelSize(width: 17, height: 9), interpolation: .bilinear),
            Preprocess(crop: CropInsets(top: 2, bottom: 1, left: 3, right: 0)),
            // Uncropped: the scaled rows at the top and bottom edges, whose taps repeat clamped rows.
            Preprocess(crop: CropInsets(top: 0, bottom: 0, left: 0, right: 0), size: PixelSize(width: 15, height: 8)),
        ]
        for factor in [1.5, 2, 3.5, 6] {
            let scale = CubicScale(factor: factor)
            for preprocess in preprocesses {
                let whole = try scale.apply(frame)
                let expected = try preprocess.apply(to: whole).map(Float.init)
                var actual = [Float](repeating: -1, count: expected.count)
                try actual.withUnsafeMutableBufferPointer { try scale.modelInput(frame, preprocess: preprocess, into: $0) }
                XCTAssertEqual(actual, expected, "scale \(factor), \(preprocess.crop), \(String(describing: preprocess.size))")
            }
        }
    }

    /// Every DeepTest setting (and the row-restricted fallbacks) on a band of rows, at the edges too.
    func testEveryDeepTestSettingOnRowsEqualsTheWholeFrame() throws {
        var pixels = [UInt8](repeating: 0, count: 52 * 37 * 3)
        var state: UInt32 = 12345
        for index in pixels.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            pixels[index] = index % 5 == 0 ? UInt8(truncatingIfNeeded: state >> 24) : UInt8((index / 3 * 7 + index % 3 * 40) % 256)
        }
        let frame = Frame(index: 3, time: 0.1, width: 52, height: 37, pixels: pixels)
        let specifications = ["translation:10,10", "translation:-7,3", "shear:0.3", "rotation:9", "contrast:1.4", "brightness:30", "flip", "fog:0.5"]
            + Blur.Kind.allCases.map { "blur:\($0.rawValue)" }
        for specification in specifications {
            let transform = try TransformParser.parse(specification)
            let full = try transform.apply(frame)
            for rows in [0..<37, 0..<5, 14..<30, 33..<37, 30..<60] {
                let partial = try transform.apply(frame, rows: rows)
                let kept = rows.clamped(to: 0..<37)
                XCTAssertEqual([partial.width, partial.height], [52, kept.count], "\(specification) rows \(rows)")
                XCTAssertEqual(partial.pixels, Array(full.pixels[(kept.lowerBound * 156)..<(kept.upperBound * 156)]), "\(specification) rows \(rows)")
            }
        }
    }
}
