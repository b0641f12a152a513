import Foundation
import NeuralNet

/// The `integrated-gradients` method (Sundararajan, Taly & Yan 2017): for a baseline `b`,
/// `attr = (x − b) ⊙ ∫₀¹ ∂y/∂x(b + α(x − b)) dα`, the integral by the trapezoid rule on
/// `α = k/m`, `k = 0…m` (`m = --ig-steps`; end points weighted ½). Completeness says
/// `Σ attr = y(x) − y(b)`; the per-image error `|Σ attr − (y(x) − y(b))|` (objective units) is reported
/// as the diagnostic `completeness_error`. Per pixel `a = Σ_c attr` feeds the map kinds
/// (``AttributionMaps``: `increase` = `a`, `decrease` = `−a`, `maintain` = `|1/(a+ε)|`).
///
/// Baselines (in model-input values, i.e. after SteerLens' preprocessing, before the model's own layers):
/// `black` = 0; `mean` = the image's per-channel mean everywhere; `blurred` = the image under a
/// separable Gaussian blur with σ = ``blurSigma`` pixels (kernel radius ⌈3σ⌉, edges clamped).
/// Batched: m + 1 forward and backward passes of the whole batch.
public final class IntegratedGradientsExplainer: Explainer {
    public enum Baseline: String, Sendable, CaseIterable {
        case black, blurred, mean
    }

    /// σ of the `blurred` baseline, in model-input pixels.
    public static let blurSigma = 5.0

    public let model: Model
    public let objective: SaliencyObjective
    public let kinds: [SaliencyMapKind]
    public let backpropModifier: BackpropModifier?
    public let steps: Int
    public let baseline: Baseline
    public var method: ExplanationMethod { .integratedGradients }
    public var runsOwnForwardPasses: Bool { true }
    /// The attribution `[N, H, W, C]` of the latest batch (for tests).
    public private(set) var lastAttribution: Tensor?

    public init(model: Model, objective: SaliencyObjective, kinds: [SaliencyMapKind], backpropModifier: BackpropModifier? = nil,
                steps: Int, baseline: Baseline) throws {
        guard steps >= 1 else { throw SaliencyError.invalidMethodSetting(detail: "--ig-steps must be at least 1", hint: "use 20 to 300 steps; the completeness error says whether they are enough") }
        (self.model, self.objective, self.kinds, self.backpropModifier, self.steps, self.baseline) = (model, objective, kinds, backpropModifier, steps, baseline)
    }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        let target = objective.values(of: model, outputs: outputs)
        let reference = Self.baseline(baseline, for: batch)
        var total = [Double](repeating: 0, count: batch.count)
        var baselineValues: [Double] = []
        for step in 0...steps {
            let alpha = Float(step) / Float(steps)
            var point = reference
            for index in 0..<point.count { point.scalars[index] += alpha * (batch.scalars[index] - reference.scalars[index]) }
            let pointOutputs = try model.forward(point)
            if step == 0 { baselineValues = objective.values(of: model, outputs: pointOutputs) }
            let gradient = try objective.inputGradient(of: model, modifier: backpropModifier)
            let weight = step == 0 || step == steps ? 0.5 : 1.0
            for (index, value) in gradient.scalars.enumerated() { total[index] += weight * Double(value) }
        }
        let attribution = (0..<batch.count).map { (Double(batch.scalars[$0]) - Double(reference.scalars[$0])) * total[$0] / Double(steps) }
        lastAttribution = Tensor(shape: batch.shape, scalars: attribution.map { Float($0) })
        let items = batch.shape[0], perItem = batch.itemCount
        let errors = (0..<items).map { item in
            abs(attribution[(item * perItem)..<((item + 1) * perItem)].reduce(0, +) - (target[item] - baselineValues[item]))
        }
        let sums = AttributionMaps.channelSums(attribution, channels: batch.shape[3])
        return MethodExplanation(method: .integratedGradients,
                                 maps: AttributionMaps.maps(sums, items: items, height: batch.shape[1], width: batch.shape[2], kinds: kinds),
                                 diagnostics: ["completeness_error": errors])
    }

    /// The baseline batch for `batch` `[N, H, W, C]`.
    public static func baseline(_ kind: Baseline, for batch: Tensor) -> Tensor {
        switch kind {
        case .black:
            return Tensor(zeros: batch.shape)
        case .mean:
            let (items, channels) = (batch.shape[0], batch.shape[3]), pixels = batch.itemCount / channels
            var result = batch
            for item in 0..<items {
                for channel in 0..<channels {
                    var sum = 0.0
                    for pixel in 0..<pixels { sum += Double(batch.scalars[(item * pixels + pixel) * channels + channel]) }
                    let mean = Float(sum / Double(pixels))
                    for pixel in 0..<pixels { result.scalars[(item * pixels + pixel) * channels + channel] = mean }
                }
            }
            return result
        case .blurred:
            return gaussianBlur(batch, sigma: blurSigma)
        }
    }

    /// Separable Gaussian blur of every image and channel, edges clamped (replicated).
    static func gaussianBlur(_ batch: Tensor, sigma: Double) -> Tensor {
        let radius = Int((3 * sigma).rounded(.up))
        let raw = (-radius...radius).map { Foundation.exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let sum = raw.reduce(0, +), weights = raw.map { $0 / sum }
        let (items, height, width, channels) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        func index(_ item: Int, _ y: Int, _ x: Int, _ c: Int) -> Int { ((item * height + y) * width + x) * channels + c }
        var across = [Double](repeating: 0, count: batch.count), result = batch
        for item in 0..<items { for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            var value = 0.0
            for (offset, weight) in zip(-radius...radius, weights) { value += weight * Double(batch.scalars[index(item, y, min(max(x + offset, 0), width - 1), c)]) }
            across[index(item, y, x, c)] = value
        } } } }
        for item in 0..<items { for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            var value = 0.0
            for (offset, weight) in zip(-radius...radius, weights) { value += weight * across[index(item, min(max(y + offset, 0), height - 1), x, c)] }
            result.scalars[index(item, y, x, c)] = Float(value)
        } } } }
        return result
    }
}
