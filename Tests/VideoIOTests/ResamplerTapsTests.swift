import XCTest
@testable import VideoIO

/// The resampler's passes give the same bytes as the plain per-tap loops they replaced, for every
/// interpolation, shrinking and enlarging: the horizontal pass over flat taps with the channels as vector
/// lanes, the vertical pass in AVX-512 and in Swift, from 8-bit pixels and from Float rows.
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

    func testEveryPassGivesTheBytesOfThePerTapLoops() throws {
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        let frame = PixelSize(width: 97, height: 61)
        let pixels = (0..<(frame.width * frame.height * 3)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let vectorModes = Resampler.vectorKernels ? [false, true] : [false]
        for interpolation in [Interpolation.area, .bilinear, .nearest] {
            // Crop rows of 276 and 291 floats: both leave a tail after the 16-float vectors.
            for (size, left) in [(PixelSize(width: 40, height: 17), 5), (PixelSize(width: 150, height: 90), 5), (PixelSize(width: 97, height: 30), 0)] {
                let geometry = try Preprocess(crop: CropInsets(top: 7, bottom: 3, left: left, right: 0), size: size, interpolation: interpolation).geometry(for: frame)
                let expected = slowResample(pixels, frameWidth: frame.width, geometry: geometry, interpolation: interpolation)
                for vectorized in vectorModes {
                    let context = "\(interpolation) \(size), vectorized \(vectorized)"
                    XCTAssertEqual(Resampler.interpolate(pixels, frameWidth: frame.width, geometry: geometry, interpolation: interpolation, vectorized: vectorized),
                                   expected, context)
                    let rows = Resampler.interpolate(rows: { y, buffer in
                        for index in buffer.indices { buffer[index] = Float(pixels[(y * frame.width + geometry.cropX) * 3 + index]) }
                    }, geometry: geometry, interpolation: interpolation, vectorized: vectorized)
                    XCTAssertEqual(rows, expected, "rows, " + context)
                }
            }
        }
    }

    /// One tap row of the vertical pass in AVX-512 gives the Swift loop's floats bit for bit (a multiply,
    /// then an add: no fused multiply-add), from bytes and from floats, for every tail length.
    func testVectorBlendGivesTheSwiftFloats() throws {
        try XCTSkipUnless(Resampler.vectorKernels, "this CPU (or valgrind) does not run AVX-512; the Swift loop ran instead")
        var state: UInt64 = 0x0DDB_A11C_0FFE_E123
        func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
        for count in [1, 15, 16, 17, 47, 291, 1_920] {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }, floats = bytes.map { Float($0) / 3 }
            let start = (0..<count).map { _ in Float(next() % 10_000) / 97 }
            for weight: Float in [0.183_574_88, 1 / 3, 0.9] {
                for accumulate in [false, true] {
                    var portable = start, vector = start, portableFloats = start, vectorFloats = start
                    Resampler.blend(bytes, weight: weight, into: &portable, count: count, accumulate: accumulate, vectorized: false)
                    Resampler.blend(bytes, weight: weight, into: &vector, count: count, accumulate: accumulate, vectorized: true)
                    Resampler.blend(floats, weight: weight, into: &portableFloats, count: count, accumulate: accumulate, vectorized: false)
                    Resampler.blend(floats, weight: weight, into: &vectorFloats, count: count, accumulate: accumulate, vectorized: true)
                    let context = "\(count) values, weight \(weight), accumulate \(accumulate)"
                    XCTAssertEqual(vector.map(\.bitPattern), portable.map(\.bitPattern), "bytes, " + context)
                    XCTAssertEqual(vectorFloats.map(\.bitPattern), portableFloats.map(\.bitPattern), "floats, " + context)
                }
            }
        }
    }
}
