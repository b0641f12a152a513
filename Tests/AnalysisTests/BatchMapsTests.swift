import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import XCTest
@testable import Analysis

/// A batch's per-frame map results, computed over the lanes, equal the plain frame-by-frame ones, and
/// the saliency change runs on across batch boundaries.
final class BatchMapsTests: XCTestCase {
    private let (height, width, items) = (6, 8, 7)

    private func suite() throws -> ExplanationSuite {
        var generator = SeededRandom(seed: 5)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(generator.uniform(-1, 1)) })
        }
        let conv = try Conv2D(kernel: random([3, 3, 3, 4]), bias: random([4]), activation: .elu(alpha: 1))
        let model = try Model(inputShape: [height, width, 3], layers: [conv, Flatten(), try Dense(kernel: random([4 * 6 * 4, 1]))])
        let engine = try SaliencyEngine(model: model, kinds: [.increase, .decrease])
        return ExplanationSuite(model: model, objective: engine.objective, explainers: [GradientExplainer(engine: engine)])
    }

    private func frames(_ range: Range<Int>) -> Tensor {
        var generator = SeededRandom(seed: 9)
        let all = (0..<(items * height * width * 3)).map { _ in Float(generator.uniform(0, 255)) }
        let size = height * width * 3
        return Tensor(shape: [range.count, height, width, 3], scalars: Array(all[(range.lowerBound * size)..<(range.upperBound * size)]))
    }

    private func batchMaps(_ suite: ExplanationSuite, _ range: Range<Int>, previous: [Float]?) throws -> BatchMaps {
        BatchMaps(try suite.run(frames(range)), count: range.count, maps: suite.maps, flatten: { $1 }, width: width, height: height,
                  grid: nil, previous: previous)
    }

    func testLanesAndBatchBoundariesGiveTheFrameByFrameResults() throws {
        let suite = try suite(), first = suite.maps[0]
        let previous = (0..<(height * width)).map { Float($0 % 5) / 4 }
        let whole = try batchMaps(suite, 0..<items, previous: previous)
        // Frame by frame: each frame's first map against the one before, the first against `previous`.
        var before = previous
        for item in whole.items {
            let map = try XCTUnwrap(item.flat[first])
            XCTAssertEqual(try XCTUnwrap(item.saliencyChange), 1 - pearsonCorrelation(before, map))
            for map in suite.maps {
                let shares = MapStatistics(map: try XCTUnwrap(item.maps.importance[map]), width: width, height: height)
                XCTAssertEqual(item.regionShares[map.name]?.upper, shares.upper)
            }
            before = map
        }
        XCTAssertGreaterThan(Set(whole.items.map { $0.saliencyChange! }).count, 1, "the frames differ")
        // One lane, and the batch cut in two with the first part's last map carried over.
        let previousLanes = Parallelism.laneCount
        Parallelism.setLaneCount(1)
        let single = try batchMaps(suite, 0..<items, previous: previous)
        Parallelism.setLaneCount(previousLanes)
        let head = try batchMaps(suite, 0..<3, previous: previous)
        let tail = try batchMaps(suite, 3..<items, previous: head.items.last!.flat[first])
        for (name, other) in [("one lane", single.items), ("two batches", head.items + tail.items)] {
            XCTAssertEqual(other.map(\.saliencyChange), whole.items.map(\.saliencyChange), name)
            XCTAssertEqual(other.map { $0.flat[first]! }, whole.items.map { $0.flat[first]! }, name)
        }
        XCTAssertNil(try batchMaps(suite, 0..<2, previous: nil).items[0].saliencyChange, "a clip's first frame has no change")
    }
}
