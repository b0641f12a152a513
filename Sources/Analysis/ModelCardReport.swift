import Foundation
import ModelImport

/// A model card as text or JSON.
public struct ModelCardReport: Encodable {
    struct Layer: Encodable {
        let name: String
        let className: String
        let outputShape: [Int]
        let parameters: Int
        let inbound: [String]
    }
    struct Port: Encodable {
        let name: String
        let shape: [Int]
    }
    struct Lambda: Encodable {
        let layer: String
        let resolvedAs: String
        let source: String
        /// The Python versions whose bytecode it was read as, e.g. `3.6–3.7`.
        let python: String?
        /// The decompiled function, one statement per line (absent for `--lambda` declarations).
        let function: [String]?
    }

    let file: String
    let architectureFile: String?
    let format: String
    let kerasVersion: String?
    let backend: String?
    let modelClass: String
    let layers: [Layer]
    let inputs: [Port]
    let outputs: [Port]
    let totalParameters: Int
    let lambdas: [Lambda]

    public init(_ card: ModelCard) {
        file = card.file
        architectureFile = card.architectureFile
        format = card.format
        kerasVersion = card.kerasVersion
        backend = card.backend
        modelClass = card.modelClass
        layers = card.layers.map { Layer(name: $0.name, className: $0.className, outputShape: $0.outputShape, parameters: $0.parameterCount, inbound: $0.inbound) }
        inputs = card.inputs.map { Port(name: $0.name, shape: $0.shape) }
        outputs = card.outputs.map { Port(name: $0.name, shape: $0.shape) }
        totalParameters = card.totalParameters
        lambdas = card.lambdaResolutions.map { resolution in
            let source: String
            switch resolution.source {
            case .bytecode(let python): source = "bytecode: \(python)"
            case .override: source = "--lambda"
            }
            return Lambda(layer: resolution.layer, resolvedAs: resolution.operations.map(\.description).joined(separator: "; "), source: source,
                          python: resolution.decompiled?.pythonVersions,
                          function: resolution.decompiled.map { $0.functionSource.split(separator: "\n").map(String.init) })
        }
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public func text() -> String {
        func shape(_ dimensions: [Int]) -> String { "(" + dimensions.map(String.init).joined(separator: ", ") + ")" }
        var lines = ["model:      \(file)" + (architectureFile.map { " (architecture \($0))" } ?? ""),
                     format.hasPrefix("ONNX")
                        ? "format:     \(format), producer \(backend ?? "unknown"), \(modelClass)"
                        : "format:     \(format), keras_version \(kerasVersion ?? "unknown"), backend \(backend ?? "unknown"), \(modelClass)"]
        let nameWidth = max(layers.map(\.name.count).max() ?? 0, 5), classWidth = max(layers.map(\.className.count).max() ?? 0, 5)
        lines.append("")
        lines.append("Layer".padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                     + "Class".padding(toLength: classWidth + 2, withPad: " ", startingAt: 0) + "Output shape".padding(toLength: 18, withPad: " ", startingAt: 0) + "Params")
        for layer in layers {
            lines.append(layer.name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                         + layer.className.padding(toLength: classWidth + 2, withPad: " ", startingAt: 0)
                         + shape(layer.outputShape).padding(toLength: 18, withPad: " ", startingAt: 0) + "\(layer.parameters)")
        }
        lines.append("")
        lines.append("inputs:     " + inputs.map { "\($0.name) \(shape($0.shape))" }.joined(separator: ", "))
        lines.append("outputs:    " + outputs.enumerated().map { "\($0.offset): \($0.element.name) \(shape($0.element.shape))" }.joined(separator: ", "))
        lines.append("parameters: \(totalParameters)")
        for lambda in lambdas {
            // A one-line lambda shows inline; a function body follows on its own indented lines.
            guard let function = lambda.function, function.count > 1 else {
                let python = lambda.python.map { ", Python \($0)" } ?? ""
                lines.append("lambda:     \(lambda.layer) = \(lambda.resolvedAs)   [\(lambda.source)\(python)]")
                continue
            }
            lines.append("lambda:     \(lambda.layer) = \(lambda.resolvedAs)   [bytecode, Python \(lambda.python ?? "?"):]")
            lines += function.map { "              " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
