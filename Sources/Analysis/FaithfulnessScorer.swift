import NeuralNet
import Reporting
import Saliency
import VideoIO

/// Scores the maps of every N-th analysed frame with deletion and insertion curves of the prediction
/// output (`analyze --faithfulness-every N`): per map 38 perturbed items, plus 38 for a seeded random
/// ranking (seed = the frame number) that every map is compared with, plus the item and the baseline
/// that every curve starts or ends at (``Faithfulness/curves(item:baseline:rankings:shape:forward:)``).
///
/// Baseline `black`: an all-black frame of the clip's size through the model's own preprocessing (crop,
/// resize, colour conversion, scale), so "deleted" pixels are what a black camera image would feed the
/// model (0 for RGB/BGR inputs without scale or offset). Not thread-safe (it runs the session's model).
public final class FaithfulnessScorer {
    /// Scores frames whose analysed position is a multiple of `every` (0 never).
    public let every: Int
    public static let baselineDescription = "black (an all-black frame through the model's preprocessing)"
    private let model: Model
    private let outputIndex: Int
    private let unit: Int
    private let shape: [Int]
    private let baseline: [Float]
    private var accumulator = FaithfulnessAccumulator()

    /// - Parameter frameSize: the clip's frame size (the black frame's).
    public init(every: Int, session: ModelSession, frameSize: PixelSize) throws {
        precondition(every >= 0, "--faithfulness-every must not be negative")
        self.every = every
        model = session.loaded.model
        (outputIndex, unit, shape) = (session.outputIndex, session.predictionUnit, session.modelInput.shape)
        let black = Frame(index: 0, time: 0, width: frameSize.width, height: frameSize.height,
                          pixels: [UInt8](repeating: 0, count: frameSize.width * frameSize.height * 3))
        baseline = try session.modelInput.batch([black]).scalars
    }

    /// Whether the frame at analysed position `position` (0-based) is scored.
    public func scores(position: Int) -> Bool { every > 0 && position % every == 0 }

    /// Curves of each named map (`[H, W]`, any real values: only their ranking counts) for one model-input
    /// item `[H, W, C]`, and of the random ranking seeded with `frame`.
    public func score(item: [Float], maps: [(name: String, map: [Float])], frame: Int) throws -> FrameFaithfulness {
        // A non-finite output (a perturbed item the model blows up on) reads as NaN and makes the curve undefined.
        let forward: (Tensor) throws -> [Double] = { [model, outputIndex, unit] batch in
            let output = try model.forward(batch)[outputIndex]
            return (0..<output.batchSize).map { Double(output.scalars[$0 * output.itemCount + unit]) }.map { $0.isFinite ? $0 : .nan }
        }
        func defined(_ result: FaithfulnessCurves) -> (deletion: [Double], insertion: [Double])? {
            guard let deletion = result.normalisedDeletion, let insertion = result.normalisedInsertion,
                  (deletion + insertion).allSatisfy(\.isFinite) else { return nil }
            return (deletion, insertion)
        }
        func areas(_ curves: (deletion: [Double], insertion: [Double])?) -> FaithfulnessAreas {
            FaithfulnessAreas(deletion: curves.map { Faithfulness.area($0.deletion) }, insertion: curves.map { Faithfulness.area($0.insertion) })
        }
        // The random ranking first, then the maps', from one set of batches (the item and baseline once).
        let rankings = [Faithfulness.randomRanking(pixels: shape[0] * shape[1], seed: UInt64(frame))] + maps.map { Faithfulness.ranking($0.map) }
        let results = try Faithfulness.curves(item: item, baseline: baseline, rankings: rankings, shape: shape, forward: forward)
        let random = results[0]
        var scores: [String: FaithfulnessAreas] = [:], curves: [String: (deletion: [Double], insertion: [Double])?] = [:]
        for ((name, _), result) in zip(maps, results.dropFirst()) {
            let result = defined(result)
            (scores[name], curves[name]) = (areas(result), result)
        }
        let randomCurves = defined(random)
        accumulator.add(maps: curves, random: randomCurves)
        let gap = random.original - random.baseline
        return FrameFaithfulness(maps: scores, random: areas(randomCurves), gap: gap.isFinite ? gap : 0)
    }

    /// The run's summary (nil when scoring is off).
    public func summary(mapNames: [String]) -> FaithfulnessSummary? {
        every > 0 ? accumulator.summary(every: every, baseline: Self.baselineDescription, mapNames: mapNames) : nil
    }
}
