import Foundation

/// Batch normalisation over the last (channel) axis (Keras `BatchNormalization`, `axis=-1`).
///
/// Layout: any `[N, ..., C]`; `gamma`, `beta`, `movingMean`, `movingVariance` are `[C]`; `gamma`/`beta`
/// are `nil` for `scale=False`/`center=False`.
/// - ``Statistics/moving``: inference, `y = (x − mean)/√(variance + ε)·γ + β` with the stored moving
///   statistics, folded as TensorFlow does into `y = x·a + (β − mean·a)`, `a = γ/√(variance + ε)`.
/// - ``Statistics/perSample``: Keras 1 `mode=2` evaluated as a batch of one — each sample is normalised
///   with the mean and biased variance of that sample over all axes except the channel axis. Backward is
///   the true gradient, including the dependence of mean/variance on `x`:
///   `dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))`, `dx̂ = dy·γ`.
/// See https://keras.io/api/layers/normalization_layers/batch_normalization/ and Ioffe & Szegedy 2015.
public final class BatchNormalization: UnaryLayer {
    /// Where the normalisation statistics come from.
    public enum Statistics: Sendable, Hashable {
        /// The stored moving mean and variance (Keras 2/3 inference, Keras 1 modes 0/1).
        case moving
        /// Each sample's own statistics (Keras 1 `mode=2`, one sample per batch).
        case perSample
    }

    public let name: String
    public let gamma: Tensor?
    public let beta: Tensor?
    /// `[C]`; unused (may be `nil`) for ``Statistics/perSample``.
    public let movingMean: Tensor?
    public let movingVariance: Tensor?
    public let epsilon: Float
    public let statistics: Statistics
    public var typeName: String { "BatchNormalization" }
    public var parameterCount: Int {
        [gamma, beta, movingMean, movingVariance].reduce(0) { $0 + ($1?.count ?? 0) }
    }
    public let channels: Int

    // Moving statistics folded into y = x·scale + shift.
    private let scale: [Float]
    private let shift: [Float]
    // Per-sample cache: x̂ and 1/σ per (sample, channel).
    private var normalized: Tensor?
    private var inverseDeviation: [Float] = []

    /// - Parameters:
    ///   - epsilon: Keras default `1e-3`.
    public init(
        name: String = "batch_normalization", gamma: Tensor?, beta: Tensor?,
        movingMean: Tensor?, movingVariance: Tensor?, epsilon: Float = 1e-3, statistics: Statistics = .moving
    ) throws {
        let counts = [gamma, beta, movingMean, movingVariance].compactMap { $0?.count }
        guard let channels = counts.first, counts.allSatisfy({ $0 == channels }), channels > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "gamma/beta/mean/variance must be present with one equal length, got \(counts)")
        }
        if statistics == .moving, movingMean == nil || movingVariance == nil {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "moving statistics need moving_mean and moving_variance")
        }
        if let movingVariance, movingVariance.scalars.contains(where: { !($0 + epsilon > 0) }) {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "variance + epsilon must be positive")
        }
        self.name = name
        self.gamma = gamma
        self.beta = beta
        self.movingMean = movingMean
        self.movingVariance = movingVariance
        self.epsilon = epsilon
        self.statistics = statistics
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

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.last == channels else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects \(channels) channels on the last axis, input is \(describe(shape))")
        }
        return shape
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.last == channels, "\(name): expects \(channels) channels, got \(input.shape)")
        switch statistics {
        case .moving: return forwardMoving(input)
        case .perSample: return forwardPerSample(input)
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        switch statistics {
        case .moving:
            return Tensor(shape: outputGradient.shape) { dx in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    scale.withUnsafeBufferPointer { a in
                        var i = 0
                        while i < dy.count {
                            for c in 0..<channels { dx[i + c] = dy[i + c] * a[c] }
                            i += channels
                        }
                    }
                }
            }
        case .perSample:
            return backwardPerSample(outputGradient)
        }
    }

    private func forwardMoving(_ input: Tensor) -> Tensor {
        Tensor(shape: input.shape) { y in
            input.scalars.withUnsafeBufferPointer { x in
                scale.withUnsafeBufferPointer { a in
                    shift.withUnsafeBufferPointer { b in
                        var i = 0
                        while i < x.count {
                            for c in 0..<channels { y[i + c] = x[i + c] * a[c] + b[c] }
                            i += channels
                        }
                    }
                }
            }
        }
    }

    private func forwardPerSample(_ input: Tensor) -> Tensor {
        let batch = input.batchSize, channels = channels
        let pixels = input.itemCount / channels
        inverseDeviation = [Float](repeating: 0, count: batch * channels)
        let xhat = Tensor(shape: input.shape) { out in
            input.scalars.withUnsafeBufferPointer { x in
                inverseDeviation.withUnsafeMutableBufferPointer { inverse in
                    var mean = [Double](repeating: 0, count: channels)
                    var variance = [Double](repeating: 0, count: channels)
                    for n in 0..<batch {
                        let base = n * pixels * channels
                        for c in 0..<channels { mean[c] = 0; variance[c] = 0 }
                        for p in 0..<pixels { for c in 0..<channels { mean[c] += Double(x[base + p * channels + c]) } }
                        for c in 0..<channels { mean[c] /= Double(pixels) }
                        for p in 0..<pixels {
                            for c in 0..<channels {
                                let d = Double(x[base + p * channels + c]) - mean[c]
                                variance[c] += d * d
                            }
                        }
                        for c in 0..<channels {
                            inverse[n * channels + c] = Float(1 / (variance[c] / Double(pixels) + Double(epsilon)).squareRoot())
                        }
                        for p in 0..<pixels {
                            for c in 0..<channels {
                                let i = base + p * channels + c
                                out[i] = (x[i] - Float(mean[c])) * inverse[n * channels + c]
                            }
                        }
                    }
                }
            }
        }
        normalized = xhat
        return Tensor(shape: input.shape) { y in
            xhat.scalars.withUnsafeBufferPointer { h in
                var i = 0
                while i < h.count {
                    for c in 0..<channels { y[i + c] = h[i + c] * (gamma?.scalars[c] ?? 1) + (beta?.scalars[c] ?? 0) }
                    i += channels
                }
            }
        }
    }

    private func backwardPerSample(_ outputGradient: Tensor) -> Tensor {
        guard let normalized else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == normalized.shape, "\(name): gradient shape \(outputGradient.shape) != \(normalized.shape)")
        let batch = normalized.batchSize, channels = channels
        let pixels = normalized.itemCount / channels
        let gammaValues = gamma?.scalars ?? [Float](repeating: 1, count: channels)
        return Tensor(shape: normalized.shape) { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                normalized.scalars.withUnsafeBufferPointer { h in
                    var meanGradient = [Double](repeating: 0, count: channels)
                    var meanProjection = [Double](repeating: 0, count: channels)
                    for n in 0..<batch {
                        let base = n * pixels * channels
                        for c in 0..<channels { meanGradient[c] = 0; meanProjection[c] = 0 }
                        for p in 0..<pixels {
                            for c in 0..<channels {
                                let i = base + p * channels + c
                                let g = Double(dy[i] * gammaValues[c])
                                meanGradient[c] += g
                                meanProjection[c] += g * Double(h[i])
                            }
                        }
                        for c in 0..<channels { meanGradient[c] /= Double(pixels); meanProjection[c] /= Double(pixels) }
                        for p in 0..<pixels {
                            for c in 0..<channels {
                                let i = base + p * channels + c
                                let g = Double(dy[i] * gammaValues[c])
                                dx[i] = Float(Double(inverseDeviation[n * channels + c]) * (g - meanGradient[c] - Double(h[i]) * meanProjection[c]))
                            }
                        }
                    }
                }
            }
        }
    }
}
