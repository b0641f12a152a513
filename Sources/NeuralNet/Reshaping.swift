/// Layers that only re-view or pass through their input: `Flatten`, `Reshape`, `Dropout`.
/// None copies more than the output tensor; backward re-views the gradient.

/// Flattens each item to `[H·W·C]` in NHWC (row-major) order, as Keras/TF channels-last `Flatten`.
public final class Flatten: UnaryLayer {
    public let name: String
    public var typeName: String { "Flatten" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?

    public init(name: String = "flatten") { self.name = name }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { [shape.reduce(1, *)] }

    public func forward(_ input: Tensor) -> Tensor {
        inputShape = input.shape
        return input.reshaped(to: [input.batchSize, input.itemCount])
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        return outputGradient.reshaped(to: inputShape)
    }
}

/// Re-views each item with `targetShape` (without batch; one extent may be `-1`), Keras `Reshape`.
public final class Reshape: UnaryLayer {
    public let name: String
    public let targetShape: [Int]
    public var typeName: String { "Reshape" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?
    private var resolvedShape: [Int]?

    public init(name: String = "reshape", targetShape: [Int]) throws {
        // The known extents' product must fit an Int (a file may give any extents), so outputShape's can.
        let known = targetShape.filter { $0 != -1 }.reduce((product: 1, overflow: false)) { partial, extent in
            let next = partial.product.multipliedReportingOverflow(by: extent)
            return (next.partialValue, partial.overflow || next.overflow)
        }
        guard targetShape.filter({ $0 == -1 }).count <= 1, targetShape.allSatisfy({ $0 == -1 || $0 > 0 }), !known.overflow else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "bad target shape \(describe(targetShape))")
        }
        self.name = name
        self.targetShape = targetShape
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        let total = shape.reduce(1, *)
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
        var resolved = targetShape
        if let unknown = targetShape.firstIndex(of: -1), known > 0, total % known == 0 {
            resolved[unknown] = total / known
        }
        guard resolved.reduce(1, *) == total, !resolved.contains(-1) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "cannot reshape \(describe(shape)) to \(describe(targetShape))")
        }
        return resolved
    }

    public func forward(_ input: Tensor) -> Tensor {
        let itemShape = Array(input.shape.dropFirst())
        if inputShape.map({ Array($0.dropFirst()) }) != itemShape || resolvedShape == nil {
            guard let shape = try? outputShape(forInputShape: itemShape) else {
                preconditionFailure("\(name): cannot reshape \(input.shape) to \(targetShape)")
            }
            resolvedShape = shape
        }
        inputShape = input.shape
        return input.reshaped(to: [input.batchSize] + resolvedShape!)
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        return outputGradient.reshaped(to: inputShape)
    }
}

/// Dropout at inference: the identity (the `rate` is kept for summaries only).
public final class Dropout: UnaryLayer {
    public let name: String
    public let rate: Float
    public var typeName: String { "Dropout" }
    public var parameterCount: Int { 0 }

    public init(name: String = "dropout", rate: Float = 0.5) {
        self.name = name
        self.rate = rate
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
    public func forward(_ input: Tensor) -> Tensor { input }
    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor { outputGradient }
}
