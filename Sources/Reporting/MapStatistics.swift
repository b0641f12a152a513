/// Where a map's mass lies, at model-input resolution: shares of the total in the upper/middle/lower
/// thirds and left/right halves of the crop (each group sums to 1; all zeros for an empty map).
/// `analyze` computes them from each map's own importance (attribution magnitude), never from the
/// min-max-normalised display maps, where a zero gradient sits mid-scale and every share reads close to
/// the area share.
public struct MapStatistics: Sendable, Codable, Equatable {
    public var upper: Double
    public var middle: Double
    public var lower: Double
    public var left: Double
    public var right: Double

    /// Shares of `map` (`height × width`, non-negative) by region; a middle column (odd width) is split evenly.
    public init(map: [Float], width: Int, height: Int) {
        precondition(map.count == width * height, "map has \(map.count) values, expected \(width)x\(height)")
        // One pass in row-major order with the sums in registers: each sum adds the same values in the
        // same order as a plain per-pixel loop would, so the shares are the same to the last bit.
        var rows = [Double](repeating: 0, count: 3), leftSum = 0.0, rightSum = 0.0
        let half = width / 2, hasMiddle = width % 2 == 1
        map.withUnsafeBufferPointer { values in
            for third in 0..<3 {
                var sum = 0.0
                for y in 0..<height where min(y * 3 / height, 2) == third {
                    let row = values.baseAddress! + y * width
                    for x in 0..<half {
                        let value = Double(max(row[x], 0))
                        sum += value
                        leftSum += value
                    }
                    if hasMiddle {
                        let value = Double(max(row[half], 0))
                        sum += value
                        leftSum += value / 2
                        rightSum += value / 2
                    }
                    for x in (width - half)..<width {
                        let value = Double(max(row[x], 0))
                        sum += value
                        rightSum += value
                    }
                }
                rows[third] = sum
            }
        }
        let sides = [leftSum, rightSum]
        let total = rows.reduce(0, +)
        let share = { (value: Double) in total > 0 ? value / total : 0 }
        (upper, middle, lower, left, right) = (share(rows[0]), share(rows[1]), share(rows[2]), share(sides[0]), share(sides[1]))
    }
}

/// Pearson correlation of two equally sized maps; 1 for identical maps, 0 when either is constant.
public func pearsonCorrelation(_ first: [Float], _ second: [Float]) -> Double {
    precondition(first.count == second.count, "maps differ in size")
    let count = Double(first.count)
    guard count > 1 else { return 0 }
    let meanFirst = first.reduce(0.0) { $0 + Double($1) } / count
    let meanSecond = second.reduce(0.0) { $0 + Double($1) } / count
    var covariance = 0.0, varianceFirst = 0.0, varianceSecond = 0.0
    for (a, b) in zip(first, second) {
        let da = Double(a) - meanFirst, db = Double(b) - meanSecond
        covariance += da * db
        varianceFirst += da * da
        varianceSecond += db * db
    }
    guard varianceFirst > 0, varianceSecond > 0 else { return first == second ? 1 : 0 }
    return covariance / (varianceFirst * varianceSecond).squareRoot()
}
