import Foundation
import NeuralNet
import SteerLensSupport
import VideoIO

/// Turns frames into batches for a model: the preprocessing (with the model's input size as the
/// default resize target) and the packing into one NHWC tensor of 0…255 values.
public struct ModelInput: Sendable {
    public let preprocess: Preprocess
    /// Model input `[H, W, C]`.
    public let shape: [Int]

    /// Combines the requested preprocessing with the model's input shape `[H, W, C]`.
    /// - Throws: ``InputShapeMismatch`` when the model does not take 3-channel images or a requested
    ///   resize contradicts its fixed input size.
    public init(inputShape shape: [Int], preprocess requested: Preprocess) throws {
        guard shape.count == 3, shape[2] == 3 else {
            throw InputShapeMismatch(message: "model input has shape \(shape), SteerLens feeds 3-channel images (height, width, 3)",
                                     hint: "use a model whose first input takes RGB/BGR/YUV frames")
        }
        var preprocess = requested
        let modelSize = PixelSize(width: shape[1], height: shape[0])
        if let size = requested.size, size != modelSize {
            throw InputShapeMismatch(message: "--resize \(size) does not match the model input \(modelSize) (width x height)",
                                     hint: "drop --resize to use the model's input size, or pass --resize \(modelSize)")
        }
        preprocess.size = modelSize
        self.preprocess = preprocess
        self.shape = shape
    }

    /// The frames as one `[N, H, W, 3]` tensor of 0…255 values.
    public func batch(_ frames: [Frame]) throws -> Tensor {
        let itemCount = shape.reduce(1, *)
        var scalars = [Float](repeating: 0, count: frames.count * itemCount)
        try scalars.withUnsafeMutableBufferPointer { buffer in
            for (index, frame) in frames.enumerated() {
                try preprocess.apply(to: frame, into: UnsafeMutableBufferPointer(rebasing: buffer[(index * itemCount)..<((index + 1) * itemCount)]))
            }
        }
        return Tensor(shape: [frames.count] + shape, scalars: scalars)
    }
}

/// The frames cannot be fed to the model as configured.
public struct InputShapeMismatch: SteerLensError {
    public let message: String
    public let hint: String
    public var kind: FailureKind { .badInput }
}
