import NeuralNet

/// The `smoothgrad` method: tf-keras-vis 0.8.7 `Saliency(model)(score, x, smooth_samples=S,
/// smooth_noise=ν, gradient_modifier=m)` per image, for each map kind's modifier `m`:
///
/// `σ = ν·(max x − min x)` over the image; `x̃ₛ = x + σ·zₛ`, `s = 1…S`, with standard normals `zₛ`
/// from ``NoiseGenerator`` (seeded, per image of the run) or supplied; `M = (1/S) Σₛ m(∂y/∂x̃ₛ)` — the
/// modifier acts on each sample's gradient before the average, as in tf-keras-vis —; display: channel
/// maximum and `(M − min)/(max − min + ε)`; importance `max(maxᶜ M, 0)`.
///
/// Batched: S forward and backward passes of the whole batch (each pass perturbs every image).
public final class SmoothGradExplainer: Explainer {
    /// Standard normals for image `item` of the run: `samples × H × W × C` values, sample-major.
    public typealias NoiseSource = (_ item: Int, _ count: Int) -> [Float]

    public let model: Model
    public let objective: SaliencyObjective
    public let kinds: [SaliencyMapKind]
    public let backpropModifier: BackpropModifier?
    public let samples: Int
    public let noiseLevel: Float
    private let noise: NoiseSource
    /// Images explained so far (the noise stream index of the next one).
    private var explained = 0
    public var method: ExplanationMethod { .smoothgrad }
    public var runsOwnForwardPasses: Bool { true }

    /// - Parameters:
    ///   - seed: the ``NoiseGenerator`` seed, used when `noise` is nil.
    public init(model: Model, objective: SaliencyObjective, kinds: [SaliencyMapKind], backpropModifier: BackpropModifier? = nil,
                samples: Int, noiseLevel: Float, seed: UInt64 = 0, noise: NoiseSource? = nil) throws {
        guard samples >= 1 else { throw SaliencyError.invalidMethodSetting(detail: "--smooth-samples must be at least 1", hint: "tf-keras-vis uses 20") }
        guard noiseLevel >= 0, noiseLevel.isFinite else { throw SaliencyError.invalidMethodSetting(detail: "--smooth-noise must be a non-negative number", hint: "tf-keras-vis' default is 0.2") }
        (self.model, self.objective, self.kinds, self.backpropModifier) = (model, objective, kinds, backpropModifier)
        (self.samples, self.noiseLevel) = (samples, noiseLevel)
        self.noise = noise ?? { item, count in
            var generator = NoiseGenerator(seed: seed, item: item)
            return generator.normals(count)
        }
    }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        let items = batch.shape[0], perItem = batch.itemCount, channels = batch.shape[3]
        let (height, width) = (batch.shape[1], batch.shape[2])
        let noises = (0..<items).map { noise(explained + $0, samples * perItem) }
        explained += items
        let sigmas = (0..<items).map { item -> Float in
            let values = batch.scalars[(item * perItem)..<((item + 1) * perItem)]
            return noiseLevel * (values.max()! - values.min()!)
        }
        var totals = [SaliencyMapKind: [Float]](uniqueKeysWithValues: kinds.map { ($0, [Float](repeating: 0, count: batch.count)) })
        for sample in 0..<samples {
            var noisy = batch
            for item in 0..<items {
                let offset = item * perItem, noiseOffset = sample * perItem
                for index in 0..<perItem { noisy.scalars[offset + index] += sigmas[item] * noises[item][noiseOffset + index] }
            }
            _ = try model.forward(noisy)
            let gradient = try objective.inputGradient(of: model, modifier: backpropModifier)
            for kind in kinds {
                totals[kind]!.withUnsafeMutableBufferPointer { total in
                    for (index, value) in gradient.scalars.enumerated() { total[index] += kind.modifier.apply(value) }
                }
            }
        }
        var maps: [SaliencyMapKind: KindMaps] = [:]
        for kind in kinds {
            let mean = totals[kind]!.map { $0 / Float(samples) }
            let reduced = stride(from: 0, to: mean.count, by: channels).map { mean[$0..<($0 + channels)].max()! }
            var display = reduced
            let count = height * width
            for item in 0..<items {
                let range = (item * count)..<((item + 1) * count)
                let low = reduced[range].min()!, high = reduced[range].max()!
                for index in range { display[index] = (reduced[index] - low) / (high - low + GradientModifier.epsilon) }
            }
            maps[kind] = KindMaps(display: Tensor(shape: [items, height, width], scalars: display),
                                  importance: Tensor(shape: [items, height, width], scalars: reduced.map { max($0, 0) }))
        }
        return MethodExplanation(method: .smoothgrad, maps: maps)
    }
}
