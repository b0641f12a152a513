import Foundation
import NeuralNet
import Saliency

/// Frames/s of every explanation method (forward pass included, three map kinds) for PilotNet 66×200
/// at batch 32, beside the gradient method's in the same run. Targets (issue 20): visualbackprop ≥ 2×
/// gradient (it needs no backward pass), gradcam ≥ 0.9× (a backward pass that stops at the last
/// convolution). SmoothGrad, integrated gradients and occlusion cost one pass per sample, step or
/// patch position by design; they run fewer repetitions.
enum MethodsBenchmark {
    static func run(repetitions: Int, batch: Int = 32) throws {
        print("explanation methods, PilotNet 66x200x3 (ELU, random weights), batch \(batch), best of \(repetitions) (1 for the multi-pass methods)")
        let model = try EngineBenchmark.pilotNet(activation: .elu(alpha: 1))
        let input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { Float($0 % 256) })
        let objective = SaliencyObjective.output(index: 0, unit: 0), kinds = SaliencyMapKind.steering
        let engine = try SaliencyEngine(model: model, objective: objective, kinds: kinds)
        let methods: [(String, any Explainer, Int)] = [
            ("gradient", GradientExplainer(engine: engine), repetitions),
            ("gradcam", try GradCAMExplainer(model: model, objective: objective, kinds: kinds), repetitions),
            ("visualbackprop", try VisualBackPropExplainer(model: model), repetitions),
            ("smoothgrad (20 samples)", try SmoothGradExplainer(model: model, objective: objective, kinds: kinds, samples: 20, noiseLevel: 0.2), 1),
            ("integrated-gradients (50 steps)", try IntegratedGradientsExplainer(model: model, objective: objective, kinds: kinds, steps: 50, baseline: .black), 1),
            ("occlusion (16 px, stride 8)", try OcclusionExplainer(model: model, objective: objective, kinds: kinds, patch: 16, stride: 8), 1),
        ]
        var gradient = 0.0
        for (name, explainer, runs) in methods {
            let suite = ExplanationSuite(model: model, objective: objective, explainers: [explainer])
            let rate = try framesPerSecond(suite, input: input, repetitions: runs)
            if name == "gradient" { gradient = rate }
            print(String(format: "  %@ %8.2f frames/s  %5.2fx gradient", name.padding(toLength: 32, withPad: " ", startingAt: 0), rate, rate / gradient))
        }
    }

    static func framesPerSecond(_ suite: ExplanationSuite, input: Tensor, repetitions: Int) throws -> Double {
        _ = try suite.run(input)  // warm-up: buffers, caches
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try suite.run(input)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Double(input.batchSize) / best
    }
}
