import Foundation

/// Best-of-N wall-clock timing of several workloads, interleaved: each round runs every workload once,
/// so a change of machine load hits all of them alike and their ratios stay meaningful on a busy machine.
enum Timing {
    /// The best seconds per workload over `rounds` rounds, after one warm-up call of each (buffers, caches).
    static func bestSeconds(rounds: Int, _ workloads: [() throws -> Void]) throws -> [Double] {
        for workload in workloads { try workload() }
        var best = [Double](repeating: .infinity, count: workloads.count)
        for _ in 0..<max(rounds, 1) {
            for (index, workload) in workloads.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                try workload()
                best[index] = min(best[index], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return best
    }
}
