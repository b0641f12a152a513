/// How alike two maps of the same size are, as the sanity checks of Adebayo et al. 2018 ("Sanity Checks
/// for Saliency Maps", arXiv 1810.03292) measure it: Spearman rank correlation and SSIM.
public enum MapSimilarity {
    /// Spearman's rank correlation: the Pearson correlation of the ranks, ties given their average rank
    /// (as `scipy.stats.spearmanr`). 1 for identical maps (also identical constant ones, e.g. two empty
    /// VisualBackProp masks, where SciPy returns NaN); 0 when one map is constant and the other is not.
    public static func spearman(_ first: [Float], _ second: [Float]) -> Double {
        precondition(first.count == second.count, "maps differ in size")
        if first == second { return 1 }
        return pearson(ranks(first), ranks(second))
    }

    /// 1-based ranks in ascending order, tied values sharing their average rank.
    public static func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let average = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = average }
            start = end + 1
        }
        return ranks
    }

    /// Pearson correlation in Double; 0 when either input is constant.
    static func pearson(_ first: [Double], _ second: [Double]) -> Double {
        let count = Double(first.count)
        guard count > 1 else { return 0 }
        let meanFirst = first.reduce(0, +) / count, meanSecond = second.reduce(0, +) / count
        var covariance = 0.0, varianceFirst = 0.0, varianceSecond = 0.0
        for (a, b) in zip(first, second) {
            let (da, db) = (a - meanFirst, b - meanSecond)
            covariance += da * db
            varianceFirst += da * da
            varianceSecond += db * db
        }
        guard varianceFirst > 0, varianceSecond > 0 else { return 0 }
        return covariance / (varianceFirst * varianceSecond).squareRoot()
    }

    /// Window side of ``ssim(_:_:height:width:dataRange:)``.
    public static let ssimWindow = 7

    /// Mean structural similarity of two `[H, W]` maps, as scikit-image's `structural_similarity` with its
    /// defaults: a 7×7 uniform window, `K1 = 0.01`, `K2 = 0.03`, sample (co)variances (`N/(N−1)`), the
    /// mean over every pixel whose window lies inside the map (a border of 3 is left out). Maps smaller
    /// than 7×7 fall back to one window over the whole map. Wang et al. 2004, IEEE TIP 13(4).
    /// - Parameter dataRange: the value range of the maps (1 for maps in [0, 1]).
    public static func ssim(_ first: [Float], _ second: [Float], height: Int, width: Int, dataRange: Double = 1) -> Double {
        precondition(first.count == height * width && second.count == height * width, "maps are not \(height)x\(width)")
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        let side = min(ssimWindow, height, width), half = side / 2
        let count = Double(side * side), sampleNormalisation = count / (count - 1)
        var total = 0.0, windows = 0
        for y in half..<(height - (side - 1 - half)) {
            for x in half..<(width - (side - 1 - half)) {
                var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
                for dy in -half..<(side - half) {
                    let row = (y + dy) * width
                    for dx in -half..<(side - half) {
                        let a = Double(first[row + x + dx]), b = Double(second[row + x + dx])
                        sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b
                    }
                }
                let (ma, mb) = (sa / count, sb / count)
                let va = sampleNormalisation * (saa / count - ma * ma), vb = sampleNormalisation * (sbb / count - mb * mb)
                let cov = sampleNormalisation * (sab / count - ma * mb)
                total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                windows += 1
            }
        }
        return windows > 0 ? total / Double(windows) : 0
    }
}
