import FuzzSupport
import Foundation
import ModelImport
import NeuralNet

/// ONNX model files (`--model x.onnx`): any bytes either load into a model that runs forward and
/// backward on a zero frame, or throw a ``ModelImportError``; never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = Data(FuzzInput.bytes(start, count))
    let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fuzz-onnx-empty")
    guard let loaded = try? ONNXModelLoader.load(data: data, path: "fuzz.onnx", folder: folder, unsetInputValue: 0) else { return 0 }
    guard loaded.inputShape.reduce(1, *) <= 1 << 16, loaded.model.parameterCount <= 1 << 20 else { return 0 }
    if let outputs = try? loaded.model.forward(Tensor(zeros: [1] + loaded.inputShape)), let first = outputs.first, first.count > 0 {
        _ = loaded.model.backward(output: 0, unit: 0)
    }
    return 0
}
