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
    /// Per stage, which outputs of the all-ones convolution cover each input row and column.
    private let covers: [Covers]
    /// The channel means the convolutions record during the suite's forward pass.
    private let recorder: ChannelMeanRecorder

    /// - Throws: ``SaliencyError/visualBackPropUnsupported(detail:)`` for stacks it is not defined on.
    public init(model: Model) throws {
        self.model = model
        plan = try VisualBackPropPlan(model: model)
        covers = plan.stages.map(Covers.init)
        recorder = ChannelMeanRecorder(model: model, plan: plan)
    }

    /// Arms the convolutions to record their channel means during the coming pass.
    public func willRunForward(items: Int) { recorder.arm(items: items) }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        let items = batch.shape[0], (height, width) = (plan.inputSize[0], plan.inputSize[1])
        let activations = plan.stages.map { model.activation(of: $0.averaged)! }
        // Means recorded during this batch's pass, else (called without the suite) read from the activations.
        let recorded: ChannelMeanRecorder? = recorder.items == items ? recorder : nil
        defer { recorder.disarm() }
        let count = height * width
        // Every value is written below: no zero fill.
        var importance = [Float](unsafeUninitializedCapacity: items * count) { $1 = items * count }
        var display = [Float](unsafeUninitializedCapacity: items * count) { $1 = items * count }
        importance.withUnsafeMutableBufferPointer { importanceBuffer in
            display.withUnsafeMutableBufferPointer { displayBuffer in
                let (importanceBase, displayBase) = (importanceBuffer.baseAddress!, displayBuffer.baseAddress!)
                let lanes = max(1, min(Parallelism.laneCount, items))
                Parallelism.forEachLane(lanes) { lane in
                    var scratch = Scratch(plan: self.plan)
                    for item in (lane * items / lanes)..<((lane + 1) * items / lanes) {
                        let mask = self.mask(item: item, activations: activations, recorded: recorded, scratch: &scratch)
                        let (values, shown) = (importanceBase + item * count, displayBase + item * count)
                        mask.withUnsafeBufferPointer { mask in
                            let (low, high) = Self.range(of: mask)
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

    /// The smallest and largest value of a non-empty map, eight lanes at a time (the map is finite and
    /// non-negative, so the lanes' order does not matter).
    static func range(of map: UnsafeBufferPointer<Double>) -> (low: Double, high: Double) {
        var low = SIMD8<Double>(repeating: map[0]), high = low
        let whole = map.count / 8 * 8, raw = UnsafeRawPointer(map.baseAddress!)
        for index in stride(from: 0, to: whole, by: 8) {
            let values = raw.loadUnaligned(fromByteOffset: index * 8, as: SIMD8<Double>.self)
            low.replace(with: values, where: values .< low)
            high.replace(with: values, where: values .> high)
        }
        var (smallest, largest) = (low.min(), high.max())
        for value in map[whole...] { (smallest, largest) = (min(smallest, value), max(largest, value)) }
        return (smallest, largest)
    }

    /// Steps 1–3 for one item: `[H, W]` of the model input, non-negative.
    func mask(item: Int, activations: [Tensor]) -> [Double] {
        var scratch = Scratch(plan: plan)
        return Array(mask(item: item, activations: activations, recorded: nil, scratch: &scratch))
    }

    /// A lane's working maps, sized for the largest stage, reused item after item.
    struct Scratch {
        var value: [Double], upscaled: [Double], spread: [Double], placed: [Double]
        init(plan: VisualBackPropPlan) {
            let largest = plan.stages.map { $0.inputSize[0] * $0.inputSize[1] }.max() ?? 0
            let spread = plan.stages.map { $0.outputSize[0] * $0.inputSize[1] }.max() ?? 0
            (value, upscaled) = ([Double](repeating: 0, count: largest), [Double](repeating: 0, count: largest))
            self.spread = [Double](repeating: 0, count: spread)
            placed = [Double](repeating: 0, count: plan.inputSize[0] * plan.inputSize[1])
        }
    }

    /// Steps 1–3 into `scratch`; the result is a view of the model-input-sized map.
    private func mask(item: Int, activations: [Tensor], recorded: ChannelMeanRecorder?, scratch: inout Scratch) -> ArraySlice<Double> {
        for index in plan.stages.indices.reversed() {
            scratch.value.withUnsafeMutableBufferPointer { value in
                let multiplying = index < plan.stages.count - 1
                if let means = recorded?.means(stage: index, item: item) {
                    let map = value.baseAddress!, stage = plan.stages[index]
                    for position in 0..<(stage.outputSize[0] * stage.outputSize[1]) {
                        map[position] = multiplying ? map[position] * means[position] : means[position]
                    }
                } else {
                    Self.clippedChannelMean(activations[index], item: item, into: value.baseAddress!, multiplying: multiplying)
                }
                scratch.upscaled.withUnsafeMutableBufferPointer { upscaled in
                    scratch.spread.withUnsafeMutableBufferPointer { spread in
                        Self.adjointOfOnes(UnsafePointer(value.baseAddress!), into: upscaled.baseAddress!, stage: plan.stages[index],
                                           covers: covers[index], spread: spread.baseAddress!)
                    }
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

    /// `max(mean_c A[item], 0)` over `[h, w]` of a cached activation `[N, h, w, C]` (see
    /// ``clippedChannelMeans(_:positions:channels:into:multiplying:)``).
    static func clippedChannelMean(_ activation: Tensor, item: Int, into map: UnsafeMutablePointer<Double>, multiplying: Bool) {
        let channels = activation.shape[3], positions = activation.shape[1] * activation.shape[2]
        activation.scalars.withUnsafeBufferPointer { buffer in
            clippedChannelMeans(buffer.baseAddress! + item * positions * channels, positions: positions, channels: channels,
                                into: map, multiplying: multiplying)
        }
    }

    /// Which outputs of a stage's all-ones convolution read each input position, per axis: output `o`
    /// reads inputs `o·s − p ..< o·s − p + k` (clipped to the input), so input `x` is read by a
    /// contiguous, ascending range of outputs (empty where the windows skip it).
    struct Covers {
        let rows: [Range<Int>]
        /// The column covers padded to `columnTaps` each, for a loop without data-dependent branches:
        /// tap `j` of input column `x` is output `columnIndex[x·taps + j]` with weight 1, or a padding tap
        /// of weight 0 (`sum + 0·v` is `sum` exactly for the finite, non-negative maps summed here).
        let columnIndex: [Int], columnWeight: [Double], columnTaps: Int

        init(_ stage: VisualBackPropPlan.Stage) {
            func covers(_ axis: Int) -> [Range<Int>] {
                var low = [Int](repeating: .max, count: stage.inputSize[axis]), high = [Int](repeating: -1, count: stage.inputSize[axis])
                for o in 0..<stage.outputSize[axis] {
                    let start = o * stage.strides[axis] - stage.padBefore[axis]
                    for x in max(start, 0)..<max(min(start + stage.kernel[axis], stage.inputSize[axis]), max(start, 0)) {
                        (low[x], high[x]) = (min(low[x], o), max(high[x], o))
                    }
                }
                return zip(low, high).map { $1 < 0 ? 0..<0 : $0..<($1 + 1) }
            }
            rows = covers(0)
            let columns = covers(1), taps = max(columns.map(\.count).max() ?? 0, 1)
            var index = [Int](repeating: 0, count: columns.count * taps), weight = [Double](repeating: 0, count: columns.count * taps)
            for (x, cover) in columns.enumerated() {
                for (j, o) in cover.enumerated() { (index[x * taps + j], weight[x * taps + j]) = (o, 1) }
            }
            (columnIndex, columnWeight, columnTaps) = (index, weight, taps)
        }
    }

    /// The adjoint of `y[o] = Σ_{k} x[o·s − p + k]` (all-ones kernel, zero padding): every output value
    /// is added to each input position its window covers. `map` `[h_out, w_out]` → `result` `[h_in, w_in]`,
    /// through `spread` (`[h_out, w_in]`, scratch). Separable: along the columns first, then the rows, each
    /// input position gathering the outputs that cover it in ascending order (the sums a scatter over the
    /// outputs makes, bit for bit).
    static func adjointOfOnes(_ map: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>, stage: VisualBackPropPlan.Stage,
                              covers: Covers, spread: UnsafeMutablePointer<Double>) {
        let (inRows, inColumns) = (stage.inputSize[0], stage.inputSize[1]), (outRows, outColumns) = (stage.outputSize[0], stage.outputSize[1])
        let taps = covers.columnTaps
        covers.columnIndex.withUnsafeBufferPointer { index in
            covers.columnWeight.withUnsafeBufferPointer { weight in
                let (index, weight) = (index.baseAddress!, weight.baseAddress!)
                for row in 0..<outRows {
                    let source = map + row * outColumns, target = spread + row * inColumns
                    /// Output `j`'s term; `0 + t₀ + t₁ …` in tap order, unrolled for the usual 2 or 3 taps.
                    @inline(__always) func term(_ j: Int) -> Double { weight[j] * source[index[j]] }
                    switch taps {
                    case 2: for x in 0..<inColumns { target[x] = 0 + term(2 * x) + term(2 * x + 1) }
                    case 3: for x in 0..<inColumns { target[x] = 0 + term(3 * x) + term(3 * x + 1) + term(3 * x + 2) }
                    default:
                        for x in 0..<inColumns {
                            var sum: Double = 0
                            for j in (x * taps)..<(x * taps + taps) { sum += term(j) }
                            target[x] = sum
                        }
                    }
                }
            }
        }
        for y in 0..<inRows {
            let target = result + y * inColumns
            target.update(repeating: 0, count: inColumns)
            for o in covers.rows[y] {
                let source = spread + o * inColumns
                for x in 0..<inColumns { target[x] += source[x] }
            }
        }
    }
}
