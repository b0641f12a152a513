import XCTest
@testable import VideoIO

/// The resampler's horizontal pass reads its taps from flat arrays; it gives the same bytes as the
/// per-tap loop it replaced, for every interpolation, shrinking and enlarging.
final class ResamplerTapsTests: XCTestCase {
    /// The previous implementation: vertical pass as now, horizontal pass over `[Tap]` with per-tap weight arrays.
    private func slowResample(_ pixels: [UInt8], frameWidth: Int, geometry: PreprocessGeometry, interpolation: Interpolation) -> [UInt8] {
        let rows = Resampler.taps(source: geometry.cropSize.height, destination: geometry.outputSize.height, interpolation: interpolation)
        let columns = Resampler.taps(source: geometry.cropSize.width, destination: geometry.outputSize.width, interpolation: interpolation)
        let cropRowLength = geometry.cropSize.width * 3, outputWidth = geometry.outputSize.width
        var output = [UInt8](repeating: 0, count: geometry.outputSize.height * outputWidth * 3)
        var row = [Float](repeating: 0, count: cropRowLength)
        for (outputY, tap) in rows.enumerated() {
            for (offset, weight) in tap.weights.enumerated() {
                let start = (geometry.cropY + tap.first + offset) * frameWidth * 3 + geometry.cropX * 3
                for index in 0..<cropRowLength {
                    row[index] = offset == 0 ? weight * Float(pixels[start + index]) : row[index] + weight * Float(pixels[start + index])
                }
            }
            for (outputX, columnTap) in columns.enumerated() {
                var red: Float = 0, green: Float = 0, blue: Float = 0
                for (offset, weight) in columnTap.weights.enumerated() {
                    let index = (columnTap.first + offset) * 3
                    red += weight * row[index]
                    green += weight * row[index + 1]
                    blue += weight * row[index + 2]
                }
                let target = (outputY * outputWidth + outputX) * 3
                (output[target], output[target + 1], output[target + 2]) = (slowSaturate(red), slowSaturate(green), slowSaturate(blue))
            }
        }
        return output
    }

    /// The branch-free rounding equals `UInt8(min(max(v.rounded(.toNearestOrEven), 0), 255))` on every
    /// 1/256 step from −10 to 300 (all the ties included) and on the values next to each tie.
    func testSaturateRoundsHalfToEvenAndClamps() {
        for step in -2560...76_800 {
            let value = Float(step) / 256
            for probe in [value, value.nextUp, value.nextDown] {
                XCTAssertEqual(Resampler.saturate(probe), UInt8(min(max(probe.rounded(.toNearestOrEven), 0), 255)), "\(probe)")
            }
        }
        XCTAssertEqual(Resampler.saturate(-.greatestFiniteMagnitude), 0)
        XCTAssertEqual(Resampler.saturate(.greatestFiniteMagnitude), 255)
    }

    private func slowSaturate(_ value: Float) -> UInt8 { UInt8(min(max(value.rounded(.toNearestOrEven), 0), 255)) }

    func testFlatTapsGiveTheSameBytesAsPerTapArrays() throws {
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        let frame = PixelSize(width: 97, height: 61)
        let pixels = (0..<(frame.width * frame.height * 3)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for interpolation in [Interpolation.area, .bilinear, .nearest] {
            for size in [PixelSize(width: 40, height: 17), PixelSize(width: 150, height: 90), PixelSize(width: 97, height: 30)] {
                let geometry = try Preprocess(crop: CropInsets(top: 7, bottom: 3, left: 5, right: 0), size: size, interpolation: interpolation).geometry(for: frame)
                XCTAssertEqual(Resampler.interpolate(pixels, frameWidth: frame.width, geometry: geometry, interpolation: interpolation),
                               slowResample(pixels, frameWidth: frame.width, geometry: geometry, interpolation: interpolation), "\(interpolation) \(size)")
            }
        }
    }

    /// Every frame of a geometry reuses one resize plan (its taps are built once), per interpolation and
    /// loop kind, and the plan gives the taps it was built from.
    func testOneSharedPlanPerGeometry() {
        let geometry = PreprocessGeometry(frameSize: PixelSize(width: 91, height: 47), cropOrigin: (3, 5), cropSize: PixelSize(width: 80, height: 30),
                                          outputSize: PixelSize(width: 33, height: 11))
        let plan = Resampler.ResizePlan.shared(geometry: geometry, interpolation: .area, vectorized: false)
        XCTAssertTrue(plan === Resampler.ResizePlan.shared(geometry: geometry, interpolation: .area, vectorized: false))
        XCTAssertFalse(plan === Resampler.ResizePlan.shared(geometry: geometry, interpolation: .bilinear, vectorized: false))
        XCTAssertFalse(plan === Resampler.ResizePlan.shared(geometry: geometry, interpolation: .area, vectorized: true))
        let rows = Resampler.taps(source: 30, destination: 11, interpolation: .area)
        XCTAssertEqual(plan.rows.map(\.first), rows.map(\.first))
        XCTAssertEqual(plan.rows.map(\.weights), rows.map(\.weights))
    }
}
