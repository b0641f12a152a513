import Analysis
import Foundation
import SteerLensSupport
import XCTest

/// Shards from flags and scheduler environments, and the longest-processing-time assignment.
final class FleetShardTests: XCTestCase {
    func resolve(_ shard: String? = nil, shards: Int? = nil, _ environment: [String: String] = [:]) throws -> FleetShard {
        try FleetShard.resolve(shard: shard, shards: shards, environment: environment)
    }

    func testFlagThenSlurmThenKubernetes() throws {
        XCTAssertEqual(try resolve("2/5"), FleetShard(index: 2, count: 5))
        XCTAssertEqual(try resolve("0/1", shards: nil, ["SLURM_ARRAY_TASK_ID": "3"]), .whole, "the flag wins over the environment")
        XCTAssertEqual(try resolve(nil, shards: nil, ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"]), FleetShard(index: 2, count: 4))
        XCTAssertEqual(try resolve(nil, shards: nil, ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"]), FleetShard(index: 1, count: 2))
        XCTAssertEqual(try resolve(shards: 6, ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "2"]), FleetShard(index: 5, count: 6))
        // A task re-submitted alone (--array=3) keeps its shard when --shards is given.
        XCTAssertEqual(try resolve(shards: 4, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "1"]), FleetShard(index: 3, count: 4))
        XCTAssertEqual(try resolve(shards: 3, ["JOB_COMPLETION_INDEX": "2"]), FleetShard(index: 2, count: 3))
        XCTAssertEqual(try resolve(), .whole)
        XCTAssertEqual(try resolve("99999/100000"), FleetShard(index: 99_999, count: 100_000))
    }

    func testBadShardsAreUsageErrors() {
        for (shard, shards, environment) in [("4/4", nil, [:]), ("-1/2", nil, [:]), ("1", nil, [:]), ("a/b", nil, [:]),
                                             (nil, nil, ["JOB_COMPLETION_INDEX": "0"]), (nil, 2, ["JOB_COMPLETION_INDEX": "2"]),
                                             (nil, nil, ["SLURM_ARRAY_TASK_ID": "1"]), (nil, nil, ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"]),
                                             (nil, nil, ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"]),
                                             (nil, 3, [:]), (nil, 0, [:]),
                                             // Beyond 100,000 workers, or scheduler values that would overflow (these trapped before).
                                             ("1/9223372036854775807", nil, [:]), ("0/100001", nil, [:]), (nil, 100_001, ["JOB_COMPLETION_INDEX": "0"]),
                                             (nil, nil, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "-9223372036854775808", "SLURM_ARRAY_TASK_COUNT": "2"]),
                                             (nil, nil, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "9223372036854775807"])] as [(String?, Int?, [String: String])] {
            XCTAssertThrowsError(try resolve(shard, shards: shards, environment), "\(String(describing: shard)) \(String(describing: shards)) \(environment)") {
                XCTAssertEqual(($0 as? FleetShardError)?.kind, .usage)
            }
        }
    }

    func testLongestProcessingTimeBalancesAndIsDeterministic() {
        // 7+2+1 = 10 against 6+4 = 10: LPT puts 7 and 6 apart, then 4 beside 6, then 2 and 1 beside 7.
        let durations: [(id: String, seconds: Double)] = [("a", 1), ("b", 7), ("c", 4), ("d", 2), ("e", 6)]
        let table = FleetShard.assign(durations: durations, shards: 2)
        XCTAssertEqual(table, [0, 0, 1, 0, 1])
        XCTAssertEqual(FleetShard.assign(durations: durations.reversed(), shards: 2), table.reversed(), "the order of the manifest does not matter")
        var loads = [Double](repeating: 0, count: 2)
        for (index, shard) in table.enumerated() { loads[shard] += durations[index].seconds }
        XCTAssertEqual(loads, [10, 10])
    }

    func testEveryClipLandsInExactlyOneShard() {
        var generator = SeededRandom(seed: 42)
        let durations = (0..<200).map { (id: "clip\($0)", seconds: Double(generator.next() % 3600) / 10) }
        for shards in [1, 3, 7, 250] {
            let table = FleetShard.assign(durations: durations, shards: shards)
            XCTAssertTrue(table.allSatisfy { (0..<shards).contains($0) })
            var loads = [Double](repeating: 0, count: shards)
            for (index, shard) in table.enumerated() { loads[shard] += durations[index].seconds }
            // Graham's bound for LPT: the makespan is within the mean load plus the longest clip.
            let total = durations.reduce(0) { $0 + $1.seconds }, longest = durations.map(\.seconds).max()!
            XCTAssertLessThanOrEqual(loads.max()!, total / Double(shards) + longest + 1e-9, "\(shards) shards")
        }
        let sameClips = [(id: String, seconds: Double)](repeating: ("x", 0), count: 6).enumerated().map { (id: "z\($0.offset)", seconds: $0.element.seconds) }
        XCTAssertEqual(FleetShard.assign(durations: sameClips, shards: 3).sorted(), [0, 0, 1, 1, 2, 2], "unknown durations spread by count")
    }
}
