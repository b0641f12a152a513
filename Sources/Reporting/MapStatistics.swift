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

    /// Shares of `map` (`height × width`, row-major; negative values count as 0) by region; a middle
    /// column (odd width) is split evenly between the halves.
    public init(map: [Float], width: Int, height: Int) {
        self = map.withUnsafeBufferPointer { MapStatistics(map: $0, width: width, height: height) }
    }

    /// The same from a map in place (e.g. one item of a batch tensor's scalars, without copying it).
    ///
    /// Each row's halves are summed eight lanes at a time in Double (``laneSum(_:_:positivePart:)``), so the
    /// shares agree with a per-pixel loop to about 1e-15 of the total, not to the last bit, and are the
    /// same on every run.
    public init(map: UnsafeBufferPointer<Float>, width: Int, height: Int) {
        precondition(map.count == width * height, "map has \(map.count) values, expected \(width)x\(height)")
        var rows = [0.0, 0.0, 0.0], leftSum = 0.0, rightSum = 0.0
        let half = width / 2, hasMiddle = width % 2 == 1
        if let base = map.baseAddress {
            for y in 0..<height {
                let row = base + y * width
                let left = laneSum(row, half, positivePart: true), right = laneSum(row + (width - half), half, positivePart: true)
                let middle = hasMiddle ? Double(max(row[half], 0)) : 0
                rows[min(y * 3 / height, 2)] += left + middle + right
                leftSum += left + middle / 2
                rightSum += right + middle / 2
            }
        }
        let total = rows.reduce(0, +)
        let share = { (value: Double) in total > 0 ? value / total : 0 }
        (upper, middle, lower, left, right) = (share(rows[0]), share(rows[1]), share(rows[2]), share(leftSum), share(rightSum))
    }
}

/// `Σ values[i]` over `count` floats in Double, or `Σ max(values[i], 0)` with `positivePart`: eight
/// lanes, then the lanes and the tail. A NaN value makes the sum NaN.
@inline(__always)
func laneSum(_ values: UnsafePointer<Float>, _ count: Int, positivePart: Bool) -> Double {
    let raw = UnsafeRawPointer(values)
    var lanes = SIMD8<Double>(), index = 0
    while index + 8 <= count {
        let block = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
        lanes += SIMD8<Double>(positivePart ? block.replacing(with: 0, where: block .< 0) : block)
        index += 8
    }
    var sum = lanes.sum()
    while index < count {
        sum += Double(positivePart ? max(values[index], 0) : values[index])
        index += 1
    }
    return sum
}

/// `Σ (values[i] − offset)·(others[i] − otherOffset)` and the two sums of squares, over `count` floats in
/// Double, eight lanes at a time (then the lanes and the tail): the second pass of a correlation.
@inline(__always)
private func centredProducts(_ values: UnsafePointer<Float>, _ offset: Double, _ others: UnsafePointer<Float>, _ otherOffset: Double,
                             _ count: Int) -> (cross: Double, first: Double, second: Double) {
    let (raw, otherRaw) = (UnsafeRawPointer(values), UnsafeRawPointer(others))
    var cross = SIMD8<Double>(), first = SIMD8<Double>(), second = SIMD8<Double>(), index = 0
    while index + 8 <= count {
        let a = SIMD8<Double>(raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)) - SIMD8(repeating: offset)
        let b = SIMD8<Double>(otherRaw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)) - SIMD8(repeating: otherOffset)
        cross += a * b
        first += a * a
        second += b * b
        index += 8
    }
    var sums = (cross.sum(), first.sum(), second.sum())
    while index < count {
        let a = Double(values[index]) - offset, b = Double(others[index]) - otherOffset
        sums.0 += a * b
        sums.1 += a * a
        sums.2 += b * b
        index += 1
    }
    return (sums.0, sums.1, sums.2)
}

/// Pearson correlation of two equally sized maps; 1 for identical maps, 0 when either is constant.
/// Two passes in Double (means, then centred products), eight lanes at a time.
public func pearsonCorrelation(_ first: [Float], _ second: [Float]) -> Double {
    precondition(first.count == second.count, "maps differ in size")
    let count = first.count
    guard count > 1 else { return 0 }
    let (covariance, varianceFirst, varianceSecond) = first.withUnsafeBufferPointer { a in
        second.withUnsafeBufferPointer { b in
            let (a, b) = (a.baseAddress!, b.baseAddress!)
            let (meanA, meanB) = (laneSum(a, count, positivePart: false) / Double(count), laneSum(b, count, positivePart: false) / Double(count))
            return centredProducts(a, meanA, b, meanB, count)
        }
    }
    guard varianceFirst > 0, varianceSecond > 0 else { return first == second ? 1 : 0 }
    return covariance / (varianceFirst * varianceSecond).squareRoot()
}
