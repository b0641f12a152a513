import Reporting
import Saliency
import XCTest

/// Region statistics come from the method's own importance, not the display map.
final class GradientImportanceTests: XCTestCase {
    func testPositivePartOfTheModifiedChannelMaximum() {
        // 2 pixels × 3 channels.
        let g: [Float] = [0.5, -2, 0.1, -0.3, -0.1, -0.2]
        XCTAssertEqual(GradientImportance.importance(gradient: g[...], channels: 3, modifier: .identity), [0.5, 0])
        XCTAssertEqual(GradientImportance.importance(gradient: g[...], channels: 3, modifier: .negate), [2, 0.3])
        XCTAssertEqual(GradientImportance.importance(gradient: [Float.nan, 1][...], channels: 1, modifier: .identity), [0, 1])
    }

    /// The complaint: on the min-max display map a zero gradient sits mid-scale, so region shares
    /// read close to the area share. From the importance, a gradient that lives only in the lower third
    /// puts all of its mass there.
    func testZeroGradientDoesNotSpreadMass() {
        let (height, width) = (6, 4)
        var g = [Float](repeating: 0, count: height * width)
        for index in (4 * width)..<(6 * width) { g[index] = index % 2 == 0 ? 1 : -1 }
        let display = g.map { ($0 + 1) / 2 }                        // min-max scaling: 0 → 0.5
        let old = MapStatistics(map: display, width: width, height: height)
        XCTAssertEqual(old.upper, 0.25, accuracy: 1e-9, "the display map spreads mass over the zero gradient")
        let new = MapStatistics(map: GradientImportance.importance(gradient: g[...], channels: 1, modifier: .identity), width: width, height: height)
        XCTAssertEqual([new.upper, new.middle, new.lower], [0, 0, 1])
        XCTAssertEqual(new.left, 0.5, accuracy: 1e-9)
    }
}
