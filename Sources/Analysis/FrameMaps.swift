import NeuralNet
import Reporting
import Saliency

/// One frame's maps from every method: the display map (`[H, W]`, or `[H, W, C]` for gradient maps
/// with channels kept) and the importance map (`[H, W]`, the method's raw attribution magnitude) per
/// method map, and the methods' diagnostics (`<method>_<name>`).
struct FrameMaps {
    var display: [MethodMap: [Float]] = [:]
    var importance: [MethodMap: [Float]] = [:]
    var diagnostics: [String: Double]?

    init(_ batch: ExplainedBatch, item: Int, maps: [MethodMap]) {
        for map in maps {
            let kindMaps = batch[map]!
            let displayCount = kindMaps.display.itemCount, importanceCount = kindMaps.importance.itemCount
            display[map] = Array(kindMaps.display.scalars[(item * displayCount)..<((item + 1) * displayCount)])
            importance[map] = Array(kindMaps.importance.scalars[(item * importanceCount)..<((item + 1) * importanceCount)])
        }
        for explanation in batch.explanations {
            for (name, values) in explanation.diagnostics {
                diagnostics = diagnostics ?? [:]
                diagnostics!["\(explanation.method.rawValue)_\(name)"] = values[item]
            }
        }
    }
}

/// The per-frame results of a batch that need no order: each frame's maps, its display maps flattened
/// to `[H, W]`, the statistics of its importance maps, its saliency-grid row and its change from the
/// frame before. Computed over the lanes (``Parallelism``), items split like the network's, so this
/// stage keeps both cores busy; the frames' entries are then written in order.
struct BatchMaps {
    struct Item {
        let maps: FrameMaps
        /// Every display map as `[H, W]` (the channel maximum where channels are kept).
        let flat: [MethodMap: [Float]]
        /// Region shares from each method's own importance, never from the min-max display map, by map name.
        let regionShares: [String: MapStatistics]
        /// The grid's maps sampled on the saliency grid, in order (nil without a grid).
        let gridRow: [Float]?
        /// 1 − Pearson correlation of the first map with the previous frame's (nil for a clip's first frame).
        var saliencyChange: Double?
    }

    let items: [Item]

    /// - Parameters:
    ///   - flatten: a display map as `[H, W]`.
    ///   - grid: the saliency grid and the maps it samples, or nil.
    ///   - previous: the first map of the frame before this batch, flattened (nil at the clip's start).
    init(_ batch: ExplainedBatch, count: Int, maps: [MethodMap], flatten: (MethodMap, [Float]) -> [Float], width: Int, height: Int,
         grid: (grid: SaliencyGrid, maps: [MethodMap])?, previous: [Float]?) {
        var items = [Item?](repeating: nil, count: count), changes = [Double?](repeating: nil, count: count)
        items.withUnsafeMutableBufferPointer { items in
            Self.forEachItem(count) { item in
                let frameMaps = FrameMaps(batch, item: item, maps: maps)
                let flat = Dictionary(uniqueKeysWithValues: frameMaps.display.map { map, values in (map, flatten(map, values)) })
                items[item] = Item(maps: frameMaps, flat: flat,
                                   regionShares: Dictionary(frameMaps.importance.map { ($0.key.name, MapStatistics(map: $0.value, width: width, height: height)) },
                                                            uniquingKeysWith: { first, _ in first }),
                                   gridRow: grid.map { grid in grid.maps.flatMap { grid.grid.sample(flat[$0]!) } })
            }
            // Each frame against the one before, once every frame's first map exists.
            changes.withUnsafeMutableBufferPointer { changes in
                Self.forEachItem(count) { item in
                    let before = item == 0 ? previous : items[item - 1]!.flat[maps[0]]!
                    changes[item] = before.map { 1 - pearsonCorrelation($0, items[item]!.flat[maps[0]]!) }
                }
            }
        }
        self.items = zip(items, changes).map { item, change in
            var item = item!
            item.saliencyChange = change
            return item
        }
    }

    /// `body(item)` for every item, the items split over the lanes in contiguous runs; each call writes only its item's slot.
    private static func forEachItem(_ count: Int, _ body: (Int) -> Void) {
        let lanes = max(1, min(Parallelism.laneCount, count))
        Parallelism.forEachLane(lanes) { lane in
            for item in (lane * count / lanes)..<((lane + 1) * count / lanes) { body(item) }
        }
    }
}
