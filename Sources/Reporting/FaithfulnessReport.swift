import Foundation
import Saliency

/// Faithfulness numbers as `run.json` and `frames.csv` carry them (see `Saliency/Faithfulness.swift` for
/// the curves): areas under the normalised deletion and insertion curves of the prediction output.
public struct FaithfulnessAreas: Codable, Sendable, Equatable {
    /// Area under the deletion curve, 0…1 for monotone curves: LOWER means the map's top pixels matter more.
    public var deletion: Double?
    /// Area under the insertion curve: HIGHER is better.
    public var insertion: Double?
    public init(deletion: Double?, insertion: Double?) { (self.deletion, self.insertion) = (deletion, insertion) }
}

/// One frame's faithfulness: per map, and for the seeded random ranking every map must beat.
public struct FrameFaithfulness: Codable, Sendable, Equatable {
    /// Map name → areas.
    public var maps: [String: FaithfulnessAreas]
    /// The random ranking of this frame (seed = frame number).
    public var random: FaithfulnessAreas
    /// `f(x) − f(baseline)` of the prediction output; areas are nil when its magnitude is below 1e-4.
    public var gap: Double
    public init(maps: [String: FaithfulnessAreas], random: FaithfulnessAreas, gap: Double) {
        (self.maps, self.random, self.gap) = (maps, random, gap)
    }
}

/// Faithfulness over a run, per map and for the random ranking: mean areas and mean normalised curves
/// (21 points, 0 %, 5 %, … 100 % of the pixels changed) over the frames where they are defined.
public struct FaithfulnessSummary: Codable, Sendable {
    public struct Curves: Codable, Sendable {
        /// Frames evaluated with a defined normalisation.
        public var frames: Int
        public var meanDeletion: Double?
        public var meanInsertion: Double?
        /// Mean normalised deletion and insertion curves (21 values each; empty when no frame counts).
        public var deletionCurve: [Double]
        public var insertionCurve: [Double]
        /// Frames on which the map's deletion area was lower than the random ranking's.
        public var beatsRandom: Int?
        public init(frames: Int, meanDeletion: Double?, meanInsertion: Double?, deletionCurve: [Double], insertionCurve: [Double], beatsRandom: Int?) {
            (self.frames, self.meanDeletion, self.meanInsertion) = (frames, meanDeletion, meanInsertion)
            (self.deletionCurve, self.insertionCurve, self.beatsRandom) = (deletionCurve, insertionCurve, beatsRandom)
        }
    }
    /// `--faithfulness-every`: every N-th analysed frame was scored.
    public var every: Int
    /// What replaced deleted pixels, e.g. `black (an all-black frame through the model's preprocessing)`.
    public var baseline: String
    /// Frames scored (with or without a defined normalisation).
    public var framesScored: Int
    public var maps: [String: Curves]
    public var random: Curves
    public init(every: Int, baseline: String, framesScored: Int, maps: [String: Curves], random: Curves) {
        (self.every, self.baseline, self.framesScored, self.maps, self.random) = (every, baseline, framesScored, maps, random)
    }
}

/// Accumulates per-frame normalised curves into a ``FaithfulnessSummary``.
public struct FaithfulnessAccumulator: Sendable {
    private struct Sums: Sendable {
        var frames = 0, beatsRandom = 0
        var deletion = 0.0, insertion = 0.0
        var deletionCurve: [Double] = [], insertionCurve: [Double] = []
        mutating func add(deletion curve: [Double], insertion other: [Double], deletionArea: Double, insertionArea: Double, beats: Bool) {
            if deletionCurve.isEmpty { (deletionCurve, insertionCurve) = ([Double](repeating: 0, count: curve.count), [Double](repeating: 0, count: other.count)) }
            frames += 1
            beatsRandom += beats ? 1 : 0
            (deletion, insertion) = (deletion + deletionArea, insertion + insertionArea)
            for index in curve.indices { deletionCurve[index] += curve[index] }
            for index in other.indices { insertionCurve[index] += other[index] }
        }
        func curves(random: Bool) -> FaithfulnessSummary.Curves {
            let count = Double(max(frames, 1))
            return .init(frames: frames, meanDeletion: frames > 0 ? deletion / count : nil, meanInsertion: frames > 0 ? insertion / count : nil,
                         deletionCurve: deletionCurve.map { $0 / count }, insertionCurve: insertionCurve.map { $0 / count },
                         beatsRandom: random ? nil : beatsRandom)
        }
    }
    private var sums: [String: Sums] = [:]
    private var random = Sums()
    private var scored = 0
    public init() {}

    /// Adds one frame: per map its normalised curves (nil when undefined) and the random ranking's.
    public mutating func add(maps: [String: (deletion: [Double], insertion: [Double])?], random randomCurves: (deletion: [Double], insertion: [Double])?) {
        scored += 1
        guard let randomCurves else { return }
        let randomDeletion = Faithfulness.area(randomCurves.deletion)
        random.add(deletion: randomCurves.deletion, insertion: randomCurves.insertion, deletionArea: randomDeletion,
                   insertionArea: Faithfulness.area(randomCurves.insertion), beats: false)
        for (name, curves) in maps {
            guard let curves else { continue }
            let area = Faithfulness.area(curves.deletion)
            sums[name, default: Sums()].add(deletion: curves.deletion, insertion: curves.insertion, deletionArea: area,
                                            insertionArea: Faithfulness.area(curves.insertion), beats: area < randomDeletion)
        }
    }

    public func summary(every: Int, baseline: String, mapNames: [String]) -> FaithfulnessSummary {
        FaithfulnessSummary(every: every, baseline: baseline, framesScored: scored,
                            maps: Dictionary(uniqueKeysWithValues: mapNames.map { ($0, (sums[$0] ?? Sums()).curves(random: false)) }),
                            random: random.curves(random: true))
    }
}
