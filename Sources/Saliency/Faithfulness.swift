import NeuralNet
import SteerLensSupport

/// Deletion and insertion curves of a regression output for one map, and their normalised areas
/// (the RISE family of faithfulness metrics, Petsiuk et al. 2018, arXiv 1806.07421).
///
/// Point `k` of 0…``Faithfulness/steps`` has the `k·P/20` (integer division) top-ranked pixels of the
/// `P = H·W` map changed: **deletion** replaces them in the item by the baseline (point 0 is the item,
/// point 20 the baseline), **insertion** reveals them from the item on the baseline (point 0 is the
/// baseline, point 20 the item). All channels of a pixel change together.
///
/// Normalisation for a regression output: `n_k = |f(x_k) − f(b)| / |f(x) − f(b)|`, the share of the
/// output's departure from the baseline prediction that remains, so a deletion curve runs from 1 to 0 and
/// an insertion curve from 0 to 1 (values above 1 mean the perturbed item moved further than the item).
/// Areas are trapezoids over the fraction axis [0, 1]: a faithful map has a LOW deletion area and a HIGH
/// insertion area. When `|f(x) − f(b)| < ``Faithfulness/minimumGap``` the item's prediction equals the
/// baseline's and the normalised curves and areas are undefined (`nil`).
public struct FaithfulnessCurves: Sendable, Equatable, Codable {
    /// `f(x_k)` for the deletion points, in the model's output units (21 values).
    public var deletion: [Double]
    /// `f(x_k)` for the insertion points (21 values).
    public var insertion: [Double]
    /// `f(x)`: the item's own prediction.
    public var original: Double
    /// `f(b)`: the baseline's prediction.
    public var baseline: Double

    public init(deletion: [Double], insertion: [Double], original: Double, baseline: Double) {
        (self.deletion, self.insertion, self.original, self.baseline) = (deletion, insertion, original, baseline)
    }

    /// The normalised deletion curve `n_k`, or nil when undefined.
    public var normalisedDeletion: [Double]? { normalised(deletion) }
    /// The normalised insertion curve `n_k`, or nil when undefined.
    public var normalisedInsertion: [Double]? { normalised(insertion) }
    /// Area under the normalised deletion curve (lower = more faithful), or nil when undefined.
    public var deletionArea: Double? { normalisedDeletion.map(Faithfulness.area) }
    /// Area under the normalised insertion curve (higher = more faithful), or nil when undefined.
    public var insertionArea: Double? { normalisedInsertion.map(Faithfulness.area) }

    private func normalised(_ curve: [Double]) -> [Double]? {
        let gap = abs(original - baseline)
        guard gap >= Faithfulness.minimumGap else { return nil }
        return curve.map { abs($0 - baseline) / gap }
    }
}

/// Builds the perturbed items of deletion and insertion curves and evaluates them in one batch.
///
/// Layouts: an item and the baseline are `[H, W, C]` (NHWC without the batch axis, flattened, model-input
/// values); a map is `[H, W]` of any real values, ranked in descending order (ties keep pixel order,
/// like NumPy's `argsort(-map, kind="stable")`). Only the ranking matters, so a map and any increasing
/// function of it give the same curves.
public enum Faithfulness {
    /// Steps of 5 %: 21 points per curve.
    public static let steps = 20
    /// Smallest `|f(x) − f(b)|` (model output units) for which normalised curves are defined.
    public static let minimumGap = 1e-4

    /// Pixel indices of `map` from the most to the least important (stable for ties).
    public static func ranking(_ map: [Float]) -> [Int] {
        map.indices.sorted { map[$0] > map[$1] || (map[$0] == map[$1] && $0 < $1) }
    }

    /// Pixels changed at point `step` of a map with `pixels` pixels: `step · pixels / 20`, rounded down.
    public static func changedPixels(step: Int, pixels: Int) -> Int { step * pixels / steps }

    /// The 42 perturbed items, `[42, H, W, C]`: deletion points 0…20, then insertion points 0…20.
    public static func perturbedBatch(item: [Float], baseline: [Float], ranking: [Int], shape: [Int]) -> Tensor {
        checkSizes(item: item, baseline: baseline, pixels: ranking.count, shape: shape)
        let points = (0...steps).map { Point.deletion(ranking: 0, step: $0) } + (0...steps).map { Point.insertion(ranking: 0, step: $0) }
        return batch(points, item: item, baseline: baseline, rankings: [ranking], shape: shape)
    }

    /// The curves of `map` for one item: one forward batch through `forward` of the item, the baseline
    /// and the 38 interior points, where `forward` returns the explained output (one value per item of a
    /// `[N, H, W, C]` batch).
    /// - Parameters:
    ///   - shape: the item's `[H, W, C]`.
    public static func curves(item: [Float], baseline: [Float], map: [Float], shape: [Int],
                              forward: (Tensor) throws -> [Double]) throws -> FaithfulnessCurves {
        try curves(item: item, baseline: baseline, ranking: ranking(map), shape: shape, forward: forward)
    }

    /// The curves for a given pixel ranking (most important first).
    public static func curves(item: [Float], baseline: [Float], ranking: [Int], shape: [Int],
                              forward: (Tensor) throws -> [Double]) throws -> FaithfulnessCurves {
        try curves(item: item, baseline: baseline, rankings: [ranking], shape: shape, forward: forward)[0]
    }

    /// Items per forward batch of ``curves(item:baseline:rankings:shape:forward:)``: one ranking's 42
    /// points, so the model's buffers grow no larger than for one curve pair.
    public static let batchLimit = 2 * (steps + 1)

    /// The curves of several rankings of one item, in ranking order. Every deletion curve starts at the
    /// item and ends at the baseline, every insertion curve the other way round, so those two are
    /// evaluated once and only each ranking's 19 interior points of each curve are perturbed: `2 + 38·R`
    /// items (154 for four rankings instead of 168), in batches of at most ``batchLimit``. The values are
    /// the separate batches' as far as `forward` treats each item alone: the network's layers do, but the
    /// last bits of a sum can follow the batch size (OpenBLAS picks its kernels by size), so areas may
    /// move in their 8th digit against one batch per ranking.
    public static func curves(item: [Float], baseline: [Float], rankings: [[Int]], shape: [Int],
                              forward: (Tensor) throws -> [Double]) throws -> [FaithfulnessCurves] {
        for ranking in rankings {
            precondition(shape.count == 3 && shape[0] * shape[1] == ranking.count, "ranking does not match shape \(shape)")
            checkSizes(item: item, baseline: baseline, pixels: ranking.count, shape: shape)
        }
        let interior = 1..<steps
        var points: [Point] = [.item, .baseline]
        for r in rankings.indices {
            points += interior.map { Point.deletion(ranking: r, step: $0) } + interior.map { Point.insertion(ranking: r, step: $0) }
        }
        var outputs: [Double] = []
        outputs.reserveCapacity(points.count)
        for first in stride(from: 0, to: points.count, by: batchLimit) {
            let chunk = Array(points[first..<min(first + batchLimit, points.count)])
            let values = try forward(batch(chunk, item: item, baseline: baseline, rankings: rankings, shape: shape))
            precondition(values.count == chunk.count, "forward returned \(values.count) values for \(chunk.count) items")
            outputs += values
        }
        let (original, baselineOutput) = (outputs[0], outputs[1])
        let perRanking = 2 * interior.count
        return rankings.indices.map { r in
            let start = 2 + r * perRanking
            let deletion = outputs[start..<(start + interior.count)], insertion = outputs[(start + interior.count)..<(start + perRanking)]
            return FaithfulnessCurves(deletion: [original] + deletion + [baselineOutput], insertion: [baselineOutput] + insertion + [original],
                                      original: original, baseline: baselineOutput)
        }
    }

    /// One model input of a curve computation.
    enum Point {
        case item, baseline
        /// The item with the top `changedPixels(step:)` pixels of `rankings[ranking]` from the baseline.
        case deletion(ranking: Int, step: Int)
        /// The baseline with the top `changedPixels(step:)` pixels of `rankings[ranking]` from the item.
        case insertion(ranking: Int, step: Int)
    }

    /// `points` as one batch `[points.count, H, W, C]`.
    static func batch(_ points: [Point], item: [Float], baseline: [Float], rankings: [[Int]], shape: [Int]) -> Tensor {
        let itemCount = item.count, channels = shape[2]
        var scalars = [Float](repeating: 0, count: points.count * itemCount)
        scalars.withUnsafeMutableBufferPointer { out in
            for (index, point) in points.enumerated() {
                let target = UnsafeMutableBufferPointer(rebasing: out[(index * itemCount)..<((index + 1) * itemCount)])
                // The start (all of it) and the pixels changed from the other.
                let (start, other, changed): ([Float], [Float], ArraySlice<Int>)
                switch point {
                case .item: (start, other, changed) = (item, baseline, [])
                case .baseline: (start, other, changed) = (baseline, item, [])
                case let .deletion(r, step): (start, other, changed) = (item, baseline, rankings[r].prefix(changedPixels(step: step, pixels: rankings[r].count)))
                case let .insertion(r, step): (start, other, changed) = (baseline, item, rankings[r].prefix(changedPixels(step: step, pixels: rankings[r].count)))
                }
                _ = target.update(fromContentsOf: start)
                for pixel in changed {
                    for channel in 0..<channels { target[pixel * channels + channel] = other[pixel * channels + channel] }
                }
            }
        }
        return Tensor(shape: [points.count] + shape, scalars: scalars)
    }

    private static func checkSizes(item: [Float], baseline: [Float], pixels: Int, shape: [Int]) {
        precondition(shape.count == 3, "an item is [H, W, C], got \(shape)")
        precondition(baseline.count == item.count && pixels * shape[2] == item.count && shape.reduce(1, *) == item.count,
                     "item, baseline and map sizes differ from \(shape)")
    }

    /// A seeded random ranking of `pixels` pixels (Fisher–Yates with ``SeededRandom``): the comparison
    /// "map" a method must beat.
    public static func randomRanking(pixels: Int, seed: UInt64) -> [Int] {
        var generator = SeededRandom(seed: seed)
        var order = Array(0..<pixels)
        if pixels > 1 {
            for index in stride(from: pixels - 1, to: 0, by: -1) {
                order.swapAt(index, Int(generator.next() % UInt64(index + 1)))
            }
        }
        return order
    }

    /// Trapezoid area of a curve sampled at equal steps over [0, 1].
    public static func area(_ curve: [Double]) -> Double {
        guard curve.count > 1 else { return 0 }
        let width = 1 / Double(curve.count - 1)
        return zip(curve, curve.dropFirst()).reduce(0) { $0 + ($1.0 + $1.1) / 2 * width }
    }
}
