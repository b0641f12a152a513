import SteerLensSupport
@testable import Transforms
import XCTest

/// The warps skip the columns whose source point lies wholly outside the frame (``AffineWarp/coveredColumns``):
/// a skipped column must be one the border path would leave black, for any matrix.
final class AffineWarpCoverageTests: XCTestCase {
    /// Rotations (up to ±90°), shears, scales and shifts, and degenerate matrices.
    func matrices(width: Int, height: Int) -> [AffineWarp] {
        let (cx, cy) = (Double(width) / 2, Double(height) / 2)
        var warps = stride(from: -90.0, through: 90, by: 7.5).map { AffineWarp.rotation(degrees: $0, centerX: cx, centerY: cy) }
        warps += stride(from: -1.5, through: 1.5, by: 0.25).map { AffineWarp(matrix: [1, -$0, 0, 0, 1, 0]) }
        warps += [0.3, 0.9, 2.5].map { AffineWarp(matrix: [$0, 0, 17.25, 0, $0, -9.5]) }
        warps += [AffineWarp(matrix: [0, 0, 0, 0, 0, 0]), AffineWarp(matrix: [1, 0, 1e9, 0, 1, 0]), AffineWarp(matrix: [1e-12, 1, 0, 1, 1e-12, 0])]
        return warps
    }

    func testSkippedColumnsReadNothingOfTheFrame() {
        for (width, height) in [(64, 36), (640, 360), (7, 5)] {
            for warp in matrices(width: width, height: height) {
                let mi = warp.inverse, m0 = Float(mi[0]), m3 = Float(mi[3])
                for y in stride(from: 0, to: height, by: max(1, height / 9)) {
                    let rowX = Float(Double(y) * mi[1] + mi[2]), rowY = Float(Double(y) * mi[4] + mi[5])
                    let covered = AffineWarp.coveredColumns(rowX: rowX, rowY: rowY, m0: m0, m3: m3, width: width, height: height)
                    let interior = AffineWarp.interiorColumns(rowX: rowX, rowY: rowY, m0: m0, m3: m3, width: width, height: height)
                    XCTAssert(interior.isEmpty || (covered.lowerBound <= interior.lowerBound && interior.upperBound <= covered.upperBound),
                              "interior \(interior) outside covered \(covered), \(warp.matrix) row \(y)")
                    for x in 0..<width where !covered.contains(x) {
                        // The border path's test, as `AffineWarp.apply` computes it.
                        let sourceX = fused(rowX, m0, Float(x)), sourceY = fused(rowY, m3, Float(x))
                        guard sourceX.isFinite, sourceY.isFinite, abs(sourceX) < 1e7, abs(sourceY) < 1e7 else { continue }
                        let x0 = Int(sourceX.rounded(.down)), y0 = Int(sourceY.rounded(.down))
                        XCTAssert(x0 < -1 || x0 >= width || y0 < -1 || y0 >= height,
                                  "column \(x) of row \(y) reads (\(sourceX), \(sourceY)) but was skipped, \(warp.matrix) on \(width)x\(height)")
                    }
                }
            }
        }
    }

    /// The skip leaves few columns to the border path: a 30° rotation's first row, mostly outside.
    func testCoveredColumnsAreTight() {
        let warp = AffineWarp.rotation(degrees: 30, centerX: 320, centerY: 180), mi = warp.inverse
        let covered = AffineWarp.coveredColumns(rowX: Float(mi[2]), rowY: Float(mi[5]), m0: Float(mi[0]), m3: Float(mi[3]), width: 640, height: 360)
        XCTAssertLessThan(covered.count, 640)
        XCTAssertGreaterThan(covered.count, 0)
    }
}
