import Foundation

/// Batch normalisation along any one axis (Keras `BatchNormalization`, Keras 1 modes 0, 1 and 2).
///
/// Layout: any `[N, ...]` (NHWC images, `[N, features]` vectors). The normalised axis is ``axis``,
/// counted in the item shape without the batch (`-1` = last = channels, `0` = rows of an `[H, W, C]`
/// image, i.e. Keras `axis=1`); `gamma`, `beta`, `movingMean`, `movingVariance` have one entry per
/// index of that axis (`[H]` for rows). `gamma`/`beta` are `nil` for `scale=False`/`center=False`.
/// With `k` the index of an element along ``axis``:
/// - ``Statistics/moving``: `y = (x − mean[k])/√(variance[k] + ε)·γ[k] + β[k]` with the stored moving
///   statistics, folded as TensorFlow does into `y = x·a[k] + (β[k] − mean[k]·a[k])`.
/// - ``Statistics/perSample``: Keras 1 `mode=2` (the current batch's statistics, also at inference),
///   evaluated as a batch of ONE frame — how a driving script calls `predict` — so a frame's output never
///   depends on the other frames of a batch. Per sample and per `k`, mean and biased variance over every
///   other axis; `y = (x − μ)/√(σ² + ε)·γ[k] + β[k]`.
/// - ``Statistics/sampleWise``: Keras 1 `mode=1`, per sample and per position, mean and biased variance
///   over the LAST axis; Keras 1.2 computes `(x − μ)/(√(σ² + ε) + ε)·γ + β` (ε twice). ``axis`` must be
///   the last axis.
///
/// Backward is the true gradient, including the dependence of the statistics on `x`: with `s = √(σ² + ε)`,
/// `d = s` (mode 2) or `s + ε` (mode 1), `x̂ = (x − μ)/d` and `g = dy·γ` over one group of `m` elements,
/// `dx = (g − mean(g))/d − x̂·mean(g·x̂)/s`.
/// See https://keras.io/api/layers/normalization_layers/batch_normalization/, Ioffe & Szegedy 2015, and
/// Keras 1.2.2 `keras/layers/normalization.py`.
public final class BatchNormalization: UnaryLayer {
    /// Where the normalisation statistics come from.
    public enum Statistics: Sendable, Hashable {
        /// The stored moving mean and variance (Keras 2/3 inference, Keras 1 mode 0).
        case moving
        /// Each sample's own statistics over every axis but ``axis`` (Keras 1 `mode=2`, one sample per batch).
        case perSample
        /// Each sample's statistics over the last axis, per position (Keras 1 `mode=1`).
        case sampleWise
    }

    public let name: String
    public let gamma: Tensor?
    public let beta: Tensor?
    /// `[extent of axis]`; unused (may be `nil`) for batch statistics.
    public let movingMean: Tensor?
    public let movingVariance: Tensor?
    public let epsilon: Float
    public let statistics: Statistics
    /// The normalised axis in the item shape (batch excluded); negative counts from the end.
    public let axis: Int
    public var typeName: String { "BatchNormalization" }
    public var parameterCount: Int {
        [gamma, beta, movingMean, movingVariance].reduce(0) { $0 + ($1?.count ?? 0) }
    }
    /// The extent of ``axis`` (the number of entries of gamma/beta/statistics).
    public let channels: Int

    // Moving statistics folded into y = x·scale[k] + shift[k].
    private let scale: [Float]
    private let shift: [Float]
    // Batch-statistics cache: x̂ per element, and 1/d and 1/s per group.
    private var normalized: Tensor?
    private var inverseDivisor: [Float] = []
    private var inverseDeviation: [Float] = []
    // The storage the next batch's output is written into.
    private var recycledOutput: Tensor?

    /// - Parameters:
    ///   - epsilon: Keras default `1e-3`.
    ///   - axis: the normalised axis in the item shape (without batch); `-1` is the channel axis.
    public init(
        name: String = "batch_normalization", gamma: Tensor?, beta: Tensor?,
        movingMean: Tensor?, movingVariance: Tensor?, epsilon: Float = 1e-3, statistics: Statistics = .moving,
        axis: Int = -1
    ) throws {
        let counts = [gamma, beta, movingMean, movingVariance].compactMap { $0?.count }
        guard let channels = counts.first, counts.allSatisfy({ $0 == channels }), channels > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "gamma/beta/mean/variance must be present with one equal length, got \(counts)")
        }
        if statistics == .moving, movingMean == nil || movingVariance == nil {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "moving statistics need moving_mean and moving_variance")
        }
        if statistics == .sampleWise, axis != -1 {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "sample-wise statistics (Keras 1 mode=1) normalise the last axis, got axis \(axis)")
        }
        if statistics == .moving, let movingVariance, movingVariance.scalars.contains(where: { !($0 + epsilon > 0) }) {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "variance + epsilon must be positive")
        }
        guard epsilon >= 0 else { throw NeuralNetError.invalidConfiguration(layer: name, detail: "epsilon must be >= 0, got \(epsilon)") }
        self.name = name
        self.gamma = gamma
        self.beta = beta
        self.movingMean = movingMean
        self.movingVariance = movingVariance
        self.epsilon = epsilon
        self.statistics = statistics
        self.axis = axis
        self.channels = channels
        var scale = [Float](repeating: 1, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        if statistics == .moving, let movingMean, let movingVariance {
            for c in 0..<channels {
                scale[c] = (1 / (movingVariance.scalars[c] + epsilon).squareRoot()) * (gamma?.scalars[c] ?? 1)
                shift[c] = (beta?.scalars[c] ?? 0) - movingMean.scalars[c] * scale[c]
            }
        }
        self.scale = scale
        self.shift = shift
    }

    /// The item shape split around the axis: `outer · channels · inner` elements per item.
    private func layout(_ itemShape: [Int]) -> (outer: Int, inner: Int)? {
        let resolved = axis < 0 ? itemShape.count + axis : axis
        guard itemShape.indices.contains(resolved), itemShape[resolved] == channels else { return nil }
        return (itemShape[..<resolved].reduce(1, *), itemShape[(resolved + 1)...].reduce(1, *))
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard layout(shape) != nil else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects \(channels) entries on axis \(axis), input is \(describe(shape))")
        }
        return shape
    }

    public func forward(_ input: Tensor) -> Tensor {
        guard let (outer, inner) = layout(Array(input.shape.dropFirst())) else {
            preconditionFailure("\(name): expects \(channels) entries on axis \(axis), got \(input.shape)")
        }
        switch statistics {
        case .moving: return forwardMoving(input, outer: outer, inner: inner)
        case .perSample, .sampleWise: return forwardBatchStatistics(input, outer: outer, inner: inner)
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let (outer, inner) = layout(Array(outputGradient.shape.dropFirst())) else {
            preconditionFailure("\(name): gradient shape \(outputGradient.shape) does not fit axis \(axis)")
        }
        switch statistics {
        case .moving:
            // dx = dy·a[k]: the same walk as forward with a zero shift.
            return Self.affine(outputGradient, scale: scale, shift: nil, rows: outputGradient.batchSize * outer, channels: channels, inner: inner)
        case .perSample, .sampleWise:
            return backwardBatchStatistics(outputGradient, outer: outer, inner: inner)
        }
    }

    // MARK: Moving statistics

    private func forwardMoving(_ input: Tensor, outer: Int, inner: Int) -> Tensor {
        Self.affine(input, scale: scale, shift: shift, rows: input.batchSize * outer, channels: channels, inner: inner, recycling: &recycledOutput)
    }

    /// ``affine(_:scale:shift:rows:channels:inner:recycling:)`` into fresh storage (gradients: freed as the
    /// backward pass moves on, rather than held between batches).
    private static func affine(_ x: Tensor, scale: [Float], shift: [Float]?, rows: Int, channels: Int, inner: Int) -> Tensor {
        var fresh: Tensor?
        return affine(x, scale: scale, shift: shift, rows: rows, channels: channels, inner: inner, recycling: &fresh)
    }

    /// `y[r, k, j] = x[r, k, j]·scale[k] + shift[k]` over `rows × channels × inner` elements, written into
    /// `slot`'s storage (``Tensor/init(shape:recycling:initializingWith:)``); a large tensor's rows are
    /// split over the lanes.
    private static func affine(_ x: Tensor, scale: [Float], shift: [Float]?, rows: Int, channels: Int, inner: Int,
                               recycling slot: inout Tensor?) -> Tensor {
        let b = shift ?? [Float](repeating: 0, count: channels)
        return Tensor(shape: x.shape, recycling: &slot) { y in
            x.scalars.withUnsafeBufferPointer { x in
                scale.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        forEachLaneShare(of: rows, itemSize: channels * inner) { part in
                            var i = part.lowerBound * channels * inner
                            if inner == 1 {
                                for _ in part {
                                    for c in 0..<channels { y[i + c] = x[i + c] * a[c] + b[c] }
                                    i += channels
                                }
                                return
                            }
                            for _ in part {
                                for c in 0..<channels {
                                    let (ac, bc) = (a[c], b[c])
                                    for j in i..<(i + inner) { y[j] = x[j] * ac + bc }
                                    i += inner
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Batch statistics (Keras 1 modes 1 and 2)

    /// One normalisation group: `outerCount` runs of `innerCount` consecutive elements, `outerStride` apart.
    private struct Group {
        var base: Int
        var outerCount: Int
        var outerStride: Int
        var innerCount: Int
        var size: Int { outerCount * innerCount }

        @inline(__always)
        func forEach(_ body: (Int) -> Void) {
            for o in 0..<outerCount {
                let start = base + o * outerStride
                for i in start..<(start + innerCount) { body(i) }
            }
        }
    }

    /// Mode 2: per (sample, k) over the outer and inner axes. Mode 1: per (sample, position) over the last axis.
    private func groups(batch: Int, outer: Int, inner: Int) -> [Group] {
        let item = outer * channels * inner
        switch statistics {
        case .perSample:
            return (0..<batch).flatMap { n in
                (0..<channels).map { k in Group(base: n * item + k * inner, outerCount: outer, outerStride: channels * inner, innerCount: inner) }
            }
        case .sampleWise:
            return (0..<(batch * outer)).map { row in Group(base: row * channels, outerCount: 1, outerStride: 0, innerCount: channels) }
        case .moving:
            return []
        }
    }

    private func forwardBatchStatistics(_ input: Tensor, outer: Int, inner: Int) -> Tensor {
        let groups = groups(batch: input.batchSize, outer: outer, inner: inner)
        let extraEpsilon = statistics == .sampleWise ? Double(epsilon) : 0
        inverseDivisor = [Float](repeating: 0, count: groups.count)
        inverseDeviation = [Float](repeating: 0, count: groups.count)
        let xhat = Tensor(shape: input.shape) { out in
            input.scalars.withUnsafeBufferPointer { x in
                for (g, group) in groups.enumerated() {
                    var mean = 0.0
                    group.forEach { mean += Double(x[$0]) }
                    mean /= Double(group.size)
                    var variance = 0.0
                    group.forEach { let d = Double(x[$0]) - mean; variance += d * d }
                    let deviation = (variance / Double(group.size) + Double(epsilon)).squareRoot()
                    inverseDeviation[g] = Float(1 / deviation)
                    let inverse = Float(1 / (deviation + extraEpsilon))
                    inverseDivisor[g] = inverse
                    let center = Float(mean)
                    group.forEach { out[$0] = (x[$0] - center) * inverse }
                }
            }
        }
        normalized = xhat
        let rows = input.batchSize * outer
        return Self.affine(xhat, scale: gamma?.scalars ?? [Float](repeating: 1, count: channels),
                           shift: beta?.scalars ?? [Float](repeating: 0, count: channels), rows: rows, channels: channels, inner: inner,
                           recycling: &recycledOutput)
    }

    private func backwardBatchStatistics(_ outputGradient: Tensor, outer: Int, inner: Int) -> Tensor {
        guard let normalized else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == normalized.shape, "\(name): gradient shape \(outputGradient.shape) != \(normalized.shape)")
        let groups = groups(batch: normalized.batchSize, outer: outer, inner: inner)
        // g = dy·γ[k], laid out like the input.
        let scaled = Self.affine(outputGradient, scale: gamma?.scalars ?? [Float](repeating: 1, count: channels), shift: nil,
                                 rows: normalized.batchSize * outer, channels: channels, inner: inner)
        return Tensor(shape: normalized.shape) { dx in
            scaled.scalars.withUnsafeBufferPointer { g in
                normalized.scalars.withUnsafeBufferPointer { h in
                    for (index, group) in groups.enumerated() {
                        var meanGradient = 0.0, meanProjection = 0.0
                        group.forEach { meanGradient += Double(g[$0]); meanProjection += Double(g[$0]) * Double(h[$0]) }
                        meanGradient /= Double(group.size)
                        meanProjection /= Double(group.size)
                        let inverseD = Double(inverseDivisor[index]), inverseS = Double(inverseDeviation[index])
                        group.forEach { i in
                            dx[i] = Float((Double(g[i]) - meanGradient) * inverseD - Double(h[i]) * meanProjection * inverseS)
                        }
                    }
                }
            }
        }
    }
}
