import Analysis
import ArgumentParser
import Saliency

extension ExplanationMethod: ExpressibleByArgument {}
extension IntegratedGradientsExplainer.Baseline: ExpressibleByArgument {}

/// `analyze --method …` and the settings of each method.
struct MethodOptions: ParsableArguments {
    @Option(name: .customLong("method"), parsing: .singleValue,
            help: ArgumentHelp("Explanation method (repeatable): gradient (keras-vis saliency, default), gradcam, smoothgrad, integrated-gradients, visualbackprop, occlusion. Maps of other methods than gradient go to DIR/<method>/<kind>/.", valueName: "name"))
    var methods: [ExplanationMethod] = []

    @Option(help: ArgumentHelp("gradcam: the layer whose output is weighted (default: keras-vis' penultimate convolution or pooling layer).", valueName: "name"))
    var camLayer: String?

    @Option(help: ArgumentHelp("smoothgrad: noisy samples per frame.", valueName: "N"))
    var smoothSamples = 20

    @Option(help: ArgumentHelp("smoothgrad: noise σ as a fraction of the frame's value range (tf-keras-vis smooth_noise).", valueName: "sigma"))
    var smoothNoise: Float = 0.2

    @Option(help: ArgumentHelp("smoothgrad: seed of the noise generator.", valueName: "seed"))
    var smoothSeed: UInt64 = 0

    @Option(help: ArgumentHelp("integrated-gradients: trapezoid steps from the baseline to the frame.", valueName: "N"))
    var igSteps = 50

    @Option(help: ArgumentHelp("integrated-gradients: baseline image: black, blurred (Gaussian σ 5 px) or mean (the frame's mean colour).", valueName: "kind"))
    var igBaseline: IntegratedGradientsExplainer.Baseline = .black

    @Option(help: ArgumentHelp("occlusion: side of the occluding square in model-input pixels.", valueName: "pixels"))
    var occlusionPatch = 16

    @Option(help: ArgumentHelp("occlusion: step between squares in model-input pixels.", valueName: "pixels"))
    var occlusionStride = 8

    func validate() throws {
        let passes = MethodSettings.passesPerFrame
        guard passes.contains(smoothSamples) else {
            throw ValidationError("--smooth-samples must be within \(passes.lowerBound)…\(passes.upperBound), got \(smoothSamples)")
        }
        guard smoothNoise >= 0, smoothNoise.isFinite else { throw ValidationError("--smooth-noise must be a non-negative number") }
        guard passes.contains(igSteps) else { throw ValidationError("--ig-steps must be within \(passes.lowerBound)…\(passes.upperBound), got \(igSteps)") }
        guard occlusionPatch >= 1, occlusionStride >= 1 else { throw ValidationError("--occlusion-patch and --occlusion-stride must be at least 1") }
    }

    var settings: MethodSettings {
        var settings = MethodSettings()
        settings.camLayer = camLayer
        (settings.smoothSamples, settings.smoothNoise, settings.smoothSeed) = (smoothSamples, smoothNoise, smoothSeed)
        (settings.integrationSteps, settings.integrationBaseline) = (igSteps, igBaseline)
        (settings.occlusionPatch, settings.occlusionStride) = (occlusionPatch, occlusionStride)
        return settings
    }
}

/// A `--maps` list (and `--grad-modifier` names) as map kinds; a name that is no map is a usage error.
func parsedMapKinds(_ list: String, more: [String] = []) throws -> [SaliencyMapKind] {
    try validating { try SaliencyMapKind.list(list, more: more) }
}
