import Foundation
import ModelImport
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import Saliency

/// Deletion/insertion curves on models whose answer is known by hand, and against the NumPy/TensorFlow
/// reference in `Tests/Fixtures/faithfulness` (see `generate_faithfulness_fixtures.py` there).
final class FaithfulnessTests: XCTestCase {
    let root = TestPaths.fixtures.appendingPathComponent("faithfulness")

    /// `f(x) = Σ w·x` over a 2×3×1 image: a Flatten and a Dense layer without bias.
    func linearModel(_ weights: [Float]) throws -> Model {
        let dense = try Dense(name: "steering", kernel: Tensor(shape: [weights.count, 1], scalars: weights))
        return try Model(inputShape: [2, 3, 1], layers: [Flatten(), dense])
    }

    func forward(_ model: Model) -> (Tensor) throws -> [Double] {
        { batch in try model.forward(batch)[0].scalars.map(Double.init) }
    }

    /// With positive contributions `c = w·x`, ranking by `c` removes the largest remaining output first:
    /// its deletion curve lies on or below that of every other ranking at every point, so its area is the
    /// smallest of all 720 orderings, and its insertion area the largest.
    func testLinearModelRankingByContributionIsOptimal() throws {
        let weights: [Float] = [0.5, 2, 1, 3, 0.25, 1.5], item: [Float] = [4, 1, 3, 2, 8, 1]
        let model = try linearModel(weights), baseline = [Float](repeating: 0, count: 6)
        let contribution = zip(weights, item).map(*)
        let best = try Faithfulness.curves(item: item, baseline: baseline, map: contribution, shape: [2, 3, 1], forward: forward(model))
        // By hand: point k removes the k·6/20 largest contributions (6, 3, 2, 2, 1.5, 1.5).
        let sorted = contribution.sorted(by: >).map(Double.init), total = sorted.reduce(0, +)
        for step in 0...20 {
            let removed = sorted.prefix(step * 6 / 20).reduce(0, +)
            XCTAssertEqual(best.deletion[step], total - removed, accuracy: 1e-5, "deletion point \(step)")
            XCTAssertEqual(best.insertion[step], removed, accuracy: 1e-5, "insertion point \(step)")
        }
        let bestDeletion = try XCTUnwrap(best.deletionArea), bestInsertion = try XCTUnwrap(best.insertionArea)
        var worseSeen = false
        for permutation in permutations(Array(0..<6)) {
            let other = try Faithfulness.curves(item: item, baseline: baseline, ranking: permutation, shape: [2, 3, 1], forward: forward(model))
            let deletion = try XCTUnwrap(other.deletionArea), insertion = try XCTUnwrap(other.insertionArea)
            XCTAssertGreaterThanOrEqual(deletion, bestDeletion - 1e-9, "ranking \(permutation) deletes better than |w·x|")
            XCTAssertLessThanOrEqual(insertion, bestInsertion + 1e-9, "ranking \(permutation) inserts better than |w·x|")
            worseSeen = worseSeen || deletion > bestDeletion + 0.05
        }
        XCTAssertTrue(worseSeen, "some ordering must be clearly worse, or the test shows nothing")
        // The reverse ranking is the worst.
        let worst = try Faithfulness.curves(item: item, baseline: baseline, map: contribution.map { -$0 }, shape: [2, 3, 1], forward: forward(model))
        XCTAssertGreaterThan(try XCTUnwrap(worst.deletionArea), bestDeletion + 0.2)
    }

    func permutations(_ values: [Int]) -> [[Int]] {
        guard values.count > 1 else { return [values] }
        return values.indices.flatMap { index -> [[Int]] in
            var rest = values
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    func testCurveEndsNormalisationAndArea() throws {
        let model = try linearModel([1, -2, 0.5, 1, 1, -1]), item: [Float] = [1, 2, 3, 4, 5, 6], baseline: [Float] = [1, 1, 1, 1, 1, 1]
        let curves = try Faithfulness.curves(item: item, baseline: baseline, map: [6, 5, 4, 3, 2, 1], shape: [2, 3, 1], forward: forward(model))
        let original: Double = 1 - 4 + 1.5 + 4 + 5 - 6, baselineOutput: Double = 1 - 2 + 0.5 + 1 + 1 - 1
        XCTAssertEqual(curves.original, original, accuracy: 1e-5)
        XCTAssertEqual(curves.baseline, baselineOutput, accuracy: 1e-5)
        XCTAssertEqual(curves.deletion.count, 21)
        XCTAssertEqual(curves.deletion.last!, curves.baseline, accuracy: 1e-5)
        XCTAssertEqual(curves.insertion.last!, curves.original, accuracy: 1e-5)
        let deletion = try XCTUnwrap(curves.normalisedDeletion), insertion = try XCTUnwrap(curves.normalisedInsertion)
        XCTAssertEqual(deletion.first!, 1, accuracy: 1e-9)
        XCTAssertEqual(deletion.last!, 0, accuracy: 1e-9)
        XCTAssertEqual(insertion.first!, 0, accuracy: 1e-9)
        XCTAssertEqual(insertion.last!, 1, accuracy: 1e-9)
        XCTAssertEqual(Faithfulness.area((0...20).map { Double($0) / 20 }), 0.5, accuracy: 1e-12)
        XCTAssertEqual(Faithfulness.area([1, 1, 0]), 0.75, accuracy: 1e-12)
    }

    /// Several rankings from one set of batches: the item and the baseline once, 38 interior points per
    /// ranking, no batch over 42 items, and each ranking's curves exactly those of its own 42 perturbed
    /// items (``Faithfulness/perturbedBatch(item:baseline:ranking:shape:)``) under a per-item forward.
    func testRankingsShareTheItemAndBaselinePoints() throws {
        let shape = [4, 5, 2], pixels = 20
        var generator = SeededRandom(seed: 5)
        let item = (0..<40).map { _ in Float(generator.uniform(0, 1)) }, baseline = (0..<40).map { _ in Float(generator.uniform(-1, 0)) }
        let weights = (0..<40).map { _ in Double(generator.uniform(-1, 1)) }
        var batchSizes: [Int] = []
        // Each item alone: the values cannot depend on the batch they came in.
        let forward: (Tensor) throws -> [Double] = { batch in
            batchSizes.append(batch.shape[0])
            return (0..<batch.shape[0]).map { n in (0..<40).reduce(0) { $0 + weights[$1] * Double(batch.scalars[n * 40 + $1]) } }
        }
        let rankings = (0..<4).map { Faithfulness.randomRanking(pixels: pixels, seed: UInt64($0)) }
        let shared = try Faithfulness.curves(item: item, baseline: baseline, rankings: rankings, shape: shape, forward: forward)
        XCTAssertEqual(batchSizes.reduce(0, +), 2 + 38 * 4)
        XCTAssertLessThanOrEqual(batchSizes.max() ?? 0, Faithfulness.batchLimit)
        XCTAssertEqual(shared.count, 4)
        for (ranking, curves) in zip(rankings, shared) {
            let outputs = try forward(Faithfulness.perturbedBatch(item: item, baseline: baseline, ranking: ranking, shape: shape))
            XCTAssertEqual(curves.deletion, Array(outputs[0...20]), "ranking \(ranking)")
            XCTAssertEqual(curves.insertion, Array(outputs[21...]), "ranking \(ranking)")
            XCTAssertEqual(curves.original, outputs[0])
            XCTAssertEqual(curves.baseline, outputs[21])
        }
    }

    func testUndefinedWhenItemAndBaselinePredictTheSame() throws {
        let model = try linearModel([1, -1, 0, 0, 0, 0])
        let curves = try Faithfulness.curves(item: [2, 2, 0, 0, 0, 0], baseline: [0, 0, 0, 0, 0, 0], map: [1, 2, 3, 4, 5, 6],
                                             shape: [2, 3, 1], forward: forward(model))
        XCTAssertNil(curves.deletionArea)
        XCTAssertNil(curves.insertionArea)
    }

    func testRankingIsStableAndMonotoneInvariant() {
        let map: [Float] = [0.5, 1, 0.5, -2, 1, 0]
        XCTAssertEqual(Faithfulness.ranking(map), [1, 4, 0, 2, 5, 3])
        XCTAssertEqual(Faithfulness.ranking(map.map { 3 * $0 + 1 }), Faithfulness.ranking(map))
        XCTAssertEqual(Faithfulness.changedPixels(step: 1, pixels: 6), 0)
        XCTAssertEqual(Faithfulness.changedPixels(step: 10, pixels: 13_200), 6_600)
    }

    func testRandomRankingIsASeededPermutation() {
        let first = Faithfulness.randomRanking(pixels: 500, seed: 3)
        XCTAssertEqual(first.sorted(), Array(0..<500))
        XCTAssertEqual(first, Faithfulness.randomRanking(pixels: 500, seed: 3))
        XCTAssertNotEqual(first, Faithfulness.randomRanking(pixels: 500, seed: 4))
        XCTAssertNotEqual(first, Array(0..<500))
    }

    /// The real pilotnet_elu fixture model: model outputs of all 42 perturbed items and the areas equal
    /// the TensorFlow/NumPy reference, for a tied quantised map and for the seeded random ranking.
    func testMatchesNumPyReference() throws {
        struct Reference: Decodable {
            struct Item: Decodable { let deletion_area, insertion_area, random_deletion_area, random_insertion_area: Double }
            let items: [Item]
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: root.appendingPathComponent("reference.json")))
        let model = try KerasModelLoader.load(from: TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_elu/model.h5")).model
        let input = try NPYArray(contentsOf: TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_elu/input.npy"))
        let maps = try NPYArray(contentsOf: root.appendingPathComponent("maps.npy"))
        func load(_ name: String) throws -> [Float] { try NPYArray(contentsOf: root.appendingPathComponent("\(name).npy")).values }
        let (deletion, insertion) = (try load("deletion"), try load("insertion"))
        let (randomDeletion, randomInsertion, randomRanking) = (try load("random_deletion"), try load("random_insertion"), try load("random_ranking"))
        let shape = Array(input.shape.dropFirst()), itemCount = shape.reduce(1, *), pixels = shape[0] * shape[1]
        let baseline = [Float](repeating: 0, count: itemCount)
        for item in 0..<3 {
            let x = Array(input.values[(item * itemCount)..<((item + 1) * itemCount)])
            let map = Array(maps.values[(item * pixels)..<((item + 1) * pixels)])
            let ranking = Faithfulness.randomRanking(pixels: pixels, seed: 7 + UInt64(item))
            XCTAssertEqual(ranking.map(Float.init), Array(randomRanking[(item * pixels)..<((item + 1) * pixels)]), "SplitMix64 shuffle \(item)")
            for (label, curves, expected, areas) in [
                ("map", try Faithfulness.curves(item: x, baseline: baseline, map: map, shape: shape, forward: forward(model)),
                 (deletion, insertion), (reference.items[item].deletion_area, reference.items[item].insertion_area)),
                ("random", try Faithfulness.curves(item: x, baseline: baseline, ranking: ranking, shape: shape, forward: forward(model)),
                 (randomDeletion, randomInsertion), (reference.items[item].random_deletion_area, reference.items[item].random_insertion_area)),
            ] {
                let slice = (item * 21)..<((item + 1) * 21)
                for (name, ours, theirs) in [("deletion", curves.deletion, Array(expected.0[slice])), ("insertion", curves.insertion, Array(expected.1[slice]))] {
                    let comparison = TensorComparison("\(label) \(name)[\(item)]", actual: ours.map(Float.init), expected: theirs, shape: [21], atol: 1e-5, rtol: 1e-4)
                    XCTAssertTrue(comparison.passed, comparison.description)
                }
                XCTAssertEqual(try XCTUnwrap(curves.deletionArea), areas.0, accuracy: 1e-3, "\(label) deletion area [\(item)]")
                XCTAssertEqual(try XCTUnwrap(curves.insertionArea), areas.1, accuracy: 1e-3, "\(label) insertion area [\(item)]")
            }
        }
    }

    /// Spearman and SSIM equal scipy.stats.spearmanr and skimage.metrics.structural_similarity.
    func testSimilarityMatchesSciPyAndScikitImage() throws {
        struct Reference: Decodable { let spearman: [Double]; let ssim: [Double] }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: root.appendingPathComponent("reference.json")))
        let a = try NPYArray(contentsOf: root.appendingPathComponent("similarity_a.npy"))
        let b = try NPYArray(contentsOf: root.appendingPathComponent("similarity_b.npy"))
        let (height, width) = (a.shape[1], a.shape[2]), count = height * width
        for pair in 0..<4 {
            let first = Array(a.values[(pair * count)..<((pair + 1) * count)]), second = Array(b.values[(pair * count)..<((pair + 1) * count)])
            XCTAssertEqual(MapSimilarity.spearman(first, second), reference.spearman[pair], accuracy: 1e-9, "spearman \(pair)")
            XCTAssertEqual(MapSimilarity.ssim(first, second, height: height, width: width), reference.ssim[pair], accuracy: 1e-6, "ssim \(pair)")
        }
        XCTAssertEqual(MapSimilarity.ranks([3, 1, 3, 2]), [3.5, 1, 3.5, 2])
        XCTAssertEqual(MapSimilarity.spearman([0, 0, 0], [0, 0, 0]), 1, "an unchanged empty map is unchanged")
        XCTAssertEqual(MapSimilarity.spearman([0, 0, 0], [0, 1, 2]), 0)
    }
}
