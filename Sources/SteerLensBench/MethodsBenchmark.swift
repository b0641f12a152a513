import Foundation
import NeuralNet
import Saliency

/// Frames/s of every explanation method (forward pass included, three map kinds) for PilotNet 66×200
/// at batch 32, beside the gradient method's in the same run. Targets (issue 20): visualbackprop ≥ 2×
/// gradient (it needs no backward pass), gradcam ≥ 0.9× (a backward pass that stops at the last
/// convolution). SmoothGrad, integrated gradients and occlusion cost one pass per sample, step or
/// patch position by design; they run one round. The one-pass methods run 20 rounds by default: their
/// ratios sit within a few per cent of the targets, and best-of-5 moved them by ±3 % between runs.
enum MethodsBenchmark {
    static func run(repetitions: Int, batch: Int = 32) throws {
        print("explanation methods, PilotNet 66x200x3 (ELU, random weights), batch \(batch), best of \(repetitions) (1 for the multi-pass methods)")
        let model = try EngineBenchmark.pilotNet(activation: .elu(alpha: 1))
        let input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { Float($0 % 256) })
        let objective = SaliencyObjective.output(index: 0, unit: 0), kinds = SaliencyMapKind.steering
        let engine = try SaliencyEngine(model: model, objective: objective, kinds: kinds)
        // One pass per batch: timed in interleaved rounds, so their ratios survive a busy machine.
        let singlePass: [(String, any Explainer)] = [
            ("gradient", GradientExplainer(engine: engine)),
            ("gradcam", try GradCAMExplainer(model: model, objective: objective, kinds: kinds)),
            ("visualbackprop", try VisualBackPropExplainer(model: model)),
        ]
        let multiPass: [(String, any Explainer)] = [
            ("smoothgrad (20 samples)", try SmoothGradExplainer(model: model, objective: objective, kinds: kinds, samples: 20, noiseLevel: 0.2)),
            ("integrated-gradients (50 steps)", try IntegratedGradientsExplainer(model: model, objective: objective, kinds: kinds, steps: 50, baseline: .black)),
            ("occlusion (16 px, stride 8)", try OcclusionExplainer(model: model, objective: objective, kinds: kinds, patch: 16, stride: 8)),
        ]
        func suite(_ explainer: any Explainer) -> ExplanationSuite { ExplanationSuite(model: model, objective: objective, explainers: [explainer]) }
        let suites = singlePass.map { suite($0.1) }
        // The floor of every method, timed with them: the forward pass alone (VisualBackProp's ceiling).
        let seconds = try Timing.bestSeconds(rounds: repetitions, suites.map { suite in { _ = try suite.run(input) } } + [{ _ = try model.forward(input) }])
        let gradient = Double(batch) / seconds[0]
        func line(_ name: String, _ rate: Double) {
            print(String(format: "  %@ %8.2f frames/s  %5.2fx gradient", name.padding(toLength: 32, withPad: " ", startingAt: 0), rate, rate / gradient))
        }
        for (index, (name, _)) in singlePass.enumerated() { line(name, Double(batch) / seconds[index]) }
        for (name, explainer) in multiPass {
            let multi = suite(explainer)
            line(name, Double(batch) / (try Timing.bestSeconds(rounds: 1, [{ _ = try multi.run(input) }])[0]))
        }
        line("forward pass alone", Double(batch) / seconds[singlePass.count])
    }
}
