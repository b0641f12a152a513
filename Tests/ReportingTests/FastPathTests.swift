import Saliency
import VideoIO
import XCTest
@testable import Reporting

/// The fast paths of issue 16 give the results of the plain code they replaced: region shares and
/// correlations summed in eight lanes agree with per-pixel loops (to rounding), and an overlay drawn
/// into a reused buffer equals one drawn on a fresh copy of the frame (bit for bit).
final class FastPathTests: XCTestCase {
    private var state: UInt64 = 0x853C_49E6_748F_EA9B
    private func random() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24)
    }

    /// The per-pixel loop `MapStatistics` used before: one branch per pixel, sums in arrays.
    private func slowShares(_ map: [Float], width: Int, height: Int) -> [Double] {
        var rows = [Double](repeating: 0, count: 3), sides = [0.0, 0.0]
        for y in 0..<height {
            let third = min(y * 3 / height, 2)
            for x in 0..<width {
                let value = Double(max(map[y * width + x], 0))
                rows[third] += value
                if 2 * x + 1 < width { sides[0] += value } else if 2 * x + 1 > width { sides[1] += value } else { sides[0] += value / 2; sides[1] += value / 2 }
            }
        }
        let total = rows.reduce(0, +)
        return (rows + sides).map { total > 0 ? $0 / total : 0 }
    }

    func testRegionSharesAgreeWithThePerPixelLoop() {
        for (width, height) in [(200, 66), (7, 5), (1, 1), (2, 4), (33, 2), (17, 9)] {
            let map = (0..<(width * height)).map { _ in random() * 3 - 1 }  // negatives count as 0
            let fast = MapStatistics(map: map, width: width, height: height)
            let expected = slowShares(map, width: width, height: height)
            for (value, wanted) in zip([fast.upper, fast.middle, fast.lower, fast.left, fast.right], expected) {
                XCTAssertEqual(value, wanted, accuracy: 1e-12, "\(width)x\(height)")
            }
            // The same from the map in place, as one item of a batch.
            let batch = [Float](repeating: 7, count: 5) + map + [Float](repeating: -3, count: 4)
            let inPlace = batch[5..<(5 + map.count)].withUnsafeBufferPointer { MapStatistics(map: $0, width: width, height: height) }
            XCTAssertEqual(inPlace, fast, "\(width)x\(height) in place")
        }
        // Mass in one column or one row only: the shares are exact.
        var column = [Float](repeating: 0, count: 200 * 66)
        for y in 0..<66 { column[y * 200 + 150] = Float(y) }
        let right = MapStatistics(map: column, width: 200, height: 66)
        XCTAssertEqual([right.left, right.right], [0, 1])
        XCTAssertEqual(MapStatistics(map: [Float](repeating: -1, count: 12), width: 4, height: 3), MapStatistics(upper: 0, middle: 0, lower: 0, left: 0, right: 0))
    }

    /// Pearson's correlation as the textbook two-pass loop.
    private func slowCorrelation(_ a: [Float], _ b: [Float]) -> Double {
        let meanA = a.reduce(0.0) { $0 + Double($1) } / Double(a.count), meanB = b.reduce(0.0) { $0 + Double($1) } / Double(b.count)
        var cross = 0.0, squaresA = 0.0, squaresB = 0.0
        for (x, y) in zip(a, b) {
            cross += (Double(x) - meanA) * (Double(y) - meanB)
            squaresA += (Double(x) - meanA) * (Double(x) - meanA)
            squaresB += (Double(y) - meanB) * (Double(y) - meanB)
        }
        return cross / (squaresA * squaresB).squareRoot()
    }

    func testCorrelationAgreesWithTheTwoPassLoop() {
        for count in [13_200, 9, 8, 17, 2] {
            let a = (0..<count).map { _ in random() * 4 - 1 }
            let noisy = a.map { $0 + random() - 0.5 }, unrelated = (0..<count).map { _ in random() }
            for b in [noisy, unrelated, a.map { -2 * $0 + 1 }] {
                XCTAssertEqual(pearsonCorrelation(a, b), slowCorrelation(a, b), accuracy: 1e-12, "\(count) values")
            }
        }
        XCTAssertEqual(pearsonCorrelation([Float](repeating: 2, count: 20), (0..<20).map(Float.init)), 0)
        XCTAssertEqual(pearsonCorrelation([Float](repeating: 2, count: 20), [Float](repeating: 2, count: 20)), 1)
    }

    func testOverlayDrawnIntoAReusedBufferEqualsAFreshDrawing() throws {
        let geometry = try Preprocess(crop: CropInsets(top: 10, bottom: 6), size: PixelSize(width: 20, height: 8)).geometry(for: PixelSize(width: 50, height: 30))
        let projection = MapProjection(geometry: geometry), overlay = Overlay()
        // A buffer of another size first, then one holding the previous overlay.
        var buffer = [UInt8](repeating: 9, count: 17)
        for index in 0..<3 {
            let frame = Frame(index: index, time: 0, width: 50, height: 30, pixels: (0..<(50 * 30 * 3)).map { _ in UInt8(random() * 255) })
            let map = (0..<(20 * 8)).map { _ in random() }
            overlay.draw(map, on: frame, projection: projection, into: &buffer)
            XCTAssertEqual(buffer, overlay.draw(map, on: frame, projection: projection).pixels, "frame \(index)")
            XCTAssertNotEqual(buffer, frame.pixels, "the map was drawn")
        }
    }

    func testSelectionEqualsTheSortedValueAtEveryRank() {
        for count in [1, 2, 3, 7, 64, 501] {
            for pool in [3, 1_000] {
                let values = (0..<count).map { _ in Float(Int(random() * Float(pool)) - pool / 3) / 4 }  // duplicates, zeros, negatives
                let sorted = values.sorted()
                for rank in 0..<count { XCTAssertEqual(DisplayScale.select(rank, of: values), sorted[rank], "rank \(rank) of \(count)") }
            }
        }
    }

    /// The percentile scale as it was written with a full sort.
    private func sortedPercentile(_ map: [Float], _ percentile: Double) -> [Float] {
        let sorted = map.sorted()
        guard let largest = sorted.last, largest > 0 else { return map }
        let rank = min(max(Int((percentile / 100 * Double(sorted.count - 1)).rounded()), 0), sorted.count - 1)
        let reference = sorted[rank] > 0 ? sorted[rank] : largest
        return map.map { min($0 / reference, 1) }
    }

    func testPercentileScaleEqualsTheSortingOneBitForBit() {
        for (count, zeros) in [(13_200, 0.0), (13_200, 0.995), (10, 0.5), (1, 0), (5, 1), (0, 0)] {
            var map = (0..<count).map { _ in random() < Float(zeros) ? 0 : random() * random() * 1e3 }
            if count == 10 { map[3] = .nan }  // NaN takes the sorting path: the same result as before
            for percentile in [99.0, 50, 100, 0] {
                XCTAssertEqual(DisplayScale.percentile(percentile).apply(map).map(\.bitPattern), sortedPercentile(map, percentile).map(\.bitPattern),
                               "\(count) values, \(zeros) zeros, percentile \(percentile)")
            }
        }
    }
}
