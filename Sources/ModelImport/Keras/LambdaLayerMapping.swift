import NeuralNet

/// How a Keras Lambda layer was turned into something runnable, for `steerlens inspect`.
public struct LambdaLayerResolution: Sendable, Equatable, CustomStringConvertible {
    /// Where the operations came from.
    public enum Source: Sendable, Equatable {
        /// Recovered from the marshalled Python bytecode in the model file; `python` is the decompiled
        /// function on one line (`lambda x: x / 127.5 - 1.0`, `def crop(x): import tensorflow as tf; return x[:, 60:134]`).
        case bytecode(python: String)
        /// Declared by the user (`--lambda NAME=EXPR`), taking priority over the file.
        case override
    }

    public let layer: String
    public let operations: [LambdaOperation]
    public let source: Source
    /// The decompiled function (statements, Python versions), when the operations came from bytecode.
    public let decompiled: DecompiledLambda?

    public init(layer: String, operations: [LambdaOperation], source: Source, decompiled: DecompiledLambda? = nil) {
        self.layer = layer
        self.operations = operations
        self.source = source
        self.decompiled = decompiled
    }

    /// `lambda_1 = x*0.007843138-1.0 (from bytecode: lambda x: x / 127.5 - 1.0)`.
    public var description: String {
        let steps = operations.map(\.description).joined(separator: ";")
        switch source {
        case .bytecode(let python): return "\(layer) = \(steps) (from bytecode: \(python))"
        case .override: return "\(layer) = \(steps) (from --lambda)"
        }
    }
}

/// Maps resolved Lambda operations onto NeuralNet layers.
enum LambdaLayerMapping {
    /// The NeuralNet layer for one non-identity operation, given its input shape (without batch).
    static func layer(for operation: LambdaOperation, name: String, layerName: String, inputShape: [Int]) throws -> any NeuralNet.Layer {
        switch operation {
        case .identity:
            return NeuralNet.Dropout(name: name, rate: 0)
        case .affine(let scale, let offset):
            return NeuralNet.Rescaling(name: name, scale: scale, offset: offset)
        case .resize(let height, let width, let method):
            guard inputShape.count == 3 else {
                throw ModelImportError.unsupportedConfig(layer: layerName, detail: "resize needs an image input [H, W, C], got \(inputShape)")
            }
            let kernel: NeuralNet.ResizeMethod = switch method {
            case .bilinearTF1: .bilinearLegacy
            case .bilinearTF1AlignCorners: .bilinearAlignCorners
            case .bilinearHalfPixel: .bilinearHalfPixel
            case .nearestTF1: .nearestLegacy
            case .nearestTF1AlignCorners: .nearestAlignCorners
            case .nearestHalfPixel: .nearestHalfPixel
            case .bicubicTF1: .bicubicLegacy
            case .bicubicTF1AlignCorners: .bicubicAlignCorners
            case .bicubicHalfPixel: .bicubicHalfPixel
            case .area: .area
            case .areaTF1AlignCorners: .areaAlignCorners
            }
            return try NeuralNet.Resizing(name: name, height: height, width: width, method: kernel)
        case .upsample(let rows, let columns):
            guard inputShape.count == 3 else {
                throw ModelImportError.unsupportedConfig(layer: layerName, detail: "upsample needs an image input [H, W, C], got \(inputShape)")
            }
            return try NeuralNet.Resizing(name: name, height: inputShape[0] * rows, width: inputShape[1] * columns, method: .nearestLegacy)
        case .tensor(let expression):
            return try NeuralNet.TensorExpressionLayer(name: name, expression: expression)
        case .crop(let rows, let columns):
            guard inputShape.count == 3 else {
                throw ModelImportError.unsupportedConfig(layer: layerName, detail: "crop needs an image input [H, W, C], got \(inputShape)")
            }
            let kept = (rows.range(count: inputShape[0]), columns.range(count: inputShape[1]))
            guard !kept.0.isEmpty, !kept.1.isEmpty else {
                throw ModelImportError.unsupportedConfig(
                    layer: layerName, detail: "crop [\(rows), \(columns)] leaves nothing of a \(inputShape[0])x\(inputShape[1]) image")
            }
            return try NeuralNet.Cropping2D(
                name: name, top: kept.0.lowerBound, bottom: inputShape[0] - kept.0.upperBound,
                left: kept.1.lowerBound, right: inputShape[1] - kept.1.upperBound)
        }
    }
}
