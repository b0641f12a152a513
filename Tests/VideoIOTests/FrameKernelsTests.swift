import SteerLensSupport
@testable import VideoIO
import XCTest

/// The vector loops of VideoIO give the portable loops' bytes: the resize for every interpolation,
/// shrinking and enlarging, over crop and output widths that leave every tail length of a 16-value
/// block; the PNG `Paeth` filter on every predictor choice and row lengths leaving every tail of its
/// 32-byte blocks.
final class FrameKernelsTests: XCTestCase {
    func randomFrame(width: Int, height: Int, seed: UInt64) -> Frame {
        var generator = SeededRandom(seed: seed)
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Frame(index: 0, time: 0, width: width, height: height, pixels: pixels)
    }

    func assertSameBytes(_ actual: [UInt8], _ expected: [UInt8], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let firstDifference = expected.indices.first { $0 >= actual.count || actual[$0] != expected[$0] }
        XCTAssert(actual.count == expected.count && firstDifference == nil,
                  "\(message): first difference at byte \(firstDifference ?? -1) of \(expected.count)", file: file, line: line)
    }

    /// The horizontal pass reads its taps from register windows (no gathers) where they fit: the demo's
    /// 640 → 200 and any enlargement, not 1280 → 200.
    func testColumnPassUsesWindowsWhereTheTapsFit() {
        func windowed(_ source: Int, _ destination: Int, _ interpolation: Interpolation) -> Bool {
            Resampler.LaneTaps(Resampler.taps(source: source, destination: destination, interpolation: interpolation)).windows != nil
        }
        XCTAssertTrue(windowed(640, 200, .area))
        XCTAssertTrue(windowed(320, 200, .area))
        XCTAssertTrue(windowed(200, 640, .bilinear))
        XCTAssertFalse(windowed(1280, 200, .area))
        XCTAssertFalse(windowed(16, 5, .area), "a row shorter than a window")
    }

    func testResizeEqualsThePortableLoop() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loops ran instead")
        let preprocesses = [
            Preprocess(crop: CropInsets(lengths: CropLength("37.5%")!, CropLength("10%")!, .pixels(0), .pixels(0)), size: PixelSize(width: 200, height: 66)),
            Preprocess(crop: CropInsets(top: 5, bottom: 3, left: 4, right: 7), size: PixelSize(width: 17, height: 9)),
            Preprocess(size: PixelSize(width: 31, height: 23), interpolation: .bilinear),
            Preprocess(crop: CropInsets(top: 1, bottom: 2, left: 3, right: 1), size: PixelSize(width: 300, height: 170), interpolation: .bilinear),
            Preprocess(size: PixelSize(width: 45, height: 61), interpolation: .nearest),
            Preprocess(size: PixelSize(width: 250, height: 100), interpolation: .area),
        ]
        // Crop widths 49…64 (3·w mod 16 takes every value) resized to widths 16…1, alternately by area and bilinear.
        let tails = (0..<16).map { Preprocess(crop: CropInsets(top: 1, right: $0), size: PixelSize(width: 16 - $0, height: 5),
                                             interpolation: $0 % 2 == 0 ? .area : .bilinear) }
        for (width, height) in [(320, 160), (640, 360), (133, 77), (97, 41), (1280, 720), (64, 24)] {
            let frame = randomFrame(width: width, height: height, seed: UInt64(width * height))
            for (number, preprocess) in (width == 64 ? tails : preprocesses).enumerated() {
                let geometry = try preprocess.geometry(for: PixelSize(width: width, height: height))
                let portable = Resampler.interpolate(frame.pixels, frameWidth: width, geometry: geometry, interpolation: preprocess.interpolation, vectorized: false)
                let vectorized = Resampler.interpolate(frame.pixels, frameWidth: width, geometry: geometry, interpolation: preprocess.interpolation, vectorized: true)
                assertSameBytes(vectorized, portable, "preprocess \(number) on \(width)x\(height)")
                // The same resize with the vertical pass done by the caller (a transform's path), from Float rows.
                func blend(_ firstRow: Int, _ weights: [Float], _ out: UnsafeMutablePointer<Float>) {
                    for (j, weight) in weights.enumerated() {
                        for i in 0..<(geometry.cropSize.width * 3) {
                            let term = weight * Float(frame.pixels[((firstRow + j) * width + geometry.cropX) * 3 + i])
                            out[i] = j == 0 ? term : out[i] + term
                        }
                    }
                }
                for vectorized in [false, true] {
                    assertSameBytes(Resampler.interpolate(blending: blend, geometry: geometry, interpolation: preprocess.interpolation, vectorized: vectorized), portable,
                                    "preprocess \(number) on \(width)x\(height), blended by the caller, vectorized \(vectorized)")
                }
            }
        }
    }

    func testPaethFilterEqualsThePortableLoop() throws {
        try XCTSkipUnless(VectorSupport.avx2, "this CPU does not run AVX2; the portable loop ran instead")
        let vectorized = try PNGEncoder(deflate: .runLength, vectorizedFilters: true)
        let portable = try PNGEncoder(deflate: .runLength, vectorizedFilters: false)
        var generator = SeededRandom(seed: 4)
        // Noise (every predictor, sums past 255), extremes only (0 and 255: the saturated pc), smooth ramps.
        let patterns: [(String, (Int) -> UInt8)] = [
            ("noise", { _ in UInt8.random(in: 0...255, using: &generator) }),
            ("extremes", { _ in Bool.random(using: &generator) ? 255 : 0 }),
            ("ramps", { UInt8(truncatingIfNeeded: $0 / 7 + $0 % 5) }),
        ]
        for width in Array(1...33) + [100, 1280] {
            for (name, byte) in patterns {
                let height = 5, pixels = (0..<(width * height * 3)).map(byte)
                XCTAssertEqual(vectorized.encode(pixels, width: width, height: height), portable.encode(pixels, width: width, height: height),
                               "\(name), \(width) pixels wide")
            }
        }
    }
}
