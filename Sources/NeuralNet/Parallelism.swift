import Dispatch
import Foundation
import SteerLensSupport
import Synchronization

/// How NeuralNet spreads one batch over the cores: either *lanes* or OpenBLAS threads, never both.
///
/// With `laneCount > 1` (the default on a multi-core machine), each convolution cuts its batch into
/// chunks of a few items (so the column matrix stays in cache) and `laneCount` worker threads take
/// the chunks in turn (``BatchPlan/runChunks(_:)``); a lane runs im2col, a single-threaded `sgemm`,
/// bias and activation (forward) or the activation derivative, `sgemm` and col2im (backward) on the
/// chunk it took. A lane whose core is shared with another thread (a pipeline's decoder) thus takes
/// fewer chunks instead of keeping the others waiting; the chunk boundaries, and so the results, stay
/// the same. With lanes, OpenBLAS is kept at one thread, because concurrent callers of a
/// multi-threaded OpenBLAS contend for its one thread pool.
///
/// Why lanes by default: PilotNet's GEMMs are skinny (`N` = 24…64 filters, `K` = 75…900), so a second
/// OpenBLAS thread speeds them up far less than two independent single-threaded calls do, and im2col,
/// col2im and activations only run in parallel with lanes. Measured with `steerlens-bench engine`
/// (2-core AMD EPYC, OpenBLAS 0.3.21, PilotNet ELU, forward + backward, best of 3×30):
///
/// | batch 32 | pass | frames/s | its GEMMs alone |
/// |---|---|---|---|
/// | 2 lanes × 1 BLAS thread (default) | 29 ms | 1100 | 20 ms |
/// | 1 lane × 2 BLAS threads | 51 ms | 630 | 32 ms |
/// | 1 lane × 1 BLAS thread | 56 ms | 570 | 39 ms |
///
/// A batch smaller than `laneCount` uses fewer lanes: a single frame runs on one core (1.8 ms) where
/// two BLAS threads take 1.5 ms. For lowest single-frame latency call ``BLAS/setThreadCount(_:)``
/// with the core count, which sets `laneCount` to 1.
public enum Parallelism {
    /// The number of lanes (worker threads) a convolution splits its batch over.
    public static var laneCount: Int { EngineSettings.shared.laneCount }

    /// Sets the lane count (process-wide, call at start-up). More than one lane sets OpenBLAS to one thread.
    public static func setLaneCount(_ count: Int) {
        precondition(count >= 1, "lane count must be at least 1, got \(count)")
        EngineSettings.shared.setLanes(count)
    }

    /// CPU time of lanes run off their caller's thread (process-wide, monotonic).
    public static let helperCPU = HelperCPUCounter()

    /// Runs `body(lane)` for `lane` in `0..<count` concurrently and returns when all are done; inline
    /// for one lane. `body` must only write memory that no other lane touches.
    public static func forEachLane(_ count: Int, _ body: (Int) -> Void) {
        NeuralNet.forEachLane(count, body)
    }
}

/// Process-wide engine settings; the first use applies the default (one lane per core, OpenBLAS at one thread).
final class EngineSettings: @unchecked Sendable {
    static let shared = EngineSettings()

    private let lock = NSLock()
    private var lanes: Int

    private init() {
        lanes = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        if lanes > 1 { setBLASThreadCount(1) }
    }

    var laneCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return lanes
    }

    func setLanes(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        lanes = count
        if count > 1 { setBLASThreadCount(1) }
    }

    /// Called by ``BLAS/setThreadCount(_:)``: a multi-threaded BLAS means a single lane.
    func blasThreadsWillChange(to count: Int) {
        lock.lock()
        defer { lock.unlock() }
        if count > 1 { lanes = 1 }
    }
}

/// Runs `body(lane)` for `lane` in `0..<count` concurrently and returns when all are done; inline for one lane.
///
/// `body` must only write memory that no other lane touches.
func forEachLane(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body), caller = UncheckedSendable(pthread_self())
        DispatchQueue.concurrentPerform(iterations: count) { lane in
            // Lanes run on the calling thread are in its own CPU clock already.
            if pthread_equal(pthread_self(), caller.value) != 0 { return shared.value(lane) }
            let start = StageClock.threadNow()
            shared.value(lane)
            Parallelism.helperCPU.add(StageClock.threadNow() &- start)
        }
    }
}

/// Runs `body(items)` for each lane's share of `count` items (contiguous, in order, disjoint), or once
/// inline with all of them when they hold fewer than 2¹⁶ values (`itemSize` values an item): element-wise
/// work on a batch-sized tensor, which the lanes' cores and their memory bandwidth share. Each item's
/// values are computed the same way whichever lane runs it.
func forEachLaneShare(of count: Int, itemSize: Int = 1, _ body: (Range<Int>) -> Void) {
    let lanes = count * itemSize >= 1 << 16 ? min(count, Parallelism.laneCount) : 1
    forEachLane(lanes) { lane in body((count * lane / lanes)..<(count * (lane + 1) / lanes)) }
}

/// CPU nanoseconds that lanes spent on threads other than their caller's, summed over the process's
/// life: a caller that measures its own thread's CPU time adds the difference of two readings (see
/// `StageClock` in `analyze`).
public final class HelperCPUCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total: UInt64 = 0

    func add(_ nanoseconds: UInt64) { lock.withLock { total &+= nanoseconds } }

    /// Nanoseconds so far.
    public var nanoseconds: UInt64 { lock.withLock { total } }
}

/// A value handed to other threads by code that guarantees they use it safely (disjoint writes).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// How one layer cuts a batch of `batch` items: `lanes` contiguous slices, each cut into chunks of at
/// most `chunkItems` items so a chunk's scratch matrices stay in the core's cache; ``runChunks(_:)``
/// hands the chunks to whichever lane is free.
struct BatchPlan: Equatable {
    let batch: Int
    let lanes: Int
    let chunkItems: Int

    /// Bytes of per-chunk scratch (column matrix) a lane aims to keep in its L2 cache (1 MiB: half the
    /// 2 MiB L2 of the machine measured, leaving room for OpenBLAS's packed panels and the output rows).
    static let defaultScratchBudget = 1 << 20

    /// - Parameters:
    ///   - scratchPerItem: floats of scratch one item needs (e.g. its im2col rows).
    ///   - scratchBudget: bytes of scratch per chunk; a chunk holds at least one item whatever its size.
    init(batch: Int, scratchPerItem: Int, scratchBudget: Int = BatchPlan.defaultScratchBudget, lanes: Int = Parallelism.laneCount) {
        self.batch = batch
        self.lanes = max(1, min(lanes, batch))
        let perLane = (batch + self.lanes - 1) / self.lanes
        let fitting = scratchBudget / max(scratchPerItem * MemoryLayout<Float>.size, 1)
        self.chunkItems = max(1, min(fitting, perLane))
    }

    /// The items of one lane.
    func items(ofLane lane: Int) -> Range<Int> {
        (lane * batch / lanes)..<((lane + 1) * batch / lanes)
    }

    /// Calls `body(firstItem, itemCount)` for each chunk of the lane's items, in order.
    func forEachChunk(ofLane lane: Int, _ body: (Int, Int) -> Void) {
        let range = items(ofLane: lane)
        var first = range.lowerBound
        while first < range.upperBound {
            let count = min(chunkItems, range.upperBound - first)
            body(first, count)
            first += count
        }
    }

    /// Every chunk of the batch, `(firstItem, itemCount)`: each lane's items cut by
    /// ``forEachChunk(ofLane:_:)``, lane after lane.
    var chunks: [(first: Int, count: Int)] {
        var chunks: [(first: Int, count: Int)] = []
        for lane in 0..<lanes { forEachChunk(ofLane: lane) { chunks.append(($0, $1)) } }
        return chunks
    }

    /// Runs `body(lane, firstItem, itemCount)` once for every chunk of ``chunks`` on ``lanes`` lanes,
    /// each lane taking the next chunk when it is free: a lane whose core another thread shares (the
    /// decoder of a pipeline) leaves more chunks to the others instead of keeping them waiting at the
    /// layer's end. Chunk boundaries are fixed, so the results do not depend on which lane runs what.
    func runChunks(_ body: (Int, Int, Int) -> Void) {
        let chunks = chunks
        let next = Atomic<Int>(0)
        forEachLane(lanes) { lane in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < chunks.count else { return }
                body(lane, chunks[index].first, chunks[index].count)
            }
        }
    }
}

/// Float scratch memory owned by a layer, one region per lane, grown on demand and never shrunk.
///
/// Regions are disjoint so lanes can write their own concurrently; contents are undefined between calls.
final class LaneScratch {
    private var raw: UnsafeMutableRawPointer?
    private var capacity = 0
    private var stride = 0

    deinit { raw?.deallocate() }

    /// Makes room for `lanes` regions of at least `floatsPerLane` floats (call before running the lanes).
    func reserve(lanes: Int, floatsPerLane: Int) {
        // Regions start on 64-byte cache lines so lanes never share one.
        stride = (floatsPerLane + 15) & ~15
        let needed = max(lanes * stride, 16)  // never empty, so region(_:) always has an address
        guard needed > capacity else { return }
        raw?.deallocate()
        raw = UnsafeMutableRawPointer.allocate(byteCount: needed * MemoryLayout<Float>.size, alignment: 64)
        capacity = needed
    }

    /// The region of one lane (valid until the next ``reserve(lanes:floatsPerLane:)``).
    func region(_ lane: Int) -> UnsafeMutablePointer<Float> {
        raw!.assumingMemoryBound(to: Float.self) + lane * stride
    }
}
