import Foundation
import SteerLensSupport
import XCTest
@testable import NeuralNet

/// The performance paths of the engine: lanes, chunks, recycled storage, the vectorised ELU, the
/// sgemm recorder. Each must give the numbers of the plain path.
final class ParallelismTests: XCTestCase {
    /// Runs `body` with `lanes` lanes, then restores the previous setting.
    func withLanes<Result>(_ lanes: Int, _ body: () throws -> Result) rethrows -> Result {
        let previous = Parallelism.laneCount
        Parallelism.setLaneCount(lanes)
        defer { Parallelism.setLaneCount(previous) }
        return try body()
    }

    func testBatchPlanCoversEveryItemOnceInOrder() {
        for batch in [1, 2, 3, 7, 32] {
            for lanes in [1, 2, 3] {
                for perItem in [1, 10_000, 1 << 20] {
                    let plan = BatchPlan(batch: batch, scratchPerItem: perItem, scratchBudget: 64 << 10, lanes: lanes)
                    XCTAssertEqual(plan.lanes, min(lanes, batch))
                    var seen: [Int] = []
                    for lane in 0..<plan.lanes {
                        XCTAssertFalse(plan.items(ofLane: lane).isEmpty, "batch \(batch) lanes \(lanes): lane \(lane) idle")
                        plan.forEachChunk(ofLane: lane) { first, count in
                            XCTAssertTrue((1...plan.chunkItems).contains(count))
                            seen += first..<(first + count)
                        }
                    }
                    XCTAssertEqual(seen, Array(0..<batch), "batch \(batch) lanes \(lanes) per item \(perItem)")
                }
            }
        }
    }

    /// `runChunks` runs every chunk of the plan exactly once, with the boundaries of the per-lane walk,
    /// on lanes of the plan.
    func testRunChunksRunsEveryChunkOnce() {
        for batch in [1, 3, 7, 32] {
            for lanes in [1, 2, 3] {
                let plan = BatchPlan(batch: batch, scratchPerItem: 10_000, scratchBudget: 64 << 10, lanes: lanes)
                let lock = NSLock()
                var ran: [(first: Int, count: Int)] = []
                plan.runChunks { lane, first, count in
                    XCTAssertTrue((0..<plan.lanes).contains(lane))
                    lock.withLock { ran.append((first, count)) }
                }
                let sorted = ran.sorted { $0.first < $1.first }
                XCTAssertEqual(sorted.map(\.first), plan.chunks.map(\.first), "batch \(batch) lanes \(lanes)")
                XCTAssertEqual(sorted.map(\.count), plan.chunks.map(\.count), "batch \(batch) lanes \(lanes)")
            }
        }
    }

    /// A lane held up (here: the one that took the first chunk waits until every other chunk is done)
    /// leaves the rest of the batch to the other lane instead of its fixed half: with a fixed split the
    /// wait would time out with half the chunks still its own.
    func testAHeldUpLaneLeavesItsChunksToTheOthers() {
        let plan = BatchPlan(batch: 32, scratchPerItem: 1 << 20, scratchBudget: 1 << 20, lanes: 2)
        XCTAssertEqual(plan.chunks.count, 32)
        let lock = NSLock()
        var done = 0, chunksOfHeldLane = 0, heldLane = -1
        plan.runChunks { lane, first, _ in
            if first == 0 {
                lock.withLock { heldLane = lane }
                let deadline = Date().addingTimeInterval(5)
                while lock.withLock({ done }) < 31 && Date() < deadline { usleep(1_000) }
            }
            lock.withLock {
                done += 1
                if lane == heldLane { chunksOfHeldLane += 1 }
            }
        }
        XCTAssertEqual(done, 32)
        XCTAssertEqual(chunksOfHeldLane, 1, "the held-up lane ran \(chunksOfHeldLane) chunks")
    }

    /// Two lanes with many small chunks give exactly the forward and input gradient of one lane with
    /// one chunk, for every convolution path (im2col with and without padding, pointwise), every
    /// modifier, and an odd batch that splits unevenly.
    func testLanesAndChunksGiveTheSameResultsAsOnePass() throws {
        var generator = SeededRandom(seed: 21)
        let cases: [(k: Int, s: Int, padding: Padding, activation: ActivationKind)] = [
            (5, 2, .valid, .elu(alpha: 1)), (3, 1, .same, .relu), (1, 1, .valid, .tanh), (3, 2, .same, .linear),
        ]
        for c in cases {
            let conv = try Conv2D(kernel: randomTensor([c.k, c.k, 3, 6], in: -0.5...0.5, using: &generator),
                                  bias: randomTensor([6], using: &generator), strides: (c.s, c.s), padding: c.padding,
                                  activation: c.activation)
            let x = randomTensor([5, 11, 13, 3], using: &generator)
            let shape = try [5] + conv.outputShape(forInputShape: [11, 13, 3])
            let seed = randomTensor(shape, using: &generator)
            for modifier in [nil, BackpropModifier.guided, .rectified] {
                conv.scratchBudget = 1 << 30
                let (y1, dx1) = withLanes(1) { (conv.forward(x), conv.backward(seed, modifier: modifier)) }
                conv.scratchBudget = 256  // one item per chunk
                let (y2, dx2) = withLanes(2) { (conv.forward(x), conv.backward(seed, modifier: modifier)) }
                XCTAssertEqual(y1, y2, "forward, kernel \(c.k) stride \(c.s) \(c.padding)")
                XCTAssertEqual(dx1, dx2, "backward, kernel \(c.k) stride \(c.s) \(c.padding) modifier \(String(describing: modifier))")
            }
        }
    }

    /// `[8, 8, 3]` → `conv` (3×3, 4 filters) → a stand-alone `elu` → `flatten` → `dense` (1 unit), random weights.
    private func convolutionELUModel(using generator: inout SeededRandom) throws -> Model {
        let layers: [any Layer] = [
            try Conv2D(name: "conv", kernel: randomTensor([3, 3, 3, 4], using: &generator)), ELU(name: "elu"), Flatten(name: "flatten"),
            try Dense(name: "dense", kernel: randomTensor([4 * 6 * 6, 1], using: &generator)),
        ]
        return try Model(inputShape: [8, 8, 3], layers: layers)
    }

    /// In a model, a layer that keeps its input for the backward pass (a stand-alone `ELU` after a
    /// convolution, as Keras 1 models are written) lets go of it before the next forward pass, so the
    /// convolution still writes the next batch into its storage instead of copying it first.
    func testAModelLetsLayersReuseStorageThatTheNextLayerKept() throws {
        var generator = SeededRandom(seed: 30)
        let model = try convolutionELUModel(using: &generator)
        func address(of node: String) -> Int {
            model.activation(of: node)!.scalars.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        }
        _ = try model.forward(randomTensor([4, 8, 8, 3], using: &generator))
        _ = model.backward(output: 0, unit: 0)
        let first = address(of: "conv"), count = model.activation(of: "conv")!.count
        let occupant = [Float](repeating: 0, count: count)  // would take the storage had the convolution let go of it
        _ = try model.forward(randomTensor([4, 8, 8, 3], using: &generator))
        XCTAssertEqual(address(of: "conv"), first)
        withExtendedLifetime(occupant) {}
    }

    /// After ``Model/releaseActivations()`` the model holds nothing of its pass: the caller's input is its
    /// own again (written in place, not copied first), and the next pass gives the same outputs.
    func testReleasingActivationsGivesTheInputBack() throws {
        var generator = SeededRandom(seed: 31)
        let model = try convolutionELUModel(using: &generator)
        var input = randomTensor([4, 8, 8, 3], using: &generator)
        let outputs = try model.forward(input)[0].scalars
        model.releaseActivations()
        XCTAssertNil(model.activation(of: "conv")?.shape)
        let address = input.scalars.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        input.scalars.withUnsafeMutableBufferPointer { $0[0] += 0 }
        XCTAssertEqual(input.scalars.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }, address, "the model still shared the input")
        XCTAssertEqual(try model.forward(input)[0].scalars, outputs)
    }

    /// The element-wise and resizing layers that split a large batch over the lanes give exactly the
    /// values of one lane, forward and backward (a softmax's rows stay whole).
    func testLayersSplitOverLanesGiveTheValuesOfOneLane() throws {
        var generator = SeededRandom(seed: 24)
        let normalization = try BatchNormalization(gamma: randomTensor([6], using: &generator), beta: randomTensor([6], using: &generator),
                                                   movingMean: randomTensor([6], using: &generator),
                                                   movingVariance: randomTensor([6], in: 0.5...2, using: &generator))
        let layers: [any Layer] = [
            normalization, try Activation(.elu(alpha: 0.7)), try Activation(.softmax), ELU(alpha: 0.7), LeakyReLU(alpha: 0.2),
            try ReLU(maxValue: 2, negativeSlope: 0.1, threshold: 0.5),
            try Resizing(height: 9, width: 14, method: .bilinearHalfPixel), try Resizing(height: 9, width: 14, method: .area),
        ]
        let x = randomTensor([5, 37, 71, 6], in: -3...3, using: &generator)  // 78,810 values: over the split threshold
        for layer in layers {
            let seed = randomTensor([5] + (try layer.outputShape(forInputShapes: [[37, 71, 6]])), using: &generator)
            for modifier in [nil, BackpropModifier.guided, .rectified] {
                let (y1, dx1) = withLanes(1) { (layer.forward(inputs: [x]), layer.backward(outputGradient: seed, modifier: modifier)) }
                let (y2, dx2) = withLanes(2) { (layer.forward(inputs: [x]), layer.backward(outputGradient: seed, modifier: modifier)) }
                XCTAssertEqual(y1, y2, "\(layer.name) forward")
                XCTAssertEqual(dx1, dx2, "\(layer.name) backward, modifier \(String(describing: modifier))")
            }
        }
    }

    /// A PilotNet-shaped model: the gradient of sample n in a batch of 32 equals that sample's gradient
    /// computed alone (saliency of a frame must not depend on its batch neighbours).
    func testBatchOf32GivesEachSampleItsBatchOf1Gradient() throws {
        var generator = SeededRandom(seed: 22)
        func conv(_ name: String, _ k: Int, _ cin: Int, _ cout: Int, _ s: Int) throws -> Conv2D {
            try Conv2D(name: name, kernel: randomTensor([k, k, cin, cout], in: -0.3...0.3, using: &generator),
                       bias: randomTensor([cout], in: -0.1...0.1, using: &generator), strides: (s, s), activation: .elu(alpha: 1))
        }
        let layers: [any Layer] = [
            try conv("c1", 5, 3, 8, 2), try conv("c2", 5, 8, 12, 2), try conv("c3", 3, 12, 16, 1), Flatten(name: "flat"),
            try Dense(name: "d1", kernel: randomTensor([4 * 11 * 16, 10], in: -0.1...0.1, using: &generator), activation: .elu(alpha: 1)),
            try Dense(name: "d2", kernel: randomTensor([10, 1], using: &generator)),
        ]
        let model = try Model(inputShape: [34, 64, 3], layers: layers)
        let batch = randomTensor([32, 34, 64, 3], using: &generator)
        _ = try model.forward(batch)
        let together = model.backward(output: 0, unit: 0)
        for n in [0, 1, 15, 16, 31] {
            _ = try model.forward(Tensor(shape: [1, 34, 64, 3], scalars: batch.item(n)))
            let alone = model.backward(output: 0, unit: 0)
            assertClose(Tensor(shape: alone.shape, scalars: together.item(n)), alone.scalars, tolerance: 1e-6)
        }
    }

    func testRecycledStorageNeverChangesATensorTheCallerKeeps() throws {
        var generator = SeededRandom(seed: 23)
        let conv = try Conv2D(kernel: randomTensor([3, 3, 2, 4], using: &generator), activation: .relu)
        let dense = try Dense(kernel: randomTensor([5, 3], using: &generator), bias: randomTensor([3], using: &generator))
        let (x1, x2) = (randomTensor([2, 6, 6, 2], using: &generator), randomTensor([2, 6, 6, 2], using: &generator))
        let y1 = conv.forward(x1)
        let dx1 = conv.backward(y1)
        let copies = (y1.scalars, dx1.scalars)
        let y2 = conv.forward(x2)
        let dx2 = conv.backward(y2)
        XCTAssertEqual(y1.scalars, copies.0)
        XCTAssertEqual(dx1.scalars, copies.1)
        XCTAssertNotEqual(y1, y2)
        XCTAssertNotEqual(dx1, dx2)
        // Same for Dense, and a third pass after the caller dropped its tensors still gives fresh values.
        let v = randomTensor([4, 5], using: &generator)
        let z1 = dense.forward(v), g1 = dense.backward(z1)
        let kept = (z1.scalars, g1.scalars)
        _ = dense.backward(dense.forward(randomTensor([4, 5], using: &generator)))
        XCTAssertEqual(z1.scalars, kept.0)
        XCTAssertEqual(g1.scalars, kept.1)
        XCTAssertEqual(conv.forward(x1), y1)
    }

    /// Once the caller has dropped what a layer returned, the next batch of the same shape is written into
    /// the same storage: no allocation (and no fresh pages to fault in) per batch. Forward for every layer
    /// on PilotNet-like paths; the input gradient too for the layers that hold it between batches
    /// (`Conv2D`, `Dense`, `Rescaling`; the others free theirs as the backward pass moves on).
    func testLayersWriteTheNextBatchIntoTheStorageTheCallerDropped() throws {
        var generator = SeededRandom(seed: 29)
        func address(_ tensor: Tensor) -> Int { tensor.scalars.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } }
        let conv = try Conv2D(kernel: randomTensor([3, 3, 2, 4], using: &generator), activation: .elu(alpha: 1))
        let dense = try Dense(kernel: randomTensor([72, 3], using: &generator), bias: randomTensor([3], using: &generator))
        let rescaling = Rescaling(scale: 1 / 127.5, offset: -1)
        let normalization = try BatchNormalization(gamma: randomTensor([3], using: &generator), beta: randomTensor([3], using: &generator),
                                                   movingMean: randomTensor([3], using: &generator), movingVariance: Tensor(shape: [3], scalars: [0.5, 1, 2]))
        let activation = try Activation(.elu(alpha: 1))
        let cropping = try Cropping2D(top: 2, bottom: 1, left: 1, right: 3)
        let resizing = try Resizing(height: 5, width: 7, method: .bilinearHalfPixel)
        let elu = ELU(), leaky = LeakyReLU()
        let cases: [(String, [Int], (Tensor) -> Tensor, ((Tensor) -> Tensor)?)] = [
            ("Conv2D", [2, 8, 8, 2], { conv.forward($0) }, { conv.backward($0) }),
            ("Dense", [4, 72], { dense.forward($0) }, { dense.backward($0) }),
            ("Rescaling", [2, 8, 8, 3], { rescaling.forward($0) }, { rescaling.backward($0) }),
            ("BatchNormalization", [2, 8, 8, 3], { normalization.forward($0) }, nil),
            ("Activation", [2, 8, 8, 3], { activation.forward($0) }, nil),
            ("Cropping2D", [2, 8, 9, 3], { cropping.forward($0) }, nil),
            ("Resizing", [2, 8, 9, 3], { resizing.forward($0) }, nil),
            ("ELU", [2, 8, 8, 3], { elu.forward($0) }, nil),
            ("LeakyReLU", [2, 8, 8, 3], { leaky.forward($0) }, nil),
        ]
        for (name, shape, forward, backward) in cases {
            var first = (output: 0, gradient: 0), counts = (output: 0, gradient: 0)
            do {
                let y = forward(randomTensor(shape, using: &generator)), dx = backward?(y)
                (first, counts) = ((address(y), dx.map(address) ?? 0), (y.count, dx?.count ?? 0))
            }
            // Had the layer let go of that storage, these same-sized arrays would now take it.
            let occupants = ([Float](repeating: 0, count: counts.output), [Float](repeating: 0, count: counts.gradient))
            let y = forward(randomTensor(shape, using: &generator))
            XCTAssertEqual(address(y), first.output, "\(name) forward")
            if let backward { XCTAssertEqual(address(backward(y)), first.gradient, "\(name) backward") }
            withExtendedLifetime(occupants) {}
        }
    }

    /// The vectorised ELU branch stays within a few ulps of `α·expm1` on `[−40, 0]`.
    func testELUNegativeBranchMatchesLibm() {
        var worstUlps: Float = 0, worstAt: Float = 0
        var x: Float = -40
        while x <= 0 {
            let expected = Foundation.expm1(x), actual = ActivationKind.eluNegativeBranch(x, alpha: 1)
            let ulps = abs(actual - expected) / max(expected.magnitude.ulp, Float.leastNormalMagnitude)
            if ulps > worstUlps { (worstUlps, worstAt) = (ulps, x) }
            x += 0.000_37
        }
        XCTAssertLessThanOrEqual(worstUlps, 2, "worst at x = \(worstAt)")
        XCTAssertEqual(ActivationKind.eluNegativeBranch(0, alpha: 1.7), 0)
        XCTAssertEqual(ActivationKind.eluNegativeBranch(-.infinity, alpha: 2), -2)
        XCTAssertTrue(ActivationKind.eluNegativeBranch(.nan, alpha: 1).isNaN)
        let tiny: Float = -1e-30
        XCTAssertEqual(ActivationKind.eluNegativeBranch(tiny, alpha: 1), tiny)
    }

    /// The vectorised ELU derivative stays within 2 ulp of `α·exp` on `[−87, 0]` (the stand-alone layer's
    /// backward used libm's `exp` before).
    func testELUDerivativeBranchMatchesLibm() {
        var worstUlps: Float = 0, worstAt: Float = 0
        var x: Float = -87
        while x <= 0 {
            let expected = Foundation.exp(x), actual = ActivationKind.eluDerivativeNegativeBranch(x, alpha: 1)
            let ulps = abs(actual - expected) / max(expected.ulp, Float.leastNormalMagnitude)
            if ulps > worstUlps { (worstUlps, worstAt) = (ulps, x) }
            x += 0.000_37
        }
        XCTAssertLessThanOrEqual(worstUlps, 2, "worst at x = \(worstAt)")
        XCTAssertEqual(ActivationKind.eluDerivativeNegativeBranch(0, alpha: 1.7), 1.7)
        XCTAssertEqual(ActivationKind.eluDerivativeNegativeBranch(-.infinity, alpha: 2), 2 * ActivationKind.eluDerivativeNegativeBranch(-87, alpha: 1))
        XCTAssertLessThan(ActivationKind.eluDerivativeNegativeBranch(-.infinity, alpha: 1), 1e-37)
        XCTAssertTrue(ActivationKind.eluDerivativeNegativeBranch(.nan, alpha: 1).isNaN)
    }

    /// The fused bias + ELU epilogue returns exactly the bits of `x > 0 ? x : eluNegativeBranch(x)` on
    /// `x + bias`, with and without bias, NaN and infinities included.
    func testFusedELUEqualsTheSwiftReferenceBitForBit() {
        var generator = SeededRandom(seed: 7)
        let features = 13, rows = 37
        var inputs = (0..<(rows * features)).map { _ in Float.random(in: -45...8, using: &generator) }
        inputs[0...7] = [0, -0.0, .nan, -.infinity, .infinity, -30, -29.999, 1e-30]
        let bias = (0..<features).map { _ in Float.random(in: -2...2, using: &generator) }
        for alpha: Float in [1, 0.3] {
            for biased in [false, true] {
                var values = inputs
                values.withUnsafeMutableBufferPointer { buffer in
                    bias.withUnsafeBufferPointer { b in
                        ActivationKind.elu(alpha: alpha).apply(buffer.baseAddress!, count: buffer.count, addingBias: biased ? b.baseAddress : nil, featureCount: features)
                    }
                }
                for (index, input) in inputs.enumerated() {
                    let x = biased ? input + bias[index % features] : input
                    let expected = x > 0 ? x : ActivationKind.eluNegativeBranch(x, alpha: alpha)
                    XCTAssertEqual(values[index].bitPattern, expected.bitPattern, "x = \(x), α = \(alpha), bias \(biased)")
                }
            }
        }
    }

    /// The recorder keeps every GEMM of a pass whichever lane ran it. Lanes take chunks in turn, so how
    /// many each runs is the scheduler's choice (a lane that starts late may run none); GEMMs issued by
    /// both lanes at once both arrive, labelled with their lane.
    func testRecordingListsEveryLanesGEMMs() throws {
        var generator = SeededRandom(seed: 24)
        let conv = try Conv2D(kernel: randomTensor([3, 3, 2, 4], using: &generator), strides: (2, 2))
        let x = randomTensor([4, 9, 9, 2], using: &generator)
        conv.scratchBudget = 1
        conv.allowsDirectConvolution = false  // 2 channels would convolve without sgemm on AVX-512
        let calls = withLanes(2) {
            BLAS.recordingCalls { _ = conv.backward(conv.forward(x)) }
        }
        // 4 items, 2 lanes, one item per chunk: 4 forward and 4 backward GEMMs of 16 rows each.
        XCTAssertEqual(calls.count, 8)
        XCTAssertTrue(Set(calls.map(\.lane)).isSubset(of: [0, 1]))
        let matrix: [Float] = [1, 2, 3, 4]
        let concurrent = BLAS.recordingCalls {
            Parallelism.forEachLane(2) { lane in
                var product = [Float](repeating: 0, count: 4)
                product.withUnsafeMutableBufferPointer { sgemm(m: 2, n: 2, k: 2, a: matrix, lda: 2, b: matrix, ldb: 2, beta: 0, c: $0.baseAddress!, ldc: 2, lane: lane) }
            }
        }
        XCTAssertEqual(concurrent.map(\.lane).sorted(), [0, 1])
        XCTAssertTrue(calls.allSatisfy { $0.m == 16 })
        XCTAssertEqual(calls.filter { !$0.transposeB }.map(\.n), [4, 4, 4, 4])
        XCTAssertEqual(calls.filter { $0.transposeB }.map(\.n), [18, 18, 18, 18])
        XCTAssertTrue(BLAS.recordingCalls {}.isEmpty)
    }

    func testBLASThreadsAndLanesNeverCombine() {
        let (lanes, threads) = (Parallelism.laneCount, BLAS.threadCount)
        defer {
            BLAS.setThreadCount(threads)
            Parallelism.setLaneCount(lanes)
        }
        BLAS.setThreadCount(2)
        XCTAssertEqual(Parallelism.laneCount, 1)
        Parallelism.setLaneCount(2)
        XCTAssertEqual(BLAS.threadCount, 1)
    }
}
