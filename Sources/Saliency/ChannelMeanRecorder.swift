import NeuralNet

/// VisualBackProp's clipped channel means `max(mean_c A, 0)`, recorded by the convolutions themselves
/// during the forward pass (``Conv2D/outputChunkObserver``) while each chunk of output rows is still in
/// cache, instead of read back from memory after the pass (PilotNet's first layer alone is 9 MB at
/// batch 32). Only for stages that average their convolution's own output (activation fused); the
/// others are computed from the cached activation. The values are the same bits either way
/// (``clippedChannelMeans(_:positions:channels:into:multiplying:)`` does both).
///
/// Contract: after ``arm(items:)`` the model's next forward pass is the batch the means belong to
/// (``ExplanationSuite`` calls ``VisualBackPropExplainer/willRunForward(items:)`` right before it).
final class ChannelMeanRecorder {
    /// Per stage: the convolution that records, and its output positions `h·w`; `nil` when not recordable.
    private let recorders: [(layer: Conv2D, positions: Int)?]
    /// Per stage, `[items, positions]` means while armed.
    private var buffers: [UnsafeMutableBufferPointer<Double>?]
    /// Items of the armed pass; 0 when disarmed.
    private(set) var items = 0

    init(model: Model, plan: VisualBackPropPlan) {
        recorders = plan.stages.map { stage in
            guard stage.averaged == stage.convolution, let layer = model.layer(named: stage.convolution) as? Conv2D else { return nil }
            return (layer, stage.outputSize[0] * stage.outputSize[1])
        }
        buffers = recorders.map { _ in nil }
    }

    deinit {
        disarm()
        for buffer in buffers { buffer?.deallocate() }
    }

    /// Installs the observers for a pass of `items` items (buffers grow as needed, never shrink).
    func arm(items: Int) {
        disarm()
        guard items > 0 else { return }
        for (index, recorder) in recorders.enumerated() {
            guard let (layer, positions) = recorder else { continue }
            if (buffers[index]?.count ?? 0) < items * positions {
                buffers[index]?.deallocate()
                buffers[index] = .allocate(capacity: items * positions)
            }
            let means = buffers[index]!.baseAddress!, channels = layer.filters
            layer.outputChunkObserver = { rows, first, count in
                guard first + count <= items else { return }  // not the armed pass
                for item in 0..<count {
                    clippedChannelMeans(rows + item * positions * channels, positions: positions, channels: channels,
                                        into: means + (first + item) * positions, multiplying: false)
                }
            }
        }
        self.items = items
    }

    /// Removes the observers; nothing is recorded until the next ``arm(items:)``.
    func disarm() {
        for recorder in recorders { recorder?.layer.outputChunkObserver = nil }
        items = 0
    }

    /// Stage `stage`'s means for `item` (`[h, w]`), or `nil` when that stage is not recorded.
    func means(stage: Int, item: Int) -> UnsafePointer<Double>? {
        guard items > item, let recorder = recorders[stage], let buffer = buffers[stage] else { return nil }
        return UnsafePointer(buffer.baseAddress! + item * recorder.positions)
    }
}

/// `max(mean_c a, 0)` for `positions` rows of `channels` floats at `a` (channel sums in Float, four
/// channels at a time, the mean in Double), written to `map`, or multiplied into it (`map ⊙ M`) when
/// `multiplying`. Four positions are summed side by side (independent chains); each position's additions
/// keep their order.
func clippedChannelMeans(_ a: UnsafePointer<Float>, positions: Int, channels: Int, into map: UnsafeMutablePointer<Double>, multiplying: Bool) {
    let scale = 1 / Double(channels), quads = channels / 4
    let raw = UnsafeRawPointer(a), stride = channels * MemoryLayout<Float>.size
    /// The Float sum of one position's channels: four lanes, their sum, then the leftover channels.
    @inline(__always) func finish(_ lanes: SIMD4<Float>, _ position: Int) {
        var sum = lanes.sum()
        let row = a + position * channels
        for channel in (4 * quads)..<channels { sum += row[channel] }
        let mean = max(Double(sum) * scale, 0)
        map[position] = multiplying ? map[position] * mean : mean
    }
    var position = 0
    while position + 4 <= positions {
        var (s0, s1, s2, s3) = (SIMD4<Float>.zero, SIMD4<Float>.zero, SIMD4<Float>.zero, SIMD4<Float>.zero)
        let row = raw + position * stride
        for quad in 0..<quads {
            let offset = quad * 16
            s0 += row.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            s1 += row.loadUnaligned(fromByteOffset: stride + offset, as: SIMD4<Float>.self)
            s2 += row.loadUnaligned(fromByteOffset: 2 * stride + offset, as: SIMD4<Float>.self)
            s3 += row.loadUnaligned(fromByteOffset: 3 * stride + offset, as: SIMD4<Float>.self)
        }
        finish(s0, position); finish(s1, position + 1); finish(s2, position + 2); finish(s3, position + 3)
        position += 4
    }
    for last in position..<positions {
        var lanes = SIMD4<Float>.zero
        for quad in 0..<quads { lanes += (raw + last * stride).loadUnaligned(fromByteOffset: quad * 16, as: SIMD4<Float>.self) }
        finish(lanes, last)
    }
}
