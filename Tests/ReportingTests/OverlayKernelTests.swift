import SteerLensSupport
import VideoIO
import XCTest
@testable import Reporting

/// The AVX-512 overlay row kernel gives the portable loop's bytes: every colormap, several weights,
/// crop widths that leave every tail length of its 16-pixel blocks, and map values at the table's edges
/// (0, 1, k/256, negatives, NaN, values above 1, +∞).
final class OverlayKernelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loop ran instead")
    }

    func testOverlayRowsEqualThePortableLoop() throws {
        var generator = SeededRandom(seed: 16)
        let special: [Float] = [0, -0, 1, -1, .nan, 2, 1e9, 0.5, 255 / 256, 1 / 256, 0.99999994, .leastNonzeroMagnitude, .infinity]
        // The demo's 720p geometry, odd crops, and crop widths 40…25 (every value mod 16).
        let cases: [(frame: PixelSize, preprocess: Preprocess)] = [
            (PixelSize(width: 1280, height: 720), Preprocess(crop: CropInsets(lengths: CropLength("37.5%")!, CropLength("10%")!, .pixels(0), .pixels(0)),
                                                             size: PixelSize(width: 200, height: 66))),
            (PixelSize(width: 97, height: 41), Preprocess(crop: CropInsets(top: 3, bottom: 5, left: 7, right: 2), size: PixelSize(width: 30, height: 11))),
            (PixelSize(width: 33, height: 9), Preprocess(crop: CropInsets(left: 1), size: PixelSize(width: 64, height: 20), interpolation: .bilinear)),
        ] + (0..<16).map { (PixelSize(width: 40, height: 6), Preprocess(crop: CropInsets(top: 1, left: $0), size: PixelSize(width: 9, height: 3))) }
        for (size, preprocess) in cases {
            let geometry = try preprocess.geometry(for: size)
            let projection = MapProjection(geometry: geometry)
            let frame = Frame(index: 0, time: 0, width: size.width, height: size.height,
                              pixels: (0..<(size.width * size.height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            var map = (0..<(geometry.outputSize.width * geometry.outputSize.height)).map { _ in Float.random(in: 0...1, using: &generator) }
            for (index, value) in special.enumerated() { map[index * 7 % map.count] = value }
            // Every colormap and weight on the small frames; jet at keras-vis' 0.3 on the large one.
            for colormap in size.width > 100 ? [.jet] : Colormap.allCases {
                for alpha in size.width > 100 ? [0.3] : [0.3, 0, 1, 0.77] {
                    let overlay = Overlay(colormap: colormap, alpha: alpha)
                    var portable: [UInt8] = [], vectorized: [UInt8] = []
                    overlay.draw(map, on: frame, projection: projection, into: &portable, vectorized: false)
                    overlay.draw(map, on: frame, projection: projection, into: &vectorized, vectorized: true)
                    let firstDifference = portable.indices.first { $0 >= vectorized.count || vectorized[$0] != portable[$0] }
                    XCTAssert(vectorized.count == portable.count && firstDifference == nil,
                              "\(colormap) alpha \(alpha) on \(size): first difference at byte \(firstDifference ?? -1) of \(portable.count)")
                }
            }
        }
    }
}
