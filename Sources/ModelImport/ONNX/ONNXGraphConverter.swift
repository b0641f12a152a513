import NeuralNet

/// Builds a NeuralNet ``Model`` (NHWC, forward and input gradient) from an ONNX graph (NCHW).
///
/// Every ONNX value is either a load-time ``ONNXConstant`` (initializers, `Constant` nodes, fixed extra
/// inputs and everything computed only from them, folded here) or a ``RuntimeValue`` produced by an
/// engine layer. Runtime 4-D image tensors are held channels-last: the engine's `[H, W, C]` item is
/// ONNX's `[C, H, W]`, so weights and layout-sensitive constants are converted once, here. A channels-first
/// flatten becomes the engine's NHWC flatten plus a feature order that the next `Gemm`/`MatMul` absorbs
/// by permuting its weight rows. Conv/Gemm followed by a single-use activation (and MatMul by a bias
/// `Add`) are fused into one layer, as Keras stores them.
final class ONNXGraphConverter {
    /// How an engine tensor's item relates to the ONNX tensor (batch axis excluded in both).
    enum Layout: Equatable {
        /// Same axes, same order.
        case onnx
        /// ONNX `[N, C, H, W]` held as `[N, H, W, C]`.
        case channelsLast
        /// ONNX `[N, K]` held as `[N, K]` with engine feature `k` = ONNX feature `order[k]`.
        case permuted([Int])
    }

    /// A value computed by an engine node.
    struct RuntimeValue {
        /// The engine node producing it.
        let node: String
        /// ONNX shape with the batch axis (batch counted as 1).
        let shape: [Int]
        let layout: Layout

        /// The engine item shape (without batch).
        var engineShape: [Int] {
            switch layout {
            case .onnx, .permuted: Array(shape.dropFirst())
            case .channelsLast: [shape[2], shape[3], shape[1]]
            }
        }
    }

    enum Value {
        case constant(ONNXConstant)
        case runtime(RuntimeValue)
    }

    /// A layer whose bias or activation a following node may still fold in.
    struct Fusable {
        let nodeIndex: Int
        var bias: [Float]?
        var activation: ActivationKind
        let make: (_ name: String, _ bias: Tensor?, _ activation: ActivationKind) throws -> any Layer
    }

    var values: [String: Value] = [:]
    private(set) var nodes: [Model.Node] = []
    /// Engine layer name → the ONNX operator it came from, for the model card.
    private(set) var operatorOfLayer: [String: String] = [:]
    var fusable: [String: Fusable] = [:]
    /// Affine layers this converter made, by node: a following affine node folds into them.
    var rescalings: [String: (scale: [Float], offset: [Float])] = [:]
    /// How many nodes (and graph outputs) read each ONNX value.
    let consumers: [String: Int]
    /// The first image input's engine node, which constant layers read for the batch size.
    let batchSource: String
    /// The model's default-domain opset (defaults of `Softmax`, `Squeeze` … depend on it).
    let opset: Int
    private var usedNames: Set<String>
    /// The node being converted (for names and errors).
    var current = ONNXNode(name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [:])

    init(consumers: [String: Int], inputNames: [String], batchSource: String, opset: Int) {
        self.consumers = consumers
        self.opset = opset
        self.usedNames = Set(inputNames)
        self.batchSource = batchSource
    }

    // MARK: Building

    /// A fresh engine node name derived from the current ONNX node's name.
    func uniqueName(_ suffix: String? = nil) -> String {
        let base = suffix.map { "\(current.name)/\($0)" } ?? current.name
        var name = base, counter = 1
        while usedNames.contains(name) {
            counter += 1
            name = "\(base)_\(counter)"
        }
        usedNames.insert(name)
        return name
    }

    /// Appends `layer` reading `inputs` and returns its node name.
    @discardableResult
    func append(_ layer: any Layer, inputs: [String]) -> String {
        nodes.append(Model.Node(layer, inputs: inputs))
        operatorOfLayer[layer.name] = current.opType
        return layer.name
    }

    /// Replaces a fusable layer by its rebuilt version (same name, same inputs).
    func updateFused(_ name: String, _ update: (inout Fusable) -> Void) throws {
        guard var entry = fusable[name] else { return }
        update(&entry)
        let layer = try entry.make(name, entry.bias.map { Tensor(shape: [$0.count], scalars: $0) }, entry.activation)
        nodes[entry.nodeIndex] = Model.Node(layer, inputs: nodes[entry.nodeIndex].inputs)
        fusable[name] = entry
    }

    /// Replaces the layer of node `name` (same name, same inputs).
    func replaceLayer(_ name: String, with layer: any Layer) throws {
        guard let index = nodes.firstIndex(where: { $0.layer.name == name }) else { return }
        nodes[index] = Model.Node(layer, inputs: nodes[index].inputs)
    }

    /// Records a layer that may absorb a following bias or activation.
    func markFusable(_ name: String, bias: [Float]?, activation: ActivationKind = .linear,
                     make: @escaping (String, Tensor?, ActivationKind) throws -> any Layer) {
        fusable[name] = Fusable(nodeIndex: nodes.count - 1, bias: bias, activation: activation, make: make)
    }

    // MARK: Reading values

    func value(_ name: String) throws -> Value {
        guard let value = values[name] else {
            throw ModelImportError.invalidGraph(detail: "ONNX node '\(current.name)' reads '\(name)', which no node or initializer produces")
        }
        return value
    }

    /// The name of the required input at `index`.
    func input(_ index: Int) throws -> String {
        guard let name = current.input(index) else { throw unsupported("input \(index) is missing") }
        return name
    }

    /// The input at `index` as a load-time constant.
    func constant(_ index: Int, _ role: String) throws -> ONNXConstant {
        guard let name = current.input(index) else { throw unsupported("\(role) (input \(index)) is missing") }
        guard case .constant(let constant) = try value(name) else {
            throw unsupported("\(role) must be a constant (an initializer), but it is computed at run time")
        }
        return constant
    }

    /// The optional input at `index` as a constant, or nil when omitted.
    func optionalConstant(_ index: Int, _ role: String) throws -> ONNXConstant? {
        current.input(index) == nil ? nil : try constant(index, role)
    }

    /// The input at `index` as an engine value.
    func runtime(_ index: Int) throws -> RuntimeValue {
        guard let name = current.input(index) else { throw unsupported("input \(index) is missing") }
        switch try value(name) {
        case .runtime(let value): return value
        case .constant(let constant): return try materialize(constant)
        }
    }

    /// A constant as an engine value: a ``BatchConstant`` repeating it for every item. Rank ≥ 1 with the
    /// batch first (extent 1); 4-D constants are held channels-last like other images.
    func materialize(_ constant: ONNXConstant) throws -> RuntimeValue {
        var shape = constant.shape
        if shape.isEmpty { shape = [1, 1] } else if shape.count == 1 { shape = [1] + shape }
        guard shape[0] == 1 else { throw unsupported("a constant of shape \(constant.shape) would need a batch of its own") }
        let reshaped = ONNXConstant(shape: shape, values: constant.values, isInteger: constant.isInteger)
        let layout: Layout = shape.count == 4 ? .channelsLast : .onnx
        let item = layout == .channelsLast ? reshaped.transposed([0, 2, 3, 1]) : reshaped
        let layer = try BatchConstant(name: uniqueName("constant"), value: Tensor(shape: Array(item.shape.dropFirst()), scalars: item.floats))
        return RuntimeValue(node: append(layer, inputs: [batchSource]), shape: shape, layout: layout)
    }

    /// Stores the node's single output.
    func output(_ value: Value) {
        if let name = current.outputs.first { values[name] = value }
    }

    func output(_ runtime: RuntimeValue) { output(.runtime(runtime)) }

    /// Whether the node's input `index` is read by this node only (so its producer may be fused).
    func isSingleUse(_ index: Int) -> Bool {
        guard let name = current.input(index) else { return false }
        return consumers[name, default: 0] == 1
    }

    // MARK: Errors

    func unsupported(_ detail: String) -> ModelImportError {
        .unsupportedConfig(layer: current.name, detail: "\(current.opType): \(detail)")
    }
}
