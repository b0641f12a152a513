/// Parametric rectifier (Keras `PReLU`): `y = x > 0 ? x : α·x` with a learned slope per element.
///
/// Layout: input any `[N, ...]` (NHWC images); `alpha` has the item shape (without batch) with extent 1
/// on every shared axis (Keras `shared_axes`), exactly as Keras stores it, and is broadcast over those
/// axes. Backward `dx = dy·(x > 0 ? 1 : α)` from the cached input; with a ``BackpropModifier`` it is a
/// rectifier like ``LeakyReLU``: guided `1[dy > 0]·1[y > 0]·dy`, rectified `1[dy > 0]·dy`.
/// See https://keras.io/api/layers/activation_layers/prelu/.
public final class PReLU: UnaryLayer {
    public let name: String
    public let alpha: Tensor
    public var typeName: String { "PReLU" }
    public var parameterCount: Int { alpha.count }
    private var input: Tensor?
    /// `alpha` broadcast to the item shape of the latest input.
    private var expanded: [Float] = []
    private var expandedShape: [Int] = []

    /// - Parameter alpha: item-shaped slopes, extent 1 on shared axes.
    public init(name: String = "p_re_lu", alpha: Tensor) {
        self.name = name
        self.alpha = alpha
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard alpha.shape.count == shape.count, zip(alpha.shape, shape).allSatisfy({ $0 == $1 || $0 == 1 }) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "alpha \(describe(alpha.shape)) does not broadcast to \(describe(shape))")
        }
        return shape
    }

    /// The slope of every element of one item (row-major broadcast of `alpha`).
    private func slopes(for itemShape: [Int]) -> [Float] {
        if itemShape == expandedShape { return expanded }
        let count = itemShape.reduce(1, *)
        var result = [Float](repeating: 0, count: count)
        for flat in 0..<count {
            var rest = flat, source = 0, step = 1
            for axis in stride(from: itemShape.count - 1, through: 0, by: -1) {
                let index = rest % itemShape[axis]
                rest /= itemShape[axis]
                source += (alpha.shape[axis] == 1 ? 0 : index) * step
                step *= alpha.shape[axis]
            }
            result[flat] = alpha.scalars[source]
        }
        expanded = result
        expandedShape = itemShape
        return result
    }

    public func forward(_ input: Tensor) -> Tensor {
        let a = slopes(for: Array(input.shape.dropFirst()))
        self.input = input
        return Tensor(shape: input.shape) { y in
            input.scalars.withUnsafeBufferPointer { x in
                for i in y.indices {
                    let v = x[i]
                    y[i] = v > 0 ? v : a[i % a.count] * v
                }
            }
        }
    }

    public func releaseInputs() { input = nil }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == input.shape, "\(name): gradient shape \(outputGradient.shape) != \(input.shape)")
        let a = expanded
        return Tensor(shape: input.shape) { dx in
            input.scalars.withUnsafeBufferPointer { x in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    for i in dx.indices {
                        let g = dy[i], v = x[i], slope = a[i % a.count]
                        switch modifier {
                        case nil: dx[i] = v > 0 ? g : g * slope
                        case .guided?: dx[i] = g > 0 && (v > 0 ? v : slope * v) > 0 ? g : 0
                        case .rectified?: dx[i] = g > 0 ? g : 0
                        }
                    }
                }
            }
        }
    }
}
