import Saliency
import VideoIO

/// A coarse, model-independent copy of a map: the map drawn back onto the frame (inverse crop and
/// resize) and sampled on a fixed grid of cells over the whole frame, `columns` wide and
/// `rows = round(columns · H/W)` high; cells outside the crop are 0.
///
/// Runs record their maps as grids (`saliency-grid.npy`, `[frames, kinds, rows, columns]`) so that
/// `compare` and `check` can measure saliency drift between models with different input geometry,
/// and against a recorded run without its model or full maps.
public struct SaliencyGrid: Sendable {
    /// Grid width used by `analyze`, `compare` and `check`.
    public static let standardColumns = 48

    public let size: PixelSize
    private let projection: MapProjection

    /// A grid for frames of `geometry.frameSize`.
    public init(geometry: PreprocessGeometry, columns: Int = SaliencyGrid.standardColumns) {
        let frame = geometry.frameSize
        let rows = max(1, Int((Double(columns) * Double(frame.height) / Double(frame.width)).rounded()))
        size = PixelSize(width: columns, height: rows)
        // The same crop on a frame shrunk to the grid: crop edges scale and round to whole cells.
        let scaleX = Double(columns) / Double(frame.width), scaleY = Double(rows) / Double(frame.height)
        let left = Int((Double(geometry.cropX) * scaleX).rounded()), top = Int((Double(geometry.cropY) * scaleY).rounded())
        let right = max(left + 1, Int((Double(geometry.cropX + geometry.cropSize.width) * scaleX).rounded()))
        let bottom = max(top + 1, Int((Double(geometry.cropY + geometry.cropSize.height) * scaleY).rounded()))
        let gridGeometry = try! Preprocess(crop: CropInsets(top: top, bottom: rows - min(bottom, rows), left: left, right: columns - min(right, columns)),
                                           size: geometry.outputSize).geometry(for: size)
        projection = MapProjection(geometry: gridGeometry)
    }

    /// The grid values of a model-resolution map (`rows × columns`, row-major).
    public func sample(_ map: [Float]) -> [Float] {
        projection.toFrame(map)
    }
}

/// Top-`fraction` IoU: the share of overlap between the cells holding each map's largest `fraction` of
/// values (ties broken by position), `|A ∩ B| / |A ∪ B|`; 1 for identical maps.
public func topFractionIoU(_ first: [Float], _ second: [Float], fraction: Double = 0.1) -> Double {
    precondition(first.count == second.count, "maps differ in size")
    let count = max(1, Int((Double(first.count) * fraction).rounded()))
    func top(_ map: [Float]) -> Set<Int> {
        Set(map.indices.sorted { map[$0] != map[$1] ? map[$0] > map[$1] : $0 < $1 }.prefix(count))
    }
    let a = top(first), b = top(second)
    return Double(a.intersection(b).count) / Double(a.union(b).count)
}
