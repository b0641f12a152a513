import Foundation
import SteerLensSupport

/// Everything a run found, in one Codable value: written as `run.json` for machines and rendered as
/// `index.html` for people. Times in seconds, steering in the model's units.
public struct RunReport: Codable, Sendable {
    public struct Clip: Codable, Sendable {
        public var path: String
        public var container: String
        public var codec: String
        public var width: Int
        public var height: Int
        public var framesPerSecond: Double
        public var duration: Double?
        public var declaredFrames: Int?
        public var decodeErrors: Int
        public var readErrors: Int
        /// Recorded datasets (tubs, image folders and sequences, driving logs): how frame times were
        /// found, e.g. `recorded _timestamp_ms (mean 20 fps)` or `default 30 fps (image folder; --fps sets it)`.
        public var timing: String?
        /// Records or images of a dataset that were skipped (each has a line in ``warnings``).
        public var skippedRecords: Int?
        /// The skip warnings, first 100.
        public var warnings: [String]?
        public init(path: String, container: String, codec: String, width: Int, height: Int, framesPerSecond: Double,
                    duration: Double?, declaredFrames: Int?, decodeErrors: Int, readErrors: Int,
                    timing: String? = nil, skippedRecords: Int? = nil, warnings: [String]? = nil) {
            (self.path, self.container, self.codec, self.width, self.height) = (path, container, codec, width, height)
            (self.framesPerSecond, self.duration, self.declaredFrames, self.decodeErrors, self.readErrors) = (framesPerSecond, duration, declaredFrames, decodeErrors, readErrors)
            (self.timing, self.skippedRecords) = (timing, skippedRecords)
            self.warnings = warnings.map { Array($0.prefix(100)) }
        }
    }

    public struct Layer: Codable, Sendable {
        public var name: String
        public var className: String
        public var outputShape: [Int]
        public var parameters: Int
        public init(name: String, className: String, outputShape: [Int], parameters: Int) {
            (self.name, self.className, self.outputShape, self.parameters) = (name, className, outputShape, parameters)
        }
    }

    public struct Model: Codable, Sendable {
        public var file: String
        public var format: String
        public var kerasVersion: String?
        public var backend: String?
        public var parameters: Int
        public var inputShape: [Int]
        public var output: String
        public var unit: Int
        public var layers: [Layer]
        /// How each Lambda layer was resolved, e.g. `lambda_1 = x*0.007843138-1.0 (from bytecode: lambda x: x / 127.5 - 1.0)`.
        public var lambdas: [String]
        /// The `.steerlens.json` that supplied preprocessing defaults, if any.
        public var sidecar: String?
        public init(file: String, format: String, kerasVersion: String?, backend: String?, parameters: Int, inputShape: [Int],
                    output: String, unit: Int, layers: [Layer], lambdas: [String], sidecar: String?) {
            (self.file, self.format, self.kerasVersion, self.backend, self.parameters) = (file, format, kerasVersion, backend, parameters)
            (self.inputShape, self.output, self.unit, self.layers, self.lambdas, self.sidecar) = (inputShape, output, unit, layers, lambdas, sidecar)
        }
    }

    public struct Preprocessing: Codable, Sendable {
        public var crop: [String]
        /// x, y, width, height of the crop in frame pixels.
        public var cropRectangle: [Int]
        public var resize: String
        public var interpolation: String
        public var color: String
        /// `value × scale + offset` after colour conversion; nil when 1 and 0 (values 0…255).
        public var scale: Double?
        public var offset: Double?
        public init(crop: [String], cropRectangle: [Int], resize: String, interpolation: String, color: String, scale: Double? = nil, offset: Double? = nil) {
            (self.crop, self.cropRectangle, self.resize, self.interpolation, self.color) = (crop, cropRectangle, resize, interpolation, color)
            (self.scale, self.offset) = (scale, offset)
        }
    }

    /// What the maps explain, in machine-readable form, so that `check` can recompute exactly the
    /// same maps with another model. Absent in files written before SteerLens recorded it.
    public struct Explanation: Codable, Sendable, Equatable {
        public struct Map: Codable, Sendable, Equatable {
            /// The map's name (`increase`, `decrease`, `maintain`, or a modifier name).
            public var name: String
            /// Its keras-vis gradient modifier (`default`, `negate`, `small_values`, …).
            public var modifier: String
            public init(name: String, modifier: String) { (self.name, self.modifier) = (name, modifier) }
        }
        public var maps: [Map]
        /// Output objective: the output's name and unit.
        public var output: String?
        public var unit: Int?
        /// Filter objective: the layer and filter whose mean activation is explained.
        public var layer: String?
        public var filter: Int?
        /// `guided` or `rectified`, or nil for plain gradients.
        public var backpropModifier: String?
        public var keepChannels: Bool
        public init(maps: [Map], output: String?, unit: Int?, layer: String?, filter: Int?, backpropModifier: String?, keepChannels: Bool) {
            (self.maps, self.output, self.unit, self.layer, self.filter) = (maps, output, unit, layer, filter)
            (self.backpropModifier, self.keepChannels) = (backpropModifier, keepChannels)
        }
    }

    /// One explanation method of a run (`--method`).
    public struct Method: Codable, Sendable, Equatable {
        /// `gradient`, `gradcam`, `smoothgrad`, `integrated-gradients`, `visualbackprop` or `occlusion`.
        public var name: String
        /// Its map names, which are also its folders (`increase`, `gradcam/increase`, `visualbackprop/mask`).
        public var maps: [String]
        /// The settings that shape its maps (`steps`, `baseline`, `camLayer`, …), as text.
        public var parameters: [String: String]?
        /// Per-frame diagnostics it reports (names of `frames[].diagnostics` keys).
        public var diagnostics: [String]?
        public init(name: String, maps: [String], parameters: [String: String]? = nil, diagnostics: [String]? = nil) {
            (self.name, self.maps, self.parameters, self.diagnostics) = (name, maps, parameters, diagnostics)
        }
    }

    public struct Settings: Codable, Sendable {
        /// What the maps explain, for people (see ``explanation`` for machines).
        public var objective: String
        /// Map names with their gradient modifiers, e.g. `increase (default)`.
        public var maps: [String]
        public var backpropModifier: String?
        public var keepChannels: Bool
        public var preprocessing: Preprocessing
        public var colormap: String
        public var alpha: Double
        public var maintainScale: String
        public var pngEvery: Int
        public var pngWidth: Int?
        public var batchSize: Int
        /// The labels file, or for labels recorded in the input itself, `<field> recorded in <input>`.
        public var labels: String?
        /// The dataset field the labels came from (`user/angle`, `steering`, …), when recorded in the input.
        public var labelField: String?
        public var explanation: Explanation?
        /// `--faithfulness-every` (0 = off; absent in files written before SteerLens scored faithfulness).
        public var faithfulnessEvery: Int?
        /// The explanation methods and their maps; absent when the gradient method ran alone.
        public var methods: [Method]?
        /// `--transform`s applied to every decoded frame before the preprocessing, in order (`rotation:9`);
        /// absent when the frames were analysed as decoded. `check` applies them again.
        public var transforms: [String]?
        public init(objective: String, maps: [String], backpropModifier: String?, keepChannels: Bool, preprocessing: Preprocessing, colormap: String,
                    alpha: Double, maintainScale: String, pngEvery: Int, pngWidth: Int?, batchSize: Int, labels: String?, explanation: Explanation?,
                    labelField: String? = nil) {
            (self.explanation, self.labelField) = (explanation, labelField)
            (self.objective, self.maps, self.backpropModifier, self.keepChannels, self.preprocessing) = (objective, maps, backpropModifier, keepChannels, preprocessing)
            (self.colormap, self.alpha, self.maintainScale, self.pngEvery, self.pngWidth, self.batchSize, self.labels) = (colormap, alpha, maintainScale, pngEvery, pngWidth, batchSize, labels)
        }
    }

    /// One analysed frame.
    public struct FrameEntry: Codable, Sendable {
        public var frame: Int
        public var time: Double
        public var prediction: Double
        public var label: Double?
        /// prediction − label.
        public var error: Double?
        /// Map name → where its importance lies: shares of the map's own attribution magnitude (for the
        /// gradient maps `max(0, max_c modifier(g))`, see `GradientImportance`), not of the display map.
        /// Absent in files written before SteerLens 0.1 computed it (they had `maps`, shares of the
        /// min-max-normalised maps, which no longer exist).
        public var regionShares: [String: MapStatistics]?
        /// 1 − Pearson correlation with the previous analysed frame's first map (nil for the first frame).
        public var saliencyChange: Double?
        /// Overlay PNGs were written for this frame.
        public var hasImages: Bool
        /// Deletion/insertion areas per map, on frames scored with `--faithfulness-every` (absent otherwise).
        public var faithfulness: FrameFaithfulness?
        /// What the methods measured about themselves on this frame, e.g.
        /// `integrated-gradients_completeness_error`; absent when no method reports anything.
        public var diagnostics: [String: Double]?
        public init(frame: Int, time: Double, prediction: Double, label: Double?, regionShares: [String: MapStatistics], saliencyChange: Double?, hasImages: Bool,
                    diagnostics: [String: Double]? = nil) {
            (self.frame, self.time, self.prediction, self.label) = (frame, time, prediction, label)
            error = label.map { prediction - $0 }
            (self.regionShares, self.saliencyChange, self.hasImages, self.diagnostics) = (regionShares, saliencyChange, hasImages, diagnostics)
        }
    }

    public struct SecondSummary: Codable, Sendable {
        public var second: Int
        public var frames: Int
        public var meanPrediction: Double
        public var meanAbsoluteError: Double?
    }

    public struct Summary: Codable, Sendable {
        public var frames: Int
        public var labelledFrames: Int
        public var meanAbsoluteError: Double?
        public var rootMeanSquareError: Double?
        public var maxAbsoluteError: Double?
        public var perSecond: [SecondSummary]
        /// Map name → mean importance shares over all frames (see ``FrameEntry/regionShares``).
        public var regionShares: [String: MapStatistics]?
        /// Mean faithfulness areas and curves per map (absent when `--faithfulness-every 0`).
        public var faithfulness: FaithfulnessSummary?
    }

    /// The version of this file's layout (`docs/schemas/run.schema.json`); readers refuse others.
    public static let currentSchemaVersion = 1

    /// The layout version this report was written in: ``currentSchemaVersion`` for new reports.
    public var schemaVersion: Int
    public var steerlensVersion: String
    public var elapsedSeconds: Double
    public var clip: Clip
    public var model: Model
    public var settings: Settings
    public var summary: Summary
    public var frames: [FrameEntry]

    /// Assembles a report and computes its summary from `frames`.
    public init(steerlensVersion: String, elapsedSeconds: Double, clip: Clip, model: Model, settings: Settings, frames: [FrameEntry], mapNames: [String]) {
        (self.steerlensVersion, self.elapsedSeconds, self.clip, self.model, self.settings, self.frames) = (steerlensVersion, elapsedSeconds, clip, model, settings, frames)
        schemaVersion = Self.currentSchemaVersion
        summary = Self.summarise(frames, mapNames: mapNames)
    }

    static func summarise(_ frames: [FrameEntry], mapNames: [String]) -> Summary {
        let errors = frames.compactMap(\.error)
        let mae = errors.isEmpty ? nil : errors.reduce(0) { $0 + abs($1) } / Double(errors.count)
        let rmse = errors.isEmpty ? nil : (errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count)).squareRoot()
        let seconds = Dictionary(grouping: frames) { Int($0.time.rounded(.down)) }
        let perSecond = seconds.keys.sorted().map { second -> SecondSummary in
            let group = seconds[second]!
            let groupErrors = group.compactMap(\.error)
            return SecondSummary(second: second, frames: group.count, meanPrediction: group.reduce(0) { $0 + $1.prediction } / Double(group.count),
                                 meanAbsoluteError: groupErrors.isEmpty ? nil : groupErrors.reduce(0) { $0 + abs($1) } / Double(groupErrors.count))
        }
        var shares: [String: MapStatistics] = [:]
        for name in mapNames {
            let statistics = frames.compactMap { $0.regionShares?[name] }
            guard !statistics.isEmpty else { continue }
            let count = Double(statistics.count)
            func mean(_ field: KeyPath<MapStatistics, Double>) -> Double { statistics.reduce(0) { $0 + $1[keyPath: field] } / count }
            shares[name] = MapStatistics(upper: mean(\.upper), middle: mean(\.middle), lower: mean(\.lower), left: mean(\.left), right: mean(\.right))
        }
        return Summary(frames: frames.count, labelledFrames: errors.count, meanAbsoluteError: mae, rootMeanSquareError: rmse,
                       maxAbsoluteError: errors.map(abs).max(), perSecond: perSecond, regionShares: shares)
    }

    /// `run.json`, written atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(try json(), to: url)
    }

    /// `run.json`'s bytes: pretty-printed, keys sorted, slashes unescaped.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension MapStatistics {
    public init(upper: Double, middle: Double, lower: Double, left: Double, right: Double) {
        (self.upper, self.middle, self.lower, self.left, self.right) = (upper, middle, lower, left, right)
    }
}
