import Saliency
import SteerLensSupport
import VideoIO
import XCTest
@testable import Reporting

/// Overlay pixels equal the keras-vis formula `uint8(0.7·frame + 0.3·uint8(jet(S)·255))`; expected values
/// computed with matplotlib 3.11.2 and NumPy (`np.uint8(0.7 * frame + 0.3 * np.uint8(cm.jet(S)[..., :3] * 255))`).
final class OverlayTests: XCTestCase {
    func testJetTableEndpointsAndSamplesMatchMatplotlib() {
        XCTAssertTrue(Colormap.jet.color(of: 0) == (0, 0, 127))
        XCTAssertTrue(Colormap.jet.color(of: 0.25) == (0, 128, 255))
        XCTAssertTrue(Colormap.jet.color(of: 0.5) == (124, 255, 121))
        XCTAssertTrue(Colormap.jet.color(of: 0.999) == (127, 0, 0))
        XCTAssertTrue(Colormap.jet.color(of: 1) == (127, 0, 0))
        XCTAssertTrue(Colormap.jet.color(of: 0.1234) == (0, 0, 255))
        XCTAssertEqual(Colormap.index(of: 1), 255, "⌊1·256⌋ clamps to 255")
        XCTAssertEqual(Colormap.index(of: 0.5), 128)
        XCTAssertEqual(Colormap.index(of: -0.1), 0)
        for colormap in Colormap.allCases { XCTAssertEqual(colormap.table.count, 768, "\(colormap)") }
    }

    func testOverlayPixelsFollowTheKerasVisFormula() throws {
        // A 6x1 frame, no crop or resize: every pixel gets its own map value.
        let frame = Frame(index: 0, time: 0, width: 6, height: 1,
                          pixels: [10, 200, 30, 255, 255, 255, 0, 0, 0, 128, 64, 32, 7, 7, 7, 99, 150, 201])
        let geometry = try Preprocess().geometry(for: PixelSize(width: 6, height: 1))
        let map: [Float] = [0.0, 0.25, 0.5, 0.999, 1.0, 0.1234]
        let drawn = Overlay().draw(map, on: frame, projection: MapProjection(geometry: geometry))
        XCTAssertEqual(drawn.pixels, [7, 140, 59, 178, 216, 255, 37, 76, 36, 127, 44, 22, 43, 4, 4, 69, 105, 217])
    }

    /// The row-wise projection and the blend table give exactly what the formulas give pixel by pixel:
    /// each frame pixel's map value interpolated horizontally then vertically, then
    /// `uint8(0.7·p + 0.3·c)` in Double — on a cropped, resized frame with random content.
    func testDrawingEqualsTheFormulaPixelByPixel() throws {
        var random = SeededRandom(seed: 11)
        let (width, height) = (97, 61)
        let frame = Frame(index: 0, time: 0, width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in UInt8(random.next() & 0xFF) })
        let geometry = try Preprocess(crop: CropInsets(top: 5, bottom: 7, left: 10, right: 3), size: PixelSize(width: 20, height: 9))
            .geometry(for: PixelSize(width: width, height: height))
        let map = (0..<(20 * 9)).map { _ in Float(random.next() % 10_000) / 9_999 }
        for alpha in [0.3, 0.55] {
            let drawn = Overlay(colormap: .turbo, alpha: alpha).draw(map, on: frame, projection: MapProjection(geometry: geometry))
            func tap(_ frameCoordinate: Int, _ cropStart: Int, _ scale: Double, _ length: Int) -> (Int, Int, Float) {
                let position = min(max((Double(frameCoordinate - cropStart) + 0.5) / scale - 0.5, 0), Double(length - 1))
                let first = Int(position.rounded(.down))
                return (first, min(first + 1, length - 1), Float(position - Double(first)))
            }
            var expected = frame.pixels
            for y in geometry.cropY..<(geometry.cropY + geometry.cropSize.height) {
                let (top, bottom, fy) = tap(y, geometry.cropY, geometry.scaleY, 9)
                for x in geometry.cropX..<(geometry.cropX + geometry.cropSize.width) {
                    let (left, right, fx) = tap(x, geometry.cropX, geometry.scaleX, 20)
                    let upper = map[top * 20 + left] * (1 - fx) + map[top * 20 + right] * fx
                    let lower = map[bottom * 20 + left] * (1 - fx) + map[bottom * 20 + right] * fx
                    let color = Colormap.turbo.color(of: upper * (1 - fy) + lower * fy)
                    for (channel, tint) in [color.red, color.green, color.blue].enumerated() {
                        let index = (y * width + x) * 3 + channel
                        expected[index] = UInt8((1 - alpha) * Double(frame.pixels[index]) + alpha * Double(tint))
                    }
                }
            }
            XCTAssertEqual(drawn.pixels, expected, "alpha \(alpha)")
        }
    }

    func testNoTintOutsideTheCrop() throws {
        let frame = Frame(index: 0, time: 0, width: 8, height: 6, pixels: [UInt8](repeating: 100, count: 8 * 6 * 3))
        let geometry = try Preprocess(crop: CropInsets(top: 2, bottom: 1, left: 1, right: 3), size: PixelSize(width: 2, height: 3))
            .geometry(for: PixelSize(width: 8, height: 6))
        let drawn = Overlay().draw([1, 1, 1, 1, 1, 1], on: frame, projection: MapProjection(geometry: geometry))
        for y in 0..<6 {
            for x in 0..<8 {
                let inside = (2..<5).contains(y) && (1..<5).contains(x)
                let pixel = drawn.pixel(x: x, y: y)
                // Inside: uint8(0.7·100 + 0.3·(127, 0, 0)) = (108, 70, 70).
                XCTAssertTrue(inside ? pixel == (108, 70, 70) : pixel == (100, 100, 100), "(\(x), \(y)): \(pixel)")
            }
        }
    }

    func testMaintainDisplayScales() {
        // One huge pixel and a spread of tiny ones, like a real maintain map.
        var map = (0..<100).map { Float($0) * 1e-9 }
        map[7] = 1
        XCTAssertEqual(DisplayScale.exact.apply(map), map)
        let percentile = DisplayScale.percentile(99).apply(map)
        XCTAssertEqual(percentile[7], 1)
        XCTAssertEqual(percentile[50], Float(50e-9) / Float(99e-9), accuracy: 1e-6, "the rest is spread over [0, 1]")
        let logarithmic = DisplayScale.logarithmic.apply(map)
        XCTAssertEqual(logarithmic[7], 1, accuracy: 1e-6)
        XCTAssertGreaterThan(logarithmic[50], 0.01)
        XCTAssertTrue(logarithmic.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testMassSharesAndCorrelation() {
        // 4x3 map: all mass in the bottom-right pixel.
        var map = [Float](repeating: 0, count: 12)
        map[11] = 2
        let statistics = MapStatistics(map: map, width: 4, height: 3)
        XCTAssertEqual([statistics.upper, statistics.middle, statistics.lower], [0, 0, 1])
        XCTAssertEqual([statistics.left, statistics.right], [0, 1])
        XCTAssertEqual(pearsonCorrelation([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
        XCTAssertEqual(pearsonCorrelation([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-12)
        XCTAssertEqual(pearsonCorrelation([1, 1, 1], [1, 2, 3]), 0)
    }
}

private func == (lhs: (red: UInt8, green: UInt8, blue: UInt8), rhs: (UInt8, UInt8, UInt8)) -> Bool {
    lhs.red == rhs.0 && lhs.green == rhs.1 && lhs.blue == rhs.2
}

private func == (lhs: (r: UInt8, g: UInt8, b: UInt8), rhs: (UInt8, UInt8, UInt8)) -> Bool {
    lhs.r == rhs.0 && lhs.g == rhs.1 && lhs.b == rhs.2
}
