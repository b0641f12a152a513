import Foundation
import ModelImport
import NeuralNet
import SteerLensSupport

/// PilotNet-ONNX beside PilotNet-Keras: the demo model (`Datasets/models/pilotnet-demo.h5`) and its ONNX
/// export with the very same weights (`pilotnet-demo.onnx`, Datasets/scripts/export_demo_onnx.py), each
/// loaded by its own importer, forward + backward to the input on the same random frames.
///
/// The two passes alternate within each repetition (so a neighbour's load hits both alike) and each
/// figure is the best of `repetitions`. The ONNX graph is converted to NHWC at load time with its
/// activations fused and `x/127.5 − 1` folded into one affine layer, so the same engine layers should
/// run; the ratio shows what is left. Nothing is asserted.
enum ONNXBenchmark {
    static func run(repetitions: Int, batches: [Int] = [1, 32]) throws {
        let models = AnalyzeBenchmark.repository.appendingPathComponent("Datasets/models")
        let keras = try KerasModelLoader.load(from: models.appendingPathComponent("pilotnet-demo.h5")).model
        let onnx = try ONNXModelLoader.load(from: models.appendingPathComponent("pilotnet-demo.onnx")).model
        print("onnx: PilotNet demo model, Keras .h5 vs ONNX export (same weights), forward + backward(output: 0, unit: 0), best of \(repetitions)")
        print("  engine layers: keras \(keras.layerInfo.count - 1), onnx \(onnx.layerInfo.count - 1)")
        for batch in batches {
            var generator = SeededRandom(seed: 7)
            let input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { _ in Float.random(in: 0...255, using: &generator) })
            let kerasOutput = try keras.forward(input)[0].scalars, onnxOutput = try onnx.forward(input)[0].scalars
            let difference = zip(kerasOutput, onnxOutput).map { abs($0 - $1) }.max() ?? 0
            for model in [keras, onnx] { _ = try model.forward(input); _ = model.backward(output: 0, unit: 0) }
            var best = [Double.infinity, Double.infinity]
            for _ in 0..<repetitions {
                for (index, model) in [keras, onnx].enumerated() {
                    let start = ContinuousClock.now
                    _ = try model.forward(input)
                    _ = model.backward(output: 0, unit: 0)
                    best[index] = min(best[index], EngineBenchmark.seconds(ContinuousClock.now - start))
                }
            }
            let (kerasRate, onnxRate) = (Double(batch) / best[0], Double(batch) / best[1])
            print(String(format: "  batch %2d: PilotNet-Keras %7.1f frames/s | PilotNet-ONNX %7.1f frames/s | ONNX/Keras %.3f | max |prediction diff| %.2e",
                         batch, kerasRate, onnxRate, onnxRate / kerasRate, difference))
        }
    }
}
