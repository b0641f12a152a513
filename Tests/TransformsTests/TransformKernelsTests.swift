import CVectorKernels
import Foundation
import SteerLensSupport
@testable import Transforms
import VideoIO
import XCTest

/// The AVX-512 loops of the warps, the cubic scale, the blurs and the bilateral filter give the portable loops' bytes, over frame sizes
/// that leave every tail length, over the DeepTest grids and beyond them (steep rotations, scales near
/// 1 where the horizontal windows no longer apply), and on random pixels.
final class TransformKernelsTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loops ran instead")
    }

    func randomFrame(width: Int, height: Int, seed: UInt64) -> Frame {
        var generator = SeededRandom(seed: seed)
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Frame(index: 0, time: 0, width: width, height: height, pixels: pixels)
    }

    func testWarpInteriorEqualsThePortableLoop() {
        let warps: [(String, (Frame) -> AffineWarp)] = [
            ("rotation 3", { Rotation(degrees: 3).warp($0) }), ("rotation 30", { Rotation(degrees: 30).warp($0) }),
            ("rotation -17.5", { Rotation(degrees: -17.5).warp($0) }), ("rotation 90", { Rotation(degrees: 90).warp($0) }),
            ("rotation 181", { Rotation(degrees: 181).warp($0) }), ("shear 0.3", { _ in Shear(factor: 0.3).warp }),
            ("shear -1", { _ in Shear(factor: -1).warp }), ("sub-pixel shift", { _ in AffineWarp(matrix: [1, 0, 2.25, 0, 1, -1.5]) }),
            ("zoom", { _ in AffineWarp(matrix: [0.7, 0.1, 5, -0.05, 0.8, 3]) }),
        ]
        // Both kernels: 4-byte gathers per value, and 8-byte gathers per pixel spread by byte permutes.
        for byteShuffles in VectorSupport.avx512vbmi ? [false, true] : [false] {
            for (width, height) in [(64, 48), (95, 37), (160, 90), (33, 17)] {
                let frame = randomFrame(width: width, height: height, seed: UInt64(width * height))
                for (name, warp) in warps {
                    let portable = warp(frame).apply(frame, rows: 0..<height, vectorized: false)
                    let vectorized = warp(frame).apply(frame, rows: 0..<height, vectorized: true, byteShuffles: byteShuffles)
                    XCTAssertEqual(vectorized.pixels, portable.pixels, "\(name) on \(width)x\(height), byte shuffles \(byteShuffles)")
                    let rows = (height / 3)..<(height - 2)
                    XCTAssertEqual(warp(frame).apply(frame, rows: rows, vectorized: true, byteShuffles: byteShuffles).pixels,
                                   warp(frame).apply(frame, rows: rows, vectorized: false).pixels, "\(name) rows \(rows), byte shuffles \(byteShuffles)")
                }
            }
        }
    }

    /// `fused` is `fmaf`, one rounding, as the kernels' fused multiply-adds: also where the sum rounded to
    /// Double lands halfway between two Floats and a second rounding would go the other way.
    func testFusedRoundsOnceLikeTheKernelsFusedMultiplyAdd() {
        // (1 + 2⁻²³)·(2⁻²⁴ − 2⁻⁴⁷) + (1 + 2⁻²³) lies 2⁻⁷⁰ below the midpoint 1 + 2⁻²³ + 2⁻²⁴.
        let (a, b, c): (Float, Float, Float) = (1 + 0x1p-23, 0x1p-24 - 0x1p-47, 1 + 0x1p-23)
        XCTAssertEqual(Float(Double(a) * Double(b) + Double(c)), 1 + 0x1p-22, "rounded twice, the midpoint goes to even")
        XCTAssertEqual(fused(c, a, b), 1 + 0x1p-23)
        var generator = SeededRandom(seed: 67)
        for _ in 0..<100_000 {
            let (a, b, c) = (Float(generator.uniform(-300, 300)), Float(generator.uniform(-1, 1)), Float(generator.uniform(-300, 300)))
            XCTAssertEqual(fused(c, a, b).bitPattern, c.addingProduct(a, b).bitPattern, "\(a)·\(b) + \(c)")
        }
        XCTAssertEqual(fused(0x1p-126, 0x1p-100, -0x1p-30), Float(0x1p-126).addingProduct(0x1p-100, -0x1p-30), "a subnormal result")
        XCTAssertEqual(fused(0, 0x1p100, 0x1p100), .infinity)
    }

    /// The warps in the kernel do run: a rotation's interior is most of the frame.
    func testRotationInteriorIsWideEnoughForTheKernel() {
        let warp = Rotation(degrees: 9).warp(randomFrame(width: 640, height: 360, seed: 1))
        let mi = warp.inverse
        let interior = AffineWarp.interiorColumns(rowX: Float(180 * mi[1] + mi[2]), rowY: Float(180 * mi[4] + mi[5]),
                                                  m0: Float(mi[0]), m3: Float(mi[3]), width: 640, height: 360)
        XCTAssertGreaterThan(interior.count, 500)
    }

    func testCubicScaleEqualsThePortableLoops() throws {
        let preprocesses = [
            Preprocess(crop: CropInsets(lengths: CropLength("37.5%")!, CropLength("10%")!, .pixels(0), .pixels(0)), size: PixelSize(width: 20, height: 7)),
            Preprocess(crop: CropInsets(top: 5, bottom: 3, left: 4, right: 7), size: PixelSize(width: 17, height: 9), interpolation: .bilinear),
            Preprocess(crop: CropInsets(top: 2, bottom: 1, left: 3, right: 0)),
            // Uncropped: the scaled rows at the top and bottom edges, whose taps repeat clamped rows.
            Preprocess(crop: CropInsets(top: 0, bottom: 0, left: 0, right: 0), size: PixelSize(width: 15, height: 8)),
        ]
        for (width, height) in [(64, 36), (41, 23), (7, 5)] {
            let frame = randomFrame(width: width, height: height, seed: UInt64(width + height))
            for factor in [0.5, 1, 1.05, 1.5, 2, 3.7, 6] {
                let scale = CubicScale(factor: factor)
                let rows = 0..<scale.outputSize(width: width, height: height).height
                XCTAssertEqual(try scale.apply(frame, rows: rows, vectorized: true).pixels, try scale.apply(frame, rows: rows, vectorized: false).pixels,
                               "scale \(factor) on \(width)x\(height)")
                for preprocess in preprocesses {
                    let scaled = scale.outputSize(width: width, height: height)
                    // Crops larger than a small frame are the preprocessing's error, not this test's.
                    guard let input = try? preprocess.geometry(for: PixelSize(width: scaled.width, height: scaled.height)).outputSize else { continue }
                    let length = input
                    var portable = [Float](repeating: -1, count: length.width * length.height * 3), vectorized = portable
                    try portable.withUnsafeMutableBufferPointer { try scale.modelInput(frame, preprocess: preprocess, into: $0, vectorized: false) }
                    try vectorized.withUnsafeMutableBufferPointer { try scale.modelInput(frame, preprocess: preprocess, into: $0, vectorized: true) }
                    XCTAssertEqual(vectorized, portable, "scale \(factor) on \(width)x\(height), \(preprocess.crop)")
                }
            }
        }
    }

    /// A frame of realistic size at DeepTest's scales into the demo model's input: many runs of scaled
    /// rows, a ring that wraps, horizontal rows in groups of four with a remainder.
    func testCubicScaleModelInputOfALargeFrameEqualsThePortableLoops() throws {
        let frame = randomFrame(width: 320, height: 180, seed: 7)
        let preprocess = Preprocess(crop: CropInsets(lengths: CropLength("37.5%")!, CropLength("10%")!, .pixels(0), .pixels(0)),
                                    size: PixelSize(width: 200, height: 66))
        for factor in [1.5, 2.5, 6] {
            var portable = [Float](repeating: -1, count: 200 * 66 * 3), vectorized = portable
            try portable.withUnsafeMutableBufferPointer { try CubicScale(factor: factor).modelInput(frame, preprocess: preprocess, into: $0, vectorized: false) }
            try vectorized.withUnsafeMutableBufferPointer { try CubicScale(factor: factor).modelInput(frame, preprocess: preprocess, into: $0, vectorized: true) }
            XCTAssertEqual(vectorized, portable, "scale \(factor)")
        }
    }

    /// A tall frame squeezed into few model rows: each model row sums over a hundred scaled rows, each with
    /// its own taps, more runs than the AVX-512 loop walks at once, so its partial sums wait in the output
    /// between rounds.
    func testCubicScaleModelInputOfManyRunsPerRowEqualsThePortableLoops() throws {
        let frame = randomFrame(width: 48, height: 900, seed: 9)
        let preprocess = Preprocess(crop: CropInsets(top: 0, bottom: 0, left: 0, right: 0), size: PixelSize(width: 16, height: 6))
        for factor in [0.5, 1.05] {
            var portable = [Float](repeating: -1, count: 16 * 6 * 3), vectorized = portable
            try portable.withUnsafeMutableBufferPointer { try CubicScale(factor: factor).modelInput(frame, preprocess: preprocess, into: $0, vectorized: false) }
            try vectorized.withUnsafeMutableBufferPointer { try CubicScale(factor: factor).modelInput(frame, preprocess: preprocess, into: $0, vectorized: true) }
            XCTAssertEqual(vectorized, portable, "scale \(factor)")
        }
    }

    /// The bilateral colour weight of 16 distances is the table's entry bit for bit: from registers when
    /// all 16 are below 128 (every run of 16 consecutive distances there, and shuffled), by the gather
    /// otherwise (runs crossing 128 and above it).
    func testColorWeightLookupIsTheTable() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loop ran instead")
        var generator = SeededRandom(seed: 77)
        let table = (0..<768).map { _ in Float(generator.uniform(0, 1)) }
        var blocks = (0...(766 - 16)).map { start in (start..<(start + 16)).map(Int32.init) }
        for _ in 0..<64 { blocks.append((0..<16).map { _ in Int32.random(in: 0..<128, using: &generator) }) }
        var out = [Float](repeating: .nan, count: 16)
        for distances in blocks {
            steerlens_color_weights_lookup16(table, distances, &out)
            XCTAssertEqual(out.map(\.bitPattern), distances.map { table[Int($0)].bitPattern }, "distances \(distances)")
        }
    }

    func testBilateralEqualsThePortableLoop() {
        for (width, height) in [(64, 20), (37, 11), (16, 9), (15, 6)] {
            let frame = randomFrame(width: width, height: height, seed: UInt64(3 * width + height))
            // Smooth areas as well as noise, so the colour weights span their table.
            var pixels = frame.pixels
            for index in stride(from: 0, to: pixels.count / 2, by: 1) { pixels[index] = UInt8(index / 3 % width * 2) }
            let mixed = Frame(index: 0, time: 0, width: width, height: height, pixels: pixels)
            for filter in [BilateralFilter(diameter: 9, sigmaColor: 75, sigmaSpace: 75), BilateralFilter(diameter: 5, sigmaColor: 20, sigmaSpace: 3)] {
                for rows in [0..<height, (height / 2)..<height] {
                    let portable = filter.apply(mixed, rows: rows, vectorized: false)
                    for byteShuffles in VectorSupport.avx512vbmi ? [false, true] : [false] {
                        XCTAssertEqual(filter.apply(mixed, rows: rows, vectorized: true, byteShuffles: byteShuffles), portable,
                                       "bilateral d \(filter.diameter) on \(width)x\(height) rows \(rows), byte shuffles \(byteShuffles)")
                    }
                }
            }
        }
    }

    /// Every mean and Gaussian kernel of the DeepTest grid, over widths whose rows leave every tail of the
    /// 16-value blocks, bands of rows at both edges (reflected taps) and a frame narrower than the kernel.
    func testBlurEqualsThePortableLoop() {
        let filters = [3, 4, 5, 6].map { SeparableFilter.box(size: $0) } + [3, 5, 7].map { SeparableFilter.gaussian(size: $0) }
        for (width, height) in (6...22).map({ ($0, 9) }) + [(640, 12), (4, 8)] {
            let frame = randomFrame(width: width, height: height, seed: UInt64(5 * width + height))
            for filter in filters {
                for rows in [0..<height, 0..<2, (height - 3)..<height] {
                    XCTAssertEqual(filter.apply(frame, rows: rows, vectorized: true), filter.apply(frame, rows: rows, vectorized: false),
                                   "kernel \(filter.kernel) on \(width)x\(height) rows \(rows)")
                }
            }
        }
    }

    /// A band of a blurred frame is those rows of the whole blurred frame, for bands starting and ending
    /// anywhere (the ring of horizontal-pass rows starts at the band's first taps, grows at the top edge,
    /// wraps around, and reflects at the bottom), frames shorter than the kernel included.
    func testBlurBandsAreRowsOfTheWholeFrame() {
        let filters = [3, 4, 6].map { SeparableFilter.box(size: $0) } + [5, 7].map { SeparableFilter.gaussian(size: $0) }
        for (width, height) in [(19, 23), (5, 3), (7, 1)] {
            let frame = randomFrame(width: width, height: height, seed: UInt64(3 * width + height))
            for vectorized in [false, VectorSupport.avx512] {
                for filter in filters {
                    let whole = filter.apply(frame, rows: 0..<height, vectorized: vectorized)
                    for first in 0..<height {
                        for last in Set([first + 1, min(first + 4, height), height]) {
                            XCTAssertEqual(filter.apply(frame, rows: first..<last, vectorized: vectorized), Array(whole[(first * width * 3)..<(last * width * 3)]),
                                           "kernel \(filter.kernel) on \(width)x\(height) rows \(first)..<\(last), vectorized \(vectorized)")
                        }
                    }
                }
            }
        }
    }

    /// Brightness and contrast tables over rows of every tail length of the 16-byte gathers and the
    /// 64-byte permutes (widths 1–16 and 22, 640), and a table of every byte value.
    func testByteLookupEqualsThePortableLoop() {
        var generator = SeededRandom(seed: 9)
        let tables = [(0..<256).map { UInt8(255 - $0) }, (0..<256).map { _ in UInt8.random(in: 0...255, using: &generator) }]
        for (width, height) in (1...16).map({ ($0, 4) }) + [(22, 4), (640, 9)] {
            let frame = randomFrame(width: width, height: height, seed: UInt64(7 * width + height))
            for table in tables {
                for rows in [0..<height, 1..<(height - 1), (height - 1)..<height] {
                    let portable = frame.mappingBytes(rows: rows, through: table, vectorized: false).pixels
                    XCTAssertEqual(frame.mappingBytes(rows: rows, through: table, vectorized: true, byteShuffles: false).pixels, portable,
                                   "\(width)x\(height) rows \(rows)")
                    if VectorSupport.avx512vbmi {
                        XCTAssertEqual(frame.mappingBytes(rows: rows, through: table, vectorized: true, byteShuffles: true).pixels, portable,
                                       "\(width)x\(height) rows \(rows), byte permutes")
                    }
                }
            }
        }
    }

    /// The horizontal windows apply from about 1.1 upwards (DeepTest's 1.5…6) and not to shrinking.
    func testWindowsCoverTheDeepTestScales() {
        for (factor, applies) in [(1.5, true), (6.0, true), (1.1, true), (0.5, false)] {
            let taps = CubicScale.taps(output: Int(100 * factor), input: 100, factor: factor)
            let windows = CubicScale.WindowedTaps(offsets: taps.index.map { $0 * 3 }, weights: taps.weight.map { Int32($0) },
                                                  columns: 0..<Int(100 * factor))
            XCTAssertEqual(windows != nil, applies, "scale \(factor)")
        }
    }
}

/// The ring of first-pass rows, filled by the cubic scale's horizontal pass (portable and AVX-512 rows).
final class RowRingTests: XCTestCase {
    /// The ring of horizontal rows holds exactly the rows asked for, through growth, wrap-around, a
    /// jump past the rows it holds and a span shorter than before.
    func testRowRingHoldsTheRowsAskedFor() {
        let pixels: [UInt8] = (0..<(9 * 40 * 3)).map { (index: Int) -> UInt8 in UInt8((index * 7 + index / 27) % 256) }
        let frame = Frame(index: 0, time: 0, width: 9, height: 40, pixels: pixels)
        for vectorized in [false, VectorSupport.avx512] {
            let pass = CubicScale.HorizontalPass(frame, columns: 2..<21, taps: CubicScale.taps(output: 23, input: 9, factor: 2.5), vectorized: vectorized)
            var ring = RowRing<Float>(rowLength: pass.rowLength)
            for needed in [0...2, 1...3, 2...7, 5...8, 8...9, 20...22, 21...26, 26...26, 27...39] {
                ring.hold(needed) { pass.compute(rows: $0, into: $1) }
                for row in needed {
                    var expected = [Float](repeating: -1, count: pass.rowLength)
                    expected.withUnsafeMutableBufferPointer { buffer in pass.compute(rows: row..<(row + 1)) { _ in buffer.baseAddress! } }
                    let start = ring.offset(of: row)
                    XCTAssertEqual(Array(ring.storage[start..<(start + pass.rowLength)]), expected, "row \(row) of \(needed), vectorized \(vectorized)")
                }
            }
        }
    }
}

/// The AVX2 and AVX-512 BW median filters give the portable loop's bytes for both DeepTest sizes, over
/// widths 1…32 (row lengths 3·w leave every tail length of the 32-byte blocks, and the 64-byte blocks'
/// tails with 37 and 640) and bands of rows at the frame's edges; their constant networks for sizes 3
/// and 5 are the Swift network's.
final class MedianKernelTests: XCTestCase {
    func testConstantNetworksAreTheSwiftNetworks() {
        for size in [3, 5] {
            var count = 0
            let table = steerlens_median_network(size, &count)
            let constant = (0..<count).map { (Int(table![2 * $0]), Int(table![2 * $0 + 1])) }
            XCTAssertEqual(constant.map { [$0.0, $0.1] }, MedianFilter.network(size * size).map { [$0.0, $0.1] }, "size \(size)")
        }
        var count = -1
        XCTAssertNil(steerlens_median_network(7, &count))
        XCTAssertEqual(count, 0)
    }

    func testMedianEqualsThePortableLoop() throws {
        try XCTSkipUnless(VectorSupport.avx2, "this CPU does not run AVX2; the portable loop ran instead")
        var generator = SeededRandom(seed: 25)
        for (width, height) in (1...32).map({ ($0, 5) }) + [(37, 12), (43, 6), (640, 20)] {
            let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let frame = Frame(index: 0, time: 0, width: width, height: height, pixels: pixels)
            for size in [3, 5] {
                for rows in [0..<height, 0..<1, (height - 2)..<height, 2..<(height - 1)] {
                    let portable = MedianFilter(size: size).apply(frame, rows: rows, vectorized: false)
                    XCTAssertEqual(MedianFilter(size: size).apply(frame, rows: rows, vectorized: true, wide: false), portable,
                                   "size \(size), \(width)x\(height), rows \(rows)")
                    if VectorSupport.avx512bw {
                        XCTAssertEqual(MedianFilter(size: size).apply(frame, rows: rows, vectorized: true, wide: true), portable,
                                       "size \(size), \(width)x\(height), rows \(rows), 64-byte blocks")
                    }
                }
            }
        }
    }
}

/// The cubic scale's tables for the model input, built once per geometry (portable and AVX-512 loops).
final class CubicScalePlanTests: XCTestCase {
    /// Every frame of a clip reuses one plan per frame size, scaled columns and factor, and a plan holds no
    /// pixels: two different frames through the same plan each equal their own whole-frame path.
    func testModelInputReusesOnePlanPerGeometry() throws {
        let scale = CubicScale(factor: 2.5)
        let plan = scale.plan(width: 64, height: 36, columns: 4..<150, vectorized: false)
        XCTAssertTrue(plan === scale.plan(width: 64, height: 36, columns: 4..<150, vectorized: false))
        XCTAssertFalse(plan === scale.plan(width: 64, height: 36, columns: 5..<150, vectorized: false))
        XCTAssertFalse(plan === CubicScale(factor: 3).plan(width: 64, height: 36, columns: 4..<150, vectorized: false))
        let preprocess = Preprocess(crop: CropInsets(top: 5, bottom: 3, left: 4, right: 7), size: PixelSize(width: 17, height: 9))
        for seed: UInt32 in [7, 8] {
            var state = seed
            let pixels = (0..<(64 * 36 * 3)).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: state >> 24)
            }
            let frame = Frame(index: Int(seed), time: 0, width: 64, height: 36, pixels: pixels)
            let expected = try preprocess.apply(to: try scale.apply(frame)).map(Float.init)
            for vectorized in [false, VectorSupport.avx512] {
                var actual = [Float](repeating: -1, count: expected.count)
                try actual.withUnsafeMutableBufferPointer { try scale.modelInput(frame, preprocess: preprocess, into: $0, vectorized: vectorized) }
                XCTAssertEqual(actual, expected, "frame \(seed), vectorized \(vectorized)")
            }
        }
    }
}
