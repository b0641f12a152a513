import NeuralNet

/// The convolution stack VisualBackProp walks, read off a ``Model``: each convolution's geometry and
/// the node holding its post-activation output, and the crop between the model input and the first
/// convolution.
///
/// Accepted: a chain from the input to the last convolution (`Conv2D`, `DepthwiseConv2D`) in which
/// every node has one input; before the first convolution only layers that keep the spatial size
/// (Lambda, Rescaling, normalisation…) and `Cropping2D`; between convolutions only layers that keep
/// the spatial size (Activation, ELU, BatchNormalization, Dropout…). The post-activation output of a
/// convolution is the last node after it, before the next convolution (or, after the last one, before
/// the first node that changes the shape or is read by several nodes), whose shape equals its own.
/// Anything else — merges, pooling or padding between convolutions, resizing before the first — throws
/// ``SaliencyError/visualBackPropUnsupported(detail:)`` (exit 64).
public struct VisualBackPropPlan: Sendable, Equatable {
    /// One convolution of the stack.
    public struct Stage: Sendable, Equatable {
        public let convolution: String
        /// The node whose output is averaged (the convolution itself with a fused activation).
        public let averaged: String
        public let kernel: [Int]
        public let strides: [Int]
        /// Leading padding rows/columns (TensorFlow's `same` rule; 0 for `valid`).
        public let padBefore: [Int]
        /// Spatial size of the convolution's input and output.
        public let inputSize: [Int]
        public let outputSize: [Int]
    }

    public let stages: [Stage]
    /// Model input size `[H, W]` and where the first convolution's input lies in it (`Cropping2D`).
    public let inputSize: [Int]
    public let cropOrigin: [Int]

    public init(model: Model) throws {
        let info = model.layerInfo
        let byName = Dictionary(uniqueKeysWithValues: info.map { ($0.name, $0) })
        var consumers: [String: Int] = [:]
        for node in info { for input in node.inputs { consumers[input, default: 0] += 1 } }
        func fail(_ detail: String) -> SaliencyError { .visualBackPropUnsupported(detail: detail) }
        func isConvolution(_ name: String) -> Bool { ["Conv2D", "DepthwiseConv2D"].contains(byName[name]!.typeName) }
        guard let last = info.last(where: { isConvolution($0.name) }) else { throw fail("it has no convolution layer") }
        // Walk back from the last convolution to the input: a chain of single-input nodes.
        var chain = [last.name]
        while let node = byName[chain[0]], !node.inputs.isEmpty {
            guard node.inputs.count == 1 else {
                throw fail("layer '\(node.name)' (\(node.typeName)) merges \(node.inputs.count) inputs before the last convolution (not a chain)")
            }
            chain.insert(node.inputs[0], at: 0)
        }
        guard model.inputs.count == 1, chain[0] == model.inputs[0].name else { throw fail("the convolutions do not start at the model input") }
        inputSize = Array(model.inputs[0].shape.prefix(2))
        var origin = [0, 0], stages: [Stage] = []
        var current: (name: String, averaged: String)?
        for (position, name) in chain.enumerated().dropFirst() {
            let node = byName[name]!, previous = byName[chain[position - 1]]!
            let inSize = Array(previous.outputShape.prefix(2)), outSize = Array(node.outputShape.prefix(2))
            if isConvolution(name) {
                if let current { stages.append(try Self.stage(model, current.name, averaged: current.averaged)) }
                else if node.outputShape.count != 3 { throw fail("'\(name)' is not a 2-D convolution") }
                current = (name, name)
                continue
            }
            guard node.outputShape.count == 3, inSize == outSize || (current == nil && node.typeName == "Cropping2D") else {
                throw fail(current == nil
                    ? "layer '\(name)' (\(node.typeName)) changes the image size before the first convolution"
                    : "layer '\(name)' (\(node.typeName)) changes the feature-map size between convolutions")
            }
            if current == nil, node.typeName == "Cropping2D", let crop = model.layer(named: name) as? Cropping2D {
                origin = [origin[0] + crop.top, origin[1] + crop.left]
            } else if current != nil, node.outputShape == previous.outputShape {
                current!.averaged = name
            }
        }
        // After the last convolution: follow single consumers that keep the shape (its activation layers).
        var averaged = current!.averaged
        while consumers[averaged] == 1, let next = info.first(where: { $0.inputs == [averaged] }),
              next.outputShape == byName[averaged]!.outputShape, !isConvolution(next.name) {
            averaged = next.name
        }
        stages.append(try Self.stage(model, current!.name, averaged: averaged))
        (self.stages, cropOrigin) = (stages, origin)
    }

    private static func stage(_ model: Model, _ name: String, averaged: String) throws -> Stage {
        let layer = model.layer(named: name)!
        let kernel: [Int], strides: [Int], padding: Padding
        if let convolution = layer as? Conv2D {
            (kernel, strides, padding) = ([convolution.kernelSize.height, convolution.kernelSize.width],
                                          [convolution.strides.height, convolution.strides.width], convolution.padding)
        } else if let convolution = layer as? DepthwiseConv2D {
            guard convolution.dilation == (1, 1) else {
                throw SaliencyError.visualBackPropUnsupported(detail: "'\(name)' is dilated; the adjoint of a dilated all-ones convolution is not implemented")
            }
            (kernel, strides, padding) = ([convolution.kernel.shape[0], convolution.kernel.shape[1]],
                                          [convolution.strides.height, convolution.strides.width], convolution.padding)
        } else {
            preconditionFailure("not a convolution: \(name)")
        }
        let info = model.layerInfo.first { $0.name == name }!
        let inputSize = Array(model.shape(ofNode: info.inputs[0])!.prefix(2)), outputSize = Array(info.outputShape.prefix(2))
        let padBefore = (0..<2).map { axis -> Int in
            guard padding == .same else { return 0 }
            let covered: Int = (outputSize[axis] - 1) * strides[axis] + kernel[axis]
            return max(covered - inputSize[axis], 0) / 2
        }
        return Stage(convolution: name, averaged: averaged, kernel: kernel, strides: strides, padBefore: padBefore,
                     inputSize: inputSize, outputSize: outputSize)
    }
}
