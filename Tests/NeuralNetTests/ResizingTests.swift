import SteerLensSupport
import XCTest
@testable import NeuralNet

final class ResizingTests: XCTestCase {
    let twoByThree = Tensor(shape: [1, 2, 3, 1], scalars: [1, 2, 3, 4, 5, 6])

    func testLegacyBilinearMatchesTF1() throws {
        // tf.compat.v1.image.resize_bilinear(x, (3, 5)): src = dst·(in/out), upper clamped to in − 1.
        let resize = try Resizing(height: 3, width: 5, method: .bilinearLegacy)
        assertClose(resize.forward(twoByThree), [1, 1.6, 2.2, 2.8, 3,
                                                 3, 3.6, 4.2, 4.8, 5,
                                                 4, 4.6, 5.2, 5.8, 6], shape: [1, 3, 5, 1])
    }

    func testHalfPixelBilinearMatchesTF2() throws {
        // tf.image.resize(x, (3, 5)): src = (dst + 0.5)·scale − 0.5, clamped at both ends.
        let resize = try Resizing(height: 3, width: 5, method: .bilinearHalfPixel)
        assertClose(resize.forward(twoByThree), [1, 1.4, 2, 2.6, 3,
                                                 2.5, 2.9, 3.5, 4.1, 4.5,
                                                 4, 4.4, 5, 5.6, 6], shape: [1, 3, 5, 1])
    }

    func testAreaMatchesTFResizeArea() throws {
        // 1-D 4 → 3 (TF's own comment): out = (in0 + in1/3)·0.75, (2/3·in1 + 2/3·in2)·0.75, (in2/3 + in3)·0.75.
        let rows = Tensor(shape: [1, 2, 4, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        assertClose(try Resizing(height: 2, width: 3, method: .area).forward(rows), [1.25, 2.5, 3.75, 5.25, 6.5, 7.75])
        // Both rows fall into one output row.
        assertClose(try Resizing(height: 1, width: 3, method: .area).forward(rows), [3.25, 4.5, 5.75])
        // Upscaling 2 → 3 columns: a, (a + b)/2, b.
        let pair = Tensor(shape: [1, 1, 2, 2], scalars: [1, 10, 3, 20])
        assertClose(try Resizing(height: 1, width: 3, method: .area).forward(pair), [1, 10, 2, 15, 3, 20], tolerance: 1e-5)
        // Integer factors are plain box averages.
        let square = Tensor(shape: [1, 4, 4, 1], scalars: (1...16).map(Float.init))
        assertClose(try Resizing(height: 2, width: 2, method: .area).forward(square), [3.5, 5.5, 11.5, 13.5])
    }

    func testAlignCornersAndNearestMatchTF() throws {
        // tf.compat.v1.image.resize_bilinear(x, (3, 5), align_corners=True): scale (in−1)/(out−1) = 0.5 / 0.5.
        assertClose(try Resizing(height: 3, width: 5, method: .bilinearAlignCorners).forward(twoByThree),
                    [1, 1.5, 2, 2.5, 3, 2.5, 3, 3.5, 4, 4.5, 4, 4.5, 5, 5.5, 6], shape: [1, 3, 5, 1])
        // resize_nearest_neighbor (3, 5): rows floor(dst·2/3) = 0,0,1; columns floor(dst·3/5) = 0,0,1,1,2.
        assertClose(try Resizing(height: 3, width: 5, method: .nearestLegacy).forward(twoByThree),
                    [1, 1, 2, 2, 3, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6], shape: [1, 3, 5, 1])
        // align_corners: rows round(dst·0.5) = 0,1(0.5 rounds away),1; columns round(dst·0.5) = 0,1,1,2,2.
        assertClose(try Resizing(height: 3, width: 5, method: .nearestAlignCorners).forward(twoByThree),
                    [1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 4, 5, 5, 6, 6], shape: [1, 3, 5, 1])
        // half-pixel: rows floor((dst+0.5)·2/3) = 0,1,1; columns floor((dst+0.5)·0.6) = 0,0,1,2,2.
        assertClose(try Resizing(height: 3, width: 5, method: .nearestHalfPixel).forward(twoByThree),
                    [1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6], shape: [1, 3, 5, 1])
    }

    func testBicubicWeightsSumToOneAndInterpolateLinearRamps() throws {
        for method in [ResizeMethod.bicubicLegacy, .bicubicAlignCorners, .bicubicHalfPixel] {
            for taps in method.taps(input: 9, output: 5) + method.taps(input: 4, output: 11) {
                XCTAssertEqual(taps.reduce(0) { $0 + $1.weight }, 1, accuracy: 1e-5, "\(method)")
            }
        }
        // Away from the borders a cubic convolution reproduces a linear ramp: align_corners 9 → 5 samples
        // columns 0, 2, 4, 6, 8 exactly, so the interior outputs equal the ramp there.
        let ramp = Tensor(shape: [1, 1, 9, 1], scalars: (0..<9).map { Float($0) * 3 })
        let out = try Resizing(height: 1, width: 5, method: .bicubicAlignCorners).forward(ramp)
        assertClose(out, [0, 6, 12, 18, 24], tolerance: 1e-4)
    }

    func testBackwardIsTheExactAdjoint() throws {
        var generator = SeededRandom(seed: 31)
        let shapes: [(inH: Int, inW: Int, outH: Int, outW: Int)] = [(7, 9, 3, 5), (4, 5, 9, 7), (66, 20, 20, 66), (5, 5, 5, 5)]
        for method in ResizeMethod.allCases {
            for s in shapes {
                let resize = try Resizing(height: s.outH, width: s.outW, method: method)
                let x = randomTensor([2, s.inH, s.inW, 3], using: &generator)
                let y = resize.forward(x)
                let r = randomTensor(y.shape, using: &generator)
                let g = resize.backward(r)
                // <R x, r> = <x, Rᵀ r>
                let left = zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let right = zip(x.scalars, g.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(left, right, accuracy: 1e-4 * max(1, abs(left)), "\(method) \(s)")
            }
            assertGradients(of: try Resizing(height: 5, width: 4, method: method), inputs: [randomTensor([1, 7, 9, 2], using: &generator)])
        }
    }
}
