/// One ONNX `NodeProto` as the converter reads it, independent of the generated protobuf types.
struct ONNXNode {
    /// The node's name, or `<op>_<index>` when the exporter left it empty.
    let name: String
    let opType: String
    /// `""` (or `ai.onnx`) for the standard operator set.
    let domain: String
    /// Value names read; `""` marks an omitted optional input.
    let inputs: [String]
    let outputs: [String]
    let attributes: [String: ONNXAttribute]

    /// The optional input at `index`, or nil when absent or omitted.
    func input(_ index: Int) -> String? {
        inputs.indices.contains(index) && !inputs[index].isEmpty ? inputs[index] : nil
    }

    func int(_ key: String) -> Int? {
        if case .int(let value)? = attributes[key] { return value }
        return nil
    }

    func float(_ key: String) -> Double? {
        switch attributes[key] {
        case .float(let value)?: value
        case .int(let value)?: Double(value)
        default: nil
        }
    }

    func ints(_ key: String) -> [Int]? {
        if case .ints(let value)? = attributes[key] { return value }
        return nil
    }

    func floats(_ key: String) -> [Double]? {
        if case .floats(let value)? = attributes[key] { return value }
        return nil
    }

    func string(_ key: String) -> String? {
        if case .string(let value)? = attributes[key] { return value }
        return nil
    }
}

/// An `AttributeProto` value (graphs and sparse tensors are not used by steering CNNs: `.other`).
enum ONNXAttribute {
    case float(Double)
    case int(Int)
    case string(String)
    case tensor(ONNXConstant)
    case floats([Double])
    case ints([Int])
    case strings([String])
    case other
}
