import Saliency
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
