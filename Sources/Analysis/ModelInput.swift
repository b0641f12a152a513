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
    /// Per-channel `(value − mean) / std` after the preprocessing (a sidecar's `mean`/`std`), if any.
    public let normalization: ChannelNormalization?

    /// Combines the requested preprocessing with the model's input shape `[H, W, C]`.
    /// - Throws: ``InputShapeMismatch`` when the model does not take 3-channel images or a requested
    ///   resize contradicts its fixed input size.
    public init(inputShape shape: [Int], preprocess requested: Preprocess, normalization: ChannelNormalization? = nil) throws {
        guard shape.count == 3, shape[2] == 3 || shape[2] == 1 else {
            throw InputShapeMismatch(message: "model input has shape \(shape), SteerLens feeds 3-channel or greyscale images (height, width, 3 or 1)",
                                     hint: "use a model whose first input takes RGB/BGR/YUV or greyscale frames")
        }
        guard shape[2] == requested.colorSpace.channels else {
            throw InputShapeMismatch(
                message: "model input has \(shape[2]) channel\(shape[2] == 1 ? "" : "s") but --color \(requested.colorSpace.rawValue) gives \(requested.colorSpace.channels)",
                hint: shape[2] == 1 ? "pass --color gray (or \"color\": \"gray\" in the model's sidecar) for a greyscale model" : "pass --color rgb, bgr or yuv")
        }
        var preprocess = requested
        let modelSize = PixelSize(width: shape[1], height: shape[0])
        if let size = requested.size, size != modelSize {
            throw InputShapeMismatch(message: "--resize \(size) does not match the model input \(modelSize) (width x height)",
                                     hint: "drop --resize to use the model's input size, or pass --resize \(modelSize)")
        }
        if let normalization, ![1, shape[2]].contains(normalization.mean.count) || ![1, shape[2]].contains(normalization.std.count) {
            throw InputShapeMismatch(message: "the sidecar's mean/std have \(normalization.mean.count)/\(normalization.std.count) values for a \(shape[2])-channel model input",
                                     hint: "give one value, or one per channel")
        }
        preprocess.size = modelSize
        self.preprocess = preprocess
        self.shape = shape
        self.normalization = normalization
    }

    /// Values of one frame's model input: `H·W·C`.
    public var itemCount: Int { shape.reduce(1, *) }

    /// The frames as one `[N, H, W, C]` tensor of 0…255 values (C = 3, or 1 for grey), normalised.
    public func batch(_ frames: [Frame]) throws -> Tensor {
        var scalars = [Float](repeating: 0, count: frames.count * itemCount)
        try scalars.withUnsafeMutableBufferPointer { buffer in
            for (index, frame) in frames.enumerated() { try write(frame, item: index, of: buffer) }
        }
        normalize(&scalars)
        return Tensor(shape: [frames.count] + shape, scalars: scalars)
    }

    /// Preprocesses `frame` into item `index` of `batch` (``itemCount`` values an item), not yet
    /// normalised: how ``batch(_:)`` and a batch built frame by frame as frames are decoded fill their items.
    public func write(_ frame: Frame, item index: Int, of batch: UnsafeMutableBufferPointer<Float>) throws {
        let itemCount = itemCount
        try preprocess.apply(to: frame, into: UnsafeMutableBufferPointer(rebasing: batch[(index * itemCount)..<((index + 1) * itemCount)]))
    }

    /// The sidecar's `(value − mean[c]) / std[c]` on preprocessed HWC values (any number of frames), if
    /// it has one; every batch built outside ``batch(_:)`` (`stress`) passes through it too.
    public func normalize(_ scalars: inout [Float]) {
        guard let normalization else { return }
        let channels = shape[2]
        let mean = (0..<channels).map { normalization.mean[normalization.mean.count == 1 ? 0 : $0] }
        let std = (0..<channels).map { normalization.std[normalization.std.count == 1 ? 0 : $0] }
        scalars.withUnsafeMutableBufferPointer { values in
            for pixel in stride(from: 0, to: values.count, by: channels) {
                for c in 0..<channels { values[pixel + c] = (values[pixel + c] - mean[c]) / std[c] }
            }
        }
    }
}

/// torchvision-style normalisation done outside the graph: `(value − mean[c]) / std[c]` per channel
/// (one value applies to every channel).
public struct ChannelNormalization: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
}

/// The frames cannot be fed to the model as configured.
public struct InputShapeMismatch: SteerLensError {
    public let message: String
    public let hint: String
    public var kind: FailureKind { .badInput }
}
