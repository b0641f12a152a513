import SteerLensSupport
import XCTest
@testable import NeuralNet

/// BatchNormalization on axes other than the channels, and Keras 1 modes 1 and 2, against values
/// computed here by the textbook formula and against central finite differences.
final class BatchNormalizationAxisTests: XCTestCase {
    /// Element `(n, h, w, c)` of an NHWC tensor.
    private func at(_ t: Tensor, _ n: Int, _ h: Int, _ w: Int, _ c: Int) -> Float {
        t.scalars[((n * t.shape[1] + h) * t.shape[2] + w) * t.shape[3] + c]
    }

    func testMovingStatisticsOverRows() throws {
        var generator = SeededRandom(seed: 31)
        let (h, w, c) = (4, 3, 2)
        let gamma = randomTensor([h], using: &generator), beta = randomTensor([h], using: &generator)
        let mean = randomTensor([h], using: &generator), variance = randomTensor([h], in: 0.5...2, using: &generator)
        // Keras axis=1 on [N, H, W, C] is item axis 0.
        let bn = try BatchNormalization(gamma: gamma, beta: beta, movingMean: mean, movingVariance: variance, epsilon: 1e-3, axis: 0)
        XCTAssertEqual(try bn.outputShape(forInputShape: [h, w, c]), [h, w, c])
        XCTAssertThrowsError(try bn.outputShape(forInputShape: [w, h, c]))
        let x = randomTensor([2, h, w, c], using: &generator)
        let y = bn.forward(x)
        for n in 0..<2 { for r in 0..<h { for q in 0..<w { for k in 0..<c {
            let expected = (at(x, n, r, q, k) - mean.scalars[r]) / (variance.scalars[r] + 1e-3).squareRoot() * gamma.scalars[r] + beta.scalars[r]
            XCTAssertEqual(at(y, n, r, q, k), expected, accuracy: 1e-5)
        } } } }
        assertGradients(of: bn, inputs: [x])
        // A middle axis (columns, Keras axis=2) without gamma/beta.
        let columns = try BatchNormalization(gamma: nil, beta: nil, movingMean: randomTensor([w], using: &generator),
                                             movingVariance: randomTensor([w], in: 0.5...2, using: &generator), axis: 1)
        assertGradients(of: columns, inputs: [randomTensor([2, h, w, c], using: &generator)])
    }

    func testPerSampleStatisticsOverRows() throws {
        // Keras 1.2 BatchNormalization(mode=2, axis=1) in a channels-last model: each ROW of each frame
        // is normalised with that row's mean and variance over columns and channels.
        var generator = SeededRandom(seed: 32)
        let (h, w, c) = (3, 5, 2)
        let gamma = randomTensor([h], in: 0.5...2, using: &generator), beta = randomTensor([h], using: &generator)
        let bn = try BatchNormalization(gamma: gamma, beta: beta, movingMean: nil, movingVariance: nil, epsilon: 1e-3,
                                        statistics: .perSample, axis: 0)
        var x = randomTensor([2, h, w, c], using: &generator)
        for i in 0..<x.count where i % 3 == 0 { x.scalars[i] = x.scalars[i] * 4 + 2 }
        let y = bn.forward(x)
        for n in 0..<2 {
            for r in 0..<h {
                var values: [Double] = []
                for q in 0..<w { for k in 0..<c { values.append(Double(at(x, n, r, q, k))) } }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
                for q in 0..<w { for k in 0..<c {
                    let expected = (Double(at(x, n, r, q, k)) - mean) / (variance + 1e-3).squareRoot() * Double(gamma.scalars[r]) + Double(beta.scalars[r])
                    XCTAssertEqual(Double(at(y, n, r, q, k)), expected, accuracy: 1e-5)
                } }
            }
        }
        // One frame alone gives the same output as inside the batch.
        let alone = bn.forward(Tensor(shape: [1, h, w, c], scalars: Array(x.scalars[0..<(h * w * c)])))
        assertClose(alone, Array(y.scalars[0..<(h * w * c)]))
        assertGradients(of: bn, inputs: [x], samples: 40, step: 1e-3)
    }

    func testSampleWiseModeNormalisesTheLastAxisWithEpsilonTwice() throws {
        // Keras 1.2 mode=1: (x − μ)/(√(σ² + ε) + ε)·γ + β over each sample's features.
        let epsilon: Float = 0.1
        let bn = try BatchNormalization(gamma: Tensor(shape: [3], scalars: [1, 2, 3]), beta: Tensor(shape: [3], scalars: [0, 1, 0]),
                                        movingMean: nil, movingVariance: nil, epsilon: epsilon, statistics: .sampleWise)
        let y = bn.forward(Tensor(shape: [1, 3], scalars: [1, 2, 6]))
        let mean: Float = 3, variance: Float = (4 + 1 + 9) / 3
        let divisor = (variance + epsilon).squareRoot() + epsilon
        assertClose(y, [(1 - mean) / divisor * 1, (2 - mean) / divisor * 2 + 1, (6 - mean) / divisor * 3], tolerance: 1e-6)
        var generator = SeededRandom(seed: 33)
        let images = try BatchNormalization(gamma: randomTensor([4], using: &generator), beta: randomTensor([4], using: &generator),
                                            movingMean: nil, movingVariance: nil, epsilon: 1e-2, statistics: .sampleWise)
        assertGradients(of: images, inputs: [randomTensor([2, 3, 2, 4], using: &generator)], samples: 40, step: 1e-3)
        assertGradients(of: bn, inputs: [randomTensor([3, 3], using: &generator)], step: 1e-3)
        XCTAssertThrowsError(try BatchNormalization(gamma: nil, beta: Tensor(shape: [2], scalars: [0, 0]), movingMean: nil,
                                                    movingVariance: nil, statistics: .sampleWise, axis: 0))
    }
}
