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
        var importance = [Float](repeating: 0, count: items * count)
        importance.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let lanes = max(1, min(Parallelism.laneCount, items))
            Parallelism.forEachLane(lanes) { lane in
                for item in (lane * items / lanes)..<((lane + 1) * items / lanes) {
                    for (index, value) in self.mask(item: item, activations: activations).enumerated() { base[item * count + index] = Float(value) }
                }
            }
        }
        var display = importance
        for item in 0..<items {
            let values = importance[(item * count)..<((item + 1) * count)]
            let low = Double(values.min()!), high = Double(values.max()!)
            for index in (item * count)..<((item + 1) * count) {
                display[index] = high > low ? Float((Double(importance[index]) - low) / (high - low)) : 0
            }
        }
        return MethodExplanation(method: .visualbackprop, maps: [Self.mask: KindMaps(
            display: Tensor(shape: [items, height, width], scalars: display), importance: Tensor(shape: [items, height, width], scalars: importance))])
    }

    /// Steps 1–3 for one item: `[H, W]` of the model input, non-negative.
    func mask(item: Int, activations: [Tensor]) -> [Double] {
        var value: [Double] = []
        for (index, stage) in plan.stages.enumerated().reversed() {
            let averaged = Self.clippedChannelMean(activations[index], item: item)
            value = index == plan.stages.count - 1 ? averaged : zip(value, averaged).map { $0 * $1 }
            value = Self.adjointOfOnes(value, stage: stage)
        }
        let first = plan.stages[0]
        guard first.inputSize != plan.inputSize else { return value }
        var placed = [Double](repeating: 0, count: plan.inputSize[0] * plan.inputSize[1])
        for row in 0..<first.inputSize[0] {
            for column in 0..<first.inputSize[1] {
                placed[(row + plan.cropOrigin[0]) * plan.inputSize[1] + column + plan.cropOrigin[1]] = value[row * first.inputSize[1] + column]
            }
        }
        return placed
    }

    /// `max(mean_c A[item], 0)`, `[h, w]`.
    static func clippedChannelMean(_ activation: Tensor, item: Int) -> [Double] {
        let channels = activation.shape[3], positions = activation.shape[1] * activation.shape[2]
        let base = item * positions * channels
        return activation.scalars.withUnsafeBufferPointer { a in
            (0..<positions).map { position in
                var sum = 0.0
                for channel in 0..<channels { sum += Double(a[base + position * channels + channel]) }
                return max(sum / Double(channels), 0)
            }
        }
    }

    /// The adjoint of `y[o] = Σ_{k} x[o·s − p + k]` (all-ones kernel, zero padding): every output value
    /// is added to each input position its window covers. `[h_out, w_out]` → `[h_in, w_in]`.
    static func adjointOfOnes(_ map: [Double], stage: VisualBackPropPlan.Stage) -> [Double] {
        let (inRows, inColumns) = (stage.inputSize[0], stage.inputSize[1]), (outRows, outColumns) = (stage.outputSize[0], stage.outputSize[1])
        var result = [Double](repeating: 0, count: inRows * inColumns)
        for row in 0..<outRows {
            for column in 0..<outColumns {
                let value = map[row * outColumns + column]
                guard value != 0 else { continue }
                for kernelRow in 0..<stage.kernel[0] {
                    let y = row * stage.strides[0] - stage.padBefore[0] + kernelRow
                    guard y >= 0, y < inRows else { continue }
                    for kernelColumn in 0..<stage.kernel[1] {
                        let x = column * stage.strides[1] - stage.padBefore[1] + kernelColumn
                        if x >= 0, x < inColumns { result[y * inColumns + x] += value }
                    }
                }
            }
        }
        return result
    }
}
