import NeuralNet
import SteerLensSupport
import XCTest
@testable import Saliency

/// The keras-vis maths: modifiers, signed channel max, per-image normalisation, edge cases.
final class SaliencyMathTests: XCTestCase {
    func testModifiersFollowKerasVis() {
        let epsilon: Float = 1e-7
        XCTAssertEqual(GradientModifier.identity.apply(-0.25), -0.25)
        XCTAssertEqual(GradientModifier.negate.apply(-0.25), 0.25)
        XCTAssertEqual(GradientModifier.absolute.apply(-0.25), 0.25)
        XCTAssertEqual(GradientModifier.relu.apply(-0.25), 0)
        XCTAssertEqual(GradientModifier.relu.apply(0.5), 0.5)
        XCTAssertEqual(GradientModifier.invert.apply(-0.25), 1 / (-0.25 + epsilon))
        XCTAssertEqual(GradientModifier.smallValues.apply(-0.25), abs(1 / (-0.25 + epsilon)))
        XCTAssertEqual(GradientModifier.smallValues.apply(0), 1e7, accuracy: 1)
    }

    func testNonFiniteValuesNeverLeaveAModifier() {
        // g = −ε makes g + ε exactly 0 in Float32: 1/0 is clamped, never inf or NaN.
        let minusEpsilon: Float = -1e-7
        XCTAssertEqual(minusEpsilon + GradientModifier.epsilon, 0)
        XCTAssertEqual(GradientModifier.smallValues.apply(minusEpsilon), .greatestFiniteMagnitude)
        XCTAssertEqual(abs(GradientModifier.invert.apply(minusEpsilon)), .greatestFiniteMagnitude)
        for modifier in GradientModifier.allCases { XCTAssertEqual(modifier.apply(.nan), 0, "\(modifier)") }
        // A map that holds such a pixel still normalises to [0, 1] without NaN.
        let gradient: [Float] = [minusEpsilon, 0.5, -0.5, 0.001, minusEpsilon, 2, 0, 1, -1]
        let map = gradient.withUnsafeBufferPointer {
            SaliencyReduction.maps(gradient: $0, items: 1, pixels: 3, channels: 3, modifier: .smallValues, keepChannels: false)
        }
        XCTAssertTrue(map.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "\(map)")
        XCTAssertEqual(map[0], 1, accuracy: 1e-6)
    }

    func testSignedChannelMaxThenPerImageNormalisation() {
        // Two images of two pixels with three channels.
        let gradient: [Float] = [-3, -1, -2, 4, 0, 1,   1, 1, 1, 1, 1, 1]
        let maps = gradient.withUnsafeBufferPointer {
            SaliencyReduction.maps(gradient: $0, items: 2, pixels: 2, channels: 3, modifier: .identity, keepChannels: false)
        }
        // Image 0: M = [max(-3,-1,-2), max(4,0,1)] = [-1, 4] → [(−1+1)/(5+ε), (4+1)/(5+ε)].
        XCTAssertEqual(maps[0], 0)
        XCTAssertEqual(maps[1], Float(5 / (5 + 1e-7)), accuracy: 1e-7)
        // Image 1 is constant: normalises to zeros (not NaN).
        XCTAssertEqual(Array(maps[2...]), [0, 0])
        let decrease = gradient.withUnsafeBufferPointer {
            SaliencyReduction.maps(gradient: UnsafeBufferPointer(rebasing: $0[..<6]), items: 1, pixels: 2, channels: 3, modifier: .negate, keepChannels: false)
        }
        // M = [max(3,1,2), max(-4,0,-1)] = [3, 0] → [1, 0].
        XCTAssertEqual(decrease[0], 1, accuracy: 1e-6)
        XCTAssertEqual(decrease[1], 0)
    }

    func testKeepChannelsNormalisesOverAllChannels() {
        let gradient: [Float] = [0, 1, 2, 3, 4, 5]
        let maps = gradient.withUnsafeBufferPointer {
            SaliencyReduction.maps(gradient: $0, items: 1, pixels: 2, channels: 3, modifier: .identity, keepChannels: true)
        }
        XCTAssertEqual(maps.count, 6)
        for (value, expected) in zip(maps, [0, 0.2, 0.4, 0.6, 0.8, 1.0] as [Float]) { XCTAssertEqual(value, expected, accuracy: 1e-6) }
    }

    func testABatchSplitOverLanesEqualsItsItemsOneByOne() {
        // Five items over the lanes (an odd count leaves lanes unequal), every modifier, 3 and 4 channels.
        var generator = SeededRandom(seed: 20261203)
        for channels in [3, 4] {
            let items = 5, pixels = 7
            let gradient = (0..<(items * pixels * channels)).map { _ in Float.random(in: -1...1, using: &generator) }
            for modifier in GradientModifier.allCases {
                let batch = gradient.withUnsafeBufferPointer {
                    SaliencyReduction.maps(gradient: $0, items: items, pixels: pixels, channels: channels, modifier: modifier, keepChannels: false)
                }
                for item in 0..<items {
                    let single = gradient.withUnsafeBufferPointer {
                        SaliencyReduction.maps(gradient: UnsafeBufferPointer(rebasing: $0[(item * pixels * channels)..<((item + 1) * pixels * channels)]),
                                               items: 1, pixels: pixels, channels: channels, modifier: modifier, keepChannels: false)
                    }
                    XCTAssertEqual(Array(batch[(item * pixels)..<((item + 1) * pixels)]), single, "\(modifier), item \(item)")
                    XCTAssertEqual(single.min(), 0, "\(modifier)")
                }
            }
        }
    }

    func testMapKindNames() throws {
        XCTAssertEqual(try SaliencyMapKind.named("increase"), .increase)
        XCTAssertEqual(try SaliencyMapKind.named("negate"), .decrease)
        XCTAssertEqual(try SaliencyMapKind.named("small_values"), .maintain)
        XCTAssertEqual(try SaliencyMapKind.named("absolute").modifier, .absolute)
        XCTAssertThrowsError(try SaliencyMapKind.named("sideways"))
    }
}
