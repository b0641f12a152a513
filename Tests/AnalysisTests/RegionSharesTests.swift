import NeuralNet
import Reporting
import Saliency
import XCTest

/// Region shares come from a map's own importance, not from its min-max display map.
final class RegionSharesTests: XCTestCase {
    /// `f(x) = Σ w·x` over a 6×4×1 image whose weights live in the lower third only, alternating in sign:
    /// the gradient is `w`. The display map puts the zero gradient of the upper two thirds mid-scale (the
    /// issue's complaint: shares read like area shares); the importance puts all of `increase` where
    /// `w > 0` and all of `decrease` where `w < 0`.
    func testImportanceSharesOnAModelWithAKnownGradient() throws {
        let (height, width) = (6, 4)
        var weights = [Float](repeating: 0, count: height * width)
        for index in (4 * width)..<(6 * width) { weights[index] = index % 2 == 0 ? 1 : -1 }
        let dense = try Dense(name: "steering", kernel: Tensor(shape: [height * width, 1], scalars: weights))
        let model = try Model(inputShape: [height, width, 1], layers: [Flatten(), dense])
        let engine = try SaliencyEngine(model: model, kinds: [.increase, .decrease])
        let result = try engine.run(Tensor(repeating: 1, shape: [1, height, width, 1]))
        let display = MapStatistics(map: result.maps[.increase]!.scalars, width: width, height: height)
        // Display: 0 → 0.5, +1 → 1, −1 → 0, so every third holds a third of the mass — the area share.
        for share in [display.upper, display.middle, display.lower] {
            XCTAssertEqual(share, 1.0 / 3, accuracy: 1e-6, "the display map spreads mass over the zero gradient")
        }
        for kind in [SaliencyMapKind.increase, .decrease] {
            let shares = MapStatistics(map: result.importance[kind]!.scalars, width: width, height: height)
            XCTAssertEqual([shares.upper, shares.middle, shares.lower], [0, 0, 1], "\(kind)")
            // Even columns carry +1 (increase), odd columns −1 (decrease): left half = columns 0, 1.
            XCTAssertEqual(shares.left, 0.5, accuracy: 1e-9, "\(kind)")
        }
        XCTAssertEqual(result.importance[.increase]!.scalars.filter { $0 > 0 }.count, 4, "increase counts only w > 0")
    }
}
