import SteerLensSupport
import XCTest
@testable import NeuralNet

final class PoolingAndNormalizationTests: XCTestCase {
    func testMaxPoolingForwardAndGradients() throws {
        let x = Tensor(shape: [1, 3, 3, 1], scalars: [1, 5, 2, 4, 3, 9, 7, 8, 6])
        assertClose(try MaxPooling2D().forward(x), [5], shape: [1, 1, 1, 1])
        // SAME, 2x2 stride 2 on 3x3: out 2x2, padding only bottom/right.
        assertClose(try MaxPooling2D(padding: .same).forward(x), [5, 9, 8, 6], shape: [1, 2, 2, 1])
        var generator = SeededRandom(seed: 21)
        for padding in [Padding.valid, .same] {
            let input = randomTensor([2, 7, 5, 3], using: &generator)
            assertGradients(of: try MaxPooling2D(poolSize: (3, 2), strides: (2, 1), padding: padding), inputs: [input], step: 1e-3)
        }
    }

    func testAveragePoolingSameDividesByValidCount() throws {
        let x = Tensor(shape: [1, 3, 3, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        // Windows: {1,2,4,5}/4, {3,6}/2, {7,8}/2, {9}/1.
        assertClose(try AveragePooling2D(padding: .same).forward(x), [3, 4.5, 7.5, 9], shape: [1, 2, 2, 1])
        assertClose(try AveragePooling2D().forward(x), [3], shape: [1, 1, 1, 1])
        // 3x3 stride 1 SAME: the corner averages its 4 valid neighbours.
        let full = try AveragePooling2D(poolSize: (3, 3), strides: (1, 1), padding: .same).forward(x)
        XCTAssertEqual(full.scalars[0], 3, accuracy: 1e-6)
        XCTAssertEqual(full.scalars[4], 5, accuracy: 1e-6)
        var generator = SeededRandom(seed: 22)
        for padding in [Padding.valid, .same] {
            assertGradients(of: try AveragePooling2D(poolSize: (3, 3), strides: (2, 2), padding: padding),
                            inputs: [randomTensor([2, 7, 6, 2], using: &generator)])
        }
        let global = GlobalAveragePooling2D()
        assertClose(global.forward(x), [5], shape: [1, 1])
        assertGradients(of: global, inputs: [randomTensor([2, 4, 3, 5], using: &generator)])
    }

    func testBatchNormalizationMovingStatistics() throws {
        let bn = try BatchNormalization(gamma: Tensor(shape: [2], scalars: [2, 1]), beta: Tensor(shape: [2], scalars: [1, 0]),
                                        movingMean: Tensor(shape: [2], scalars: [1, -1]), movingVariance: Tensor(shape: [2], scalars: [4, 1]),
                                        epsilon: 0)
        // c0: (3 − 1)/2·2 + 1 = 3; c1: (1 + 1)/1·1 = 2.
        assertClose(bn.forward(Tensor(shape: [1, 2], scalars: [3, 1])), [3, 2])
        XCTAssertEqual(bn.parameterCount, 8)
        let noAffine = try BatchNormalization(gamma: nil, beta: nil, movingMean: Tensor(shape: [1], scalars: [1]),
                                              movingVariance: Tensor(shape: [1], scalars: [0.999]))
        assertClose(noAffine.forward(Tensor(shape: [1, 1], scalars: [2])), [1])
        var generator = SeededRandom(seed: 23)
        let random = try BatchNormalization(gamma: randomTensor([3], using: &generator), beta: randomTensor([3], using: &generator),
                                            movingMean: randomTensor([3], using: &generator),
                                            movingVariance: randomTensor([3], in: 0.5...2, using: &generator))
        assertGradients(of: random, inputs: [randomTensor([2, 4, 4, 3], using: &generator)])
        XCTAssertThrowsError(try random.outputShape(forInputShape: [4, 4, 2]))
    }

    func testBatchNormalizationPerSampleStatistics() throws {
        XCTAssertThrowsError(try BatchNormalization(gamma: nil, beta: nil, movingMean: nil, movingVariance: nil, statistics: .perSample))
        var generator = SeededRandom(seed: 24)
        let gamma = Tensor(shape: [2], scalars: [2, 0.5]), beta = Tensor(shape: [2], scalars: [1, -1])
        let bn = try BatchNormalization(gamma: gamma, beta: beta, movingMean: nil, movingVariance: nil, epsilon: 1e-6,
                                        statistics: .perSample)
        // Each sample is normalised on its own: per sample and channel, mean → beta, deviation → |gamma|.
        var input = randomTensor([2, 3, 4, 2], using: &generator)
        for i in 0..<12 { input.scalars[24 + 2 * i] = input.scalars[24 + 2 * i] * 10 + 5 }  // sample 1 differs in scale
        let y = bn.forward(input)
        for n in 0..<2 {
            for c in 0..<2 {
                let values = (0..<12).map { Double(y.scalars[n * 24 + $0 * 2 + c]) }
                let mean = values.reduce(0, +) / 12
                let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 12).squareRoot()
                XCTAssertEqual(mean, Double(beta.scalars[c]), accuracy: 1e-4)
                XCTAssertEqual(deviation, Double(gamma.scalars[c]), accuracy: 1e-3)
            }
        }
        // Sample 0's output does not depend on sample 1 (batch of one semantics).
        let alone = bn.forward(Tensor(shape: [1, 3, 4, 2], scalars: Array(input.scalars[0..<24])))
        assertClose(alone, Array(y.scalars[0..<24]))
        // True gradient through the per-sample mean and variance.
        assertGradients(of: bn, inputs: [input], samples: 40, step: 1e-3)
    }

    /// A batch of 2¹⁶ pixels or more is rescaled one run of whole pixels per lane: every value as the
    /// one-value formula gives it, per channel and shared, forward and backward, at a pixel count the
    /// lanes do not divide.
    func testRescalingABatchOverLanesEqualsTheFormula() throws {
        var generator = SeededRandom(seed: 31)
        let x = randomTensor([3, 149, 151, 3], using: &generator)
        let settings: [(scale: [Float], offset: [Float])] = [([0.5, -2, 3], [1, 0.25, -7]), ([1 / 127.5], [-1])]
        for (scale, offset) in settings {
            let layer = try Rescaling(scale: scale, offset: offset)
            let y = layer.forward(x), dx = layer.backward(x, modifier: nil)
            for index in x.scalars.indices {
                let a = scale[scale.count == 1 ? 0 : index % 3], b = offset[offset.count == 1 ? 0 : index % 3]
                XCTAssertEqual(y.scalars[index].bitPattern, (x.scalars[index] * a + b).bitPattern, "y[\(index)], scale \(scale)")
                XCTAssertEqual(dx.scalars[index].bitPattern, (x.scalars[index] * a).bitPattern, "dx[\(index)], scale \(scale)")
            }
        }
    }

    func testCroppingPaddingAndRescaling() throws {
        let x = Tensor(shape: [1, 3, 4, 1], scalars: (1...12).map(Float.init))
        let crop = try Cropping2D(top: 1, bottom: 0, left: 1, right: 2)
        assertClose(crop.forward(x), [6, 10], shape: [1, 2, 1, 1])
        XCTAssertThrowsError(try Cropping2D(name: "crop", top: 2, bottom: 1).outputShape(forInputShape: [3, 4, 1]))
        let pad = try ZeroPadding2D(top: 1, bottom: 0, left: 0, right: 1)
        assertClose(pad.forward(Tensor(shape: [1, 1, 2, 1], scalars: [1, 2])), [0, 0, 0, 1, 2, 0], shape: [1, 2, 3, 1])
        let rescale = try Rescaling(scale: [1, 2], offset: [0, -1])
        assertClose(rescale.forward(Tensor(shape: [1, 1, 1, 2], scalars: [3, 3])), [3, 5])
        XCTAssertThrowsError(try rescale.outputShape(forInputShape: [2, 2, 3]))
        assertClose(Rescaling(scale: 1 / 127.5, offset: -1).forward(Tensor(shape: [1, 2], scalars: [0, 255])), [-1, 1])

        var generator = SeededRandom(seed: 25)
        let image = randomTensor([2, 6, 5, 3], using: &generator)
        assertGradients(of: try Cropping2D(top: 2, bottom: 1, left: 0, right: 2), inputs: [image])
        assertGradients(of: try ZeroPadding2D(top: 1, bottom: 2, left: 3, right: 0), inputs: [image])
        assertGradients(of: try Rescaling(scale: [0.5, -2, 3], offset: [1]), inputs: [image])
        assertGradients(of: Dropout(rate: 0.3), inputs: [image])
        assertGradients(of: Flatten(), inputs: [image])
        assertGradients(of: try Reshape(targetShape: [-1, 15]), inputs: [image])
        XCTAssertEqual(Flatten().forward(image).shape, [2, 90])
        XCTAssertEqual(Flatten().forward(image).scalars, image.scalars, "NHWC order is kept")
    }
}
