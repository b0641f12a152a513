import Foundation
import NeuralNet
import SwiftProtobuf

/// Loads ONNX models (`torch.onnx.export`, opsets 9–21) into the NeuralNet engine.
///
/// The protobuf is parsed with swift-protobuf (`Generated/*.pb.swift`, generated once from the fields
/// SteerLens reads of the official `onnx-ml.proto` by `Tools/generate-onnx-proto.sh`); initializers come from `raw_data`, the
/// typed fields or external data files beside the model. Constants are folded at load time and the
/// NCHW graph becomes an NHWC engine graph (see ``ONNXGraphConverter``).
///
/// Inputs: exactly one image input, `[N, C, H, W]` (NCHW, C = 1 or 3) or `[N, H, W, C]` (a graph that
/// transposes inside), with fixed H and W; every other input (e.g. vehicle speed `[N, 1]`) is fixed
/// for all frames by `inputValues` (`--input NAME=VALUE`) and folded into the graph as a constant.
public enum ONNXModelLoader {
    /// The default-domain opsets SteerLens implements.
    public static let supportedOpsets = 9...21

    /// Whether `url` names an ONNX model (by its `.onnx` extension).
    public static func isONNX(_ url: URL) -> Bool { url.pathExtension.lowercased() == "onnx" }

    /// Loads the model at `url`.
    /// - Parameters:
    ///   - inputValues: extra input name → the value every element of it takes for every frame.
    ///   - unsetInputValue: the value of extra inputs `inputValues` leaves out (`inspect` shows a model
    ///     without values); nil makes them an error.
    /// - Throws: ``ModelImportError`` (one-line message + hint).
    public static func load(from url: URL, inputValues: [String: Float] = [:], unsetInputValue: Float? = nil) throws -> LoadedModel {
        let path = url.path
        try KerasModelLoader.checkReadable(url)
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ModelImportError.unreadable(path: path, reason: error.localizedDescription) }
        return try load(data: data, path: path, folder: url.deletingLastPathComponent(), inputValues: inputValues, unsetInputValue: unsetInputValue)
    }

    /// Loads a model from its bytes; `path` names it in messages, external data is read from `folder`.
    public static func load(data: Data, path: String, folder: URL, inputValues: [String: Float] = [:],
                            unsetInputValue: Float? = nil) throws -> LoadedModel {
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ModelImportError.invalidONNX(path: path, detail: "the protobuf cannot be parsed (\(error))")
        }
        guard proto.hasGraph, !proto.graph.node.isEmpty else { throw ModelImportError.invalidONNX(path: path, detail: "it holds no graph") }
        let opsets = proto.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) }
        guard let opset = opsets.max() else { throw ModelImportError.invalidONNX(path: path, detail: "it declares no opset of the default domain") }
        guard supportedOpsets.contains(opset) else {
            throw ModelImportError.unsupportedConfig(layer: "(model)", detail: "opset \(opset) is outside the supported opsets \(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound); re-export with opset_version=17")
        }
        let reader = ONNXTensorReader(modelPath: path, folder: folder)
        let graph = proto.graph

        var constants: [String: ONNXConstant] = [:]
        for initializer in graph.initializer { constants[initializer.name] = try reader.read(initializer) }
        let declared = graph.input.filter { constants[$0.name] == nil }
        let imageInputs = declared.filter { $0.type.tensorType.shape.dim.count == 4 }
        guard imageInputs.count == 1, let image = imageInputs.first else {
            throw ModelImportError.invalidONNX(path: path, detail: "expects one image input [N, C, H, W] or [N, H, W, C], found \(imageInputs.count) 4-D inputs")
        }
        let extras = declared.filter { $0.name != image.name }
        for name in inputValues.keys.sorted() where !extras.contains(where: { $0.name == name }) {
            throw ModelImportError.unknownInputValue(name: name, inputs: extras.map(\.name))
        }
        for extra in extras {
            let shape = extra.type.tensorType.shape.dim.map { $0.dimValue > 0 ? Int($0.dimValue) : 1 }
            guard let value = inputValues[extra.name] ?? unsetInputValue else {
                throw ModelImportError.missingInputValue(name: extra.name, shape: Array(shape.dropFirst()))
            }
            guard let count = ONNXConstant.elementCount(shape), count <= 1 << 20 else {
                throw ModelImportError.invalidONNX(path: path, detail: "extra input '\(extra.name)' \(shape) is too large")
            }
            constants[extra.name] = ONNXConstant(shape: shape, values: [Double](repeating: Double(value), count: count), isInteger: false)
        }

        let dims = image.type.tensorType.shape.dim.map { Int($0.dimValue) }
        guard dims[1...].allSatisfy({ $0 > 0 && $0 < 1 << 16 }) else {
            throw ModelImportError.invalidONNX(path: path, detail: "image input '\(image.name)' needs fixed channel, height and width, got \(dims); export with a fixed-size dummy input")
        }
        let channelsFirst = [1, 3].contains(dims[1])
        guard channelsFirst || [1, 3].contains(dims[3]) else {
            throw ModelImportError.invalidONNX(path: path, detail: "image input '\(image.name)' \(dims) has neither 1 nor 3 channels first or last")
        }
        let onnxShape = [1] + dims[1...]
        let engineShape = channelsFirst ? [dims[2], dims[3], dims[1]] : Array(dims[1...])

        var consumers: [String: Int] = [:]
        for node in graph.node { for input in node.input where !input.isEmpty { consumers[input, default: 0] += 1 } }
        for output in graph.output { consumers[output.name, default: 0] += 1 }
        let converter = ONNXGraphConverter(consumers: consumers, inputNames: [image.name], batchSource: image.name, opset: opset)
        for (name, constant) in constants { converter.values[name] = .constant(constant) }
        converter.values[image.name] = .runtime(.init(node: image.name, shape: onnxShape, layout: channelsFirst ? .channelsLast : .onnx))

        for (index, node) in graph.node.enumerated() {
            converter.current = try ONNXNode(node, index: index, reader: reader)
            try rethrowingNeuralNetErrors(layer: converter.current.name) { try converter.convert() }
        }

        var outputs: [String] = [], outputNames: [String] = []
        for output in graph.output {
            converter.current = ONNXNode(name: output.name, opType: "output", domain: "", inputs: [output.name], outputs: [], attributes: [:])
            guard case .runtime(let value)? = converter.values[output.name] else {
                throw ModelImportError.invalidGraph(detail: "output '\(output.name)' does not depend on the image input")
            }
            let ordered = try rethrowingNeuralNetErrors(layer: output.name) { try converter.inONNXOrder(value) }
            outputs.append(ordered.node)
            outputNames.append(output.name)
        }
        let model = try rethrowingNeuralNetErrors(layer: "model") {
            try Model(inputs: [Model.Input(name: image.name, shape: engineShape)], nodes: converter.nodes, outputs: outputs)
        }
        let rows = model.layerInfo.dropFirst().map { info in
            ModelCard.LayerRow(name: info.name, className: info.typeName, outputShape: info.outputShape,
                               parameterCount: info.parameterCount, inbound: info.inputs)
        }
        let producer = [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        let card = ModelCard(
            file: path, architectureFile: nil, format: "ONNX opset \(opset)", kerasVersion: nil,
            backend: producer.isEmpty ? nil : producer, modelClass: channelsFirst ? "NCHW graph" : "NHWC graph", layers: rows,
            inputs: [(image.name, engineShape)] + extras.map { ($0.name, Array(constants[$0.name]!.shape.dropFirst())) },
            outputs: zip(outputNames, model.outputShapes).map { ($0, $1) },
            totalParameters: model.parameterCount, lambdaResolutions: [])
        return LoadedModel(model: model, card: card, inputShape: engineShape)
    }

    /// NeuralNet rejects a layer: report it as an import error naming the node.
    private static func rethrowingNeuralNetErrors<T>(layer: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NeuralNetError {
            switch error {
            case .invalidConfiguration(let name, let detail): throw ModelImportError.unsupportedConfig(layer: name, detail: detail)
            default: throw ModelImportError.invalidGraph(detail: error.message)
            }
        }
    }
}

extension ONNXNode {
    /// Reads a `NodeProto`, naming unnamed nodes `<op>_<index>`.
    init(_ node: Onnx_NodeProto, index: Int, reader: ONNXTensorReader) throws {
        var attributes: [String: ONNXAttribute] = [:]
        for attribute in node.attribute {
            switch attribute.type {
            case .float: attributes[attribute.name] = .float(Double(attribute.f))
            case .int: attributes[attribute.name] = .int(Int(attribute.i))
            case .string: attributes[attribute.name] = .string(String(decoding: attribute.s, as: UTF8.self))
            case .tensor: attributes[attribute.name] = .tensor(try reader.read(attribute.t))
            case .floats: attributes[attribute.name] = .floats(attribute.floats.map(Double.init))
            case .ints: attributes[attribute.name] = .ints(attribute.ints.map { Int($0) })
            case .strings: attributes[attribute.name] = .strings(attribute.strings.map { String(decoding: $0, as: UTF8.self) })
            default: attributes[attribute.name] = .other
            }
        }
        self.init(name: node.name.isEmpty ? "\(node.opType)_\(index)" : node.name, opType: node.opType, domain: node.domain,
                  inputs: node.input, outputs: node.output, attributes: attributes)
    }
}
