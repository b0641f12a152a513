import NeuralNet

/// The `visualbackprop` method (Bojarski et al. 2016, arXiv 1611.05418, Fig. 2) on the batch's
/// forward pass, with no backward pass:
///
/// 1. per convolution `i` (see ``VisualBackPropPlan``), `Mᵢ = max(mean_c Aᵢ, 0)` over its post-activation
///    output `[hᵢ, wᵢ]` — clipped at 0: the paper's ReLU maps are non-negative; on ELU or linear layers a
///    negative mean means "inactive", and without the clip products of negatives would flip sign;
/// 2. from the deepest, `V ← Mₙ`; for `i = n … 1`: `V ← Uᵢ(V)` with `Uᵢ` the adjoint of a single-channel
///    all-ones convolution with layer `i`'s kernel size, strides and padding (a transposed convolution of
///    ones, cut to the exact input size); then `V ← V ⊙ Mᵢ₋₁` while `i > 1`;
/// 3. `V` is placed back into the model input at the crop's origin (zeros outside);
/// 4. display `(V − min V)/(max V − min V)` **without ε** (all zeros when constant), so averaging or
///    summing channels gives the same map even when the products are ~1e-7; importance `V` itself.
///
/// Products in Double. The single map kind is ``mask``: VisualBackProp does not depend on the objective.
public final class VisualBackPropExplainer: Explainer {
    /// The one map VisualBackProp makes (`DIR/visualbackprop/mask/`).
    public static let mask = SaliencyMapKind(name: "mask", modifier: .identity)

    public let model: Model
    public let plan: VisualBackPropPlan
    public var method: ExplanationMethod { .visualbackprop }
    public var kinds: [SaliencyMapKind] { [Self.mask] }
    public var runsOwnForwardPasses: Bool { false }

    /// - Throws: ``SaliencyError/visualBackPropUnsupported(detail:)`` for stacks it is not defined on.
    public init(model: Model) throws {
        self.model = model
        plan = try VisualBackPropPlan(model: model)
    }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        let items = batch.shape[0], (height, width) = (plan.inputSize[0], plan.inputSize[1])
        let activations = plan.stages.map { model.activation(of: $0.averaged)! }
        let count = height * width
        var importance = [Float](repeating: 0, count: items * count), display = [Float](repeating: 0, count: items * count)
        importance.withUnsafeMutableBufferPointer { importanceBuffer in
            display.withUnsafeMutableBufferPointer { displayBuffer in
                let (importanceBase, displayBase) = (importanceBuffer.baseAddress!, displayBuffer.baseAddress!)
                let lanes = max(1, min(Parallelism.laneCount, items))
                Parallelism.forEachLane(lanes) { lane in
                    var scratch = Scratch(plan: self.plan)
                    for item in (lane * items / lanes)..<((lane + 1) * items / lanes) {
                        let mask = self.mask(item: item, activations: activations, scratch: &scratch)
                        let (values, shown) = (importanceBase + item * count, displayBase + item * count)
                        mask.withUnsafeBufferPointer { mask in
                            var (low, high) = (mask[0], mask[0])
                            for value in mask { (low, high) = (min(low, value), max(high, value)) }
                            let inverse = high > low ? 1 / (high - low) : 0
                            for index in 0..<count {
                                values[index] = Float(mask[index])
                                shown[index] = Float((mask[index] - low) * inverse)
                            }
                        }
                    }
                }
            }
        }
        return MethodExplanation(method: .visualbackprop, maps: [Self.mask: KindMaps(
            display: Tensor(shape: [items, height, width], scalars: display), importance: Tensor(shape: [items, height, width], scalars: importance))])
    }

    /// Steps 1–3 for one item: `[H, W]` of the model input, non-negative.
    func mask(item: Int, activations: [Tensor]) -> [Double] {
        var scratch = Scratch(plan: plan)
        return Array(mask(item: item, activations: activations, scratch: &scratch))
    }

    /// A lane's working maps, sized for the largest stage, reused item after item.
    struct Scratch {
        var value: [Double], upscaled: [Double], placed: [Double]
        init(plan: VisualBackPropPlan) {
            let largest = plan.stages.map { $0.inputSize[0] * $0.inputSize[1] }.max() ?? 0
            (value, upscaled, placed) = ([Double](repeating: 0, count: largest), [Double](repeating: 0, count: largest),
                                         [Double](repeating: 0, count: plan.inputSize[0] * plan.inputSize[1]))
        }
    }

    /// Steps 1–3 into `scratch`; the result is a view of the model-input-sized map.
    private func mask(item: Int, activations: [Tensor], scratch: inout Scratch) -> ArraySlice<Double> {
        for (index, stage) in plan.stages.enumerated().reversed() {
            scratch.value.withUnsafeMutableBufferPointer { value in
                Self.clippedChannelMean(activations[index], item: item, into: value.baseAddress!, multiplying: index < plan.stages.count - 1)
                scratch.upscaled.withUnsafeMutableBufferPointer { upscaled in
                    Self.adjointOfOnes(UnsafePointer(value.baseAddress!), into: upscaled.baseAddress!, stage: stage)
                }
            }
            swap(&scratch.value, &scratch.upscaled)
        }
        let first = plan.stages[0], firstCount = first.inputSize[0] * first.inputSize[1]
        guard first.inputSize != plan.inputSize else { return scratch.value[0..<firstCount] }
        for index in scratch.placed.indices { scratch.placed[index] = 0 }
        for row in 0..<first.inputSize[0] {
            let target = (row + plan.cropOrigin[0]) * plan.inputSize[1] + plan.cropOrigin[1], source = row * first.inputSize[1]
            scratch.placed[target..<(target + first.inputSize[1])] = scratch.value[source..<(source + first.inputSize[1])]
        }
        return scratch.placed[...]
    }

    /// `max(mean_c A[item], 0)` over `[h, w]` (channel sums in Float, four channels at a time, the mean in
    /// Double), written to `map`, or multiplied into it (`map ⊙ M`) when `multiplying`.
    static func clippedChannelMean(_ activation: Tensor, item: Int, into map: UnsafeMutablePointer<Double>, multiplying: Bool) {
        let channels = activation.shape[3], positions = activation.shape[1] * activation.shape[2]
        let base = item * positions * channels, scale = 1 / Double(channels), quads = channels / 4
        activation.scalars.withUnsafeBufferPointer { buffer in
            let a = buffer.baseAddress! + base
            for position in 0..<positions {
                let row = a + position * channels
                var lanes = SIMD4<Float>.zero
                for quad in 0..<quads { lanes += SIMD4(row[4 * quad], row[4 * quad + 1], row[4 * quad + 2], row[4 * quad + 3]) }
                var sum = lanes.sum()
                for channel in (4 * quads)..<channels { sum += row[channel] }
                let mean = max(Double(sum) * scale, 0)
                map[position] = multiplying ? map[position] * mean : mean
            }
        }
    }

    /// The adjoint of `y[o] = Σ_{k} x[o·s − p + k]` (all-ones kernel, zero padding): every output value
    /// is added to each input position its window covers. `map` `[h_out, w_out]` → `result` `[h_in, w_in]`.
    /// The kernel is separable: spread along the columns first (`[h_out, w_in]`), then along the rows.
    static func adjointOfOnes(_ map: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>, stage: VisualBackPropPlan.Stage) {
        let (inRows, inColumns) = (stage.inputSize[0], stage.inputSize[1]), (outRows, outColumns) = (stage.outputSize[0], stage.outputSize[1])
        /// The input positions window `o` covers along one axis, clipped to `0..<size`.
        func window(_ o: Int, _ axis: Int, size: Int) -> Range<Int> {
            let start = o * stage.strides[axis] - stage.padBefore[axis]
            return max(start, 0)..<min(start + stage.kernel[axis], size)
        }
        let columnWindows = (0..<outColumns).map { window($0, 1, size: inColumns) }
        var spread = [Double](repeating: 0, count: outRows * inColumns)
        spread.withUnsafeMutableBufferPointer { spread in
            for row in 0..<outRows {
                let source = map + row * outColumns, target = spread.baseAddress! + row * inColumns
                for column in 0..<outColumns {
                    let value = source[column]
                    for x in columnWindows[column] { target[x] += value }
                }
            }
            result.update(repeating: 0, count: inRows * inColumns)
            for row in 0..<outRows {
                let source = spread.baseAddress! + row * inColumns
                for y in window(row, 0, size: inRows) {
                    let target = result + y * inColumns
                    for x in 0..<inColumns { target[x] += source[x] }
                }
            }
        }
    }
}
