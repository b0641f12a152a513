import NeuralNet

/// A Lambda layer understood: what it computes, and the Python it was read from.
public struct LambdaResolution: Sendable, Equatable {
    public let layerName: String
    /// The steps, in order; `[.identity]` when the lambda returns its input.
    public let operations: [LambdaOperation]
    public let decompiled: DecompiledLambda
    /// The lambda body as Python text, e.g. `x / 127.5 - 1.0` (for `inspect`).
    public var source: String { decompiled.source }
}

/// Turns Keras Lambda layers into ``LambdaOperation``s without running Python.
///
/// The marshalled code is decompiled (``PythonMarshal``, ``PythonDecompiler``) and the expression
/// matched against the forms real steering models use:
/// - arithmetic in the input with numeric constants that reduces to `x · a + b`
///   (`x/127.5-1.0`, `x/255-0.5`, `2*x/255-1`, `(x-128)/128`, `x*(1/255)` …);
/// - `….image.resize_images(x, (h, w), method=…, align_corners=…)` (TF1),
///   `….compat.v1.image.resize(…)` (TF1), `….image.resize(x, (h, w), method='…')` (TF2),
///   `….image.resize_bilinear / resize_nearest_neighbor / resize_bicubic / resize_area` — matched on
///   the end of the attribute chain, so `tf`, `ktf`, `K.tf` … all work;
/// - `x[:, a:b, c:d, :]` crops (slices of rows and columns, step 1);
/// - `….identity(x)` and the bare input;
/// - any nesting of these, e.g. `tf.image.resize_images(x, (66, 200)) / 255.0 - 0.5`.
/// Values only Python knew (module globals such as `ROWS`, closures or defaults Keras did not store)
/// make the layer unresolvable, as does anything else: an error is better than a guess.
public enum LambdaResolver {
    /// The operations a Lambda layer performs.
    public static func resolve(layerName: String, function: LambdaFunction) throws(LambdaResolutionError) -> [LambdaOperation] {
        try resolution(layerName: layerName, function: function).operations
    }

    /// The operations and the decompiled source of a Lambda layer.
    public static func resolution(layerName: String, function: LambdaFunction) throws(LambdaResolutionError) -> LambdaResolution {
        let decompiled = try decompile(layerName: layerName, function: function)
        do throws(LambdaMismatch) {
            var operations = try LambdaMatcher().operations(decompiled.expression.substitutingLocals)
            if operations.isEmpty { operations = [.identity] }
            return LambdaResolution(layerName: layerName, operations: operations, decompiled: decompiled)
        } catch {
            throw .unrecognised(layer: layerName, lambdaSource: decompiled.lambdaSource, reason: error.reason)
        }
    }

    /// Reads a Lambda layer's whole config (`function`, `function_type`, `arguments`) as
    /// `JSONSerialization` returns it.
    public static func resolution(layerName: String, config: [String: Any]) throws(LambdaResolutionError) -> LambdaResolution {
        guard let value = config["function"] else {
            throw .unreadableFunction(layer: layerName, reason: "its config has no 'function'")
        }
        if let type = config["function_type"] as? String, type != "lambda" {
            throw .namedFunction(layer: layerName, name: (value as? String) ?? "\(value)")
        }
        let arguments = config["arguments"] as? [String: Any] ?? [:]
        let function = try LambdaFunction(configValue: value, arguments: arguments, layerName: layerName)
        return try resolution(layerName: layerName, function: function)
    }

    /// Decompiles without matching, e.g. to show an unrecognised lambda.
    public static func decompile(layerName: String, function: LambdaFunction) throws(LambdaResolutionError) -> DecompiledLambda {
        let context = PythonDecompiler.Context(defaults: function.defaults, closure: function.closure, keywordArguments: function.arguments)
        do throws(PythonBytecodeError) {
            return try PythonDecompiler.decompile(function.code, context: context)
        } catch {
            throw .unsupportedBytecode(layer: layerName, reason: error.description)
        }
    }
}

/// Why an expression does not match; becomes ``LambdaResolutionError/unrecognised(layer:lambdaSource:reason:)``.
struct LambdaMismatch: Error {
    var reason: String
}

/// The pattern matcher behind ``LambdaResolver``: expression tree in, operations out.
struct LambdaMatcher {
    /// Operations that turn the layer input into `expression`.
    func operations(_ expression: PythonExpression) throws(LambdaMismatch) -> [LambdaOperation] {
        switch expression {
        case .parameter(_, 0, _):
            return []
        case .binary(.add, _, _), .binary(.subtract, _, _), .binary(.multiply, _, _), .binary(.trueDivide, _, _),
             .unary(.negative, _), .unary(.positive, _):
            // Affine arithmetic becomes one Rescaling; anything else element-wise a TensorExpression.
            do throws(LambdaMismatch) {
                return try affineOperations(expression)
            } catch {
                return try tensorOperations(expression)
            }
        case .call(let function, let arguments, let keywords):
            return try callOperations(function, arguments, keywords)
        case .subscripted(let base, let index):
            return try operations(base) + cropOperations(index)
        case .binary:
            return try tensorOperations(expression)
        default:
            if let value = try constantValue(expression) {
                throw LambdaMismatch(reason: "it returns the constant \(value.pythonRepr), not a function of its input")
            }
            throw LambdaMismatch(reason: "`\(expression.source)` is not an operation on the input")
        }
    }

    // MARK: Affine arithmetic

    static let affineOperators: Set<PythonBinaryOperator> = [.add, .subtract, .multiply, .trueDivide]

    /// `term · scale + offset`; `term == nil` for a constant.
    struct Linear {
        var term: PythonExpression?
        var scale: Double
        var offset: Double
    }

    func affineOperations(_ expression: PythonExpression) throws(LambdaMismatch) -> [LambdaOperation] {
        let linear = try self.linear(expression)
        guard let term = linear.term else {
            throw LambdaMismatch(reason: "it returns the constant \(linear.offset), not a function of its input")
        }
        let inner = try operations(term)
        if linear.scale == 1, linear.offset == 0 { return inner }
        let scale = Float(linear.scale), offset = Float(linear.offset)
        guard scale.isFinite, offset.isFinite, scale != 0 else {
            throw LambdaMismatch(reason: "its scale \(linear.scale) / offset \(linear.offset) is not a usable Float")
        }
        return inner + [.affine(scale: scale, offset: offset)]
    }

    func linear(_ expression: PythonExpression) throws(LambdaMismatch) -> Linear {
        switch expression {
        case .binary(let op, let leftExpression, let rightExpression) where Self.affineOperators.contains(op):
            let left = try linear(leftExpression), right = try linear(rightExpression)
            switch op {
            case .add, .subtract:
                let sign: Double = op == .add ? 1 : -1
                if let a = left.term, let b = right.term, a != b {
                    throw LambdaMismatch(reason: "`\(expression.source)` combines two different values (`\(a.source)`, `\(b.source)`)")
                }
                return Linear(term: left.term ?? right.term, scale: left.scale + sign * right.scale, offset: left.offset + sign * right.offset)
            case .multiply:
                if left.term != nil, right.term != nil {
                    throw LambdaMismatch(reason: "`\(expression.source)` multiplies the input by itself, which is not affine")
                }
                return right.term == nil
                    ? Linear(term: left.term, scale: left.scale * right.offset, offset: left.offset * right.offset)
                    : Linear(term: right.term, scale: right.scale * left.offset, offset: right.offset * left.offset)
            default:
                if right.term != nil {
                    throw LambdaMismatch(reason: "`\(expression.source)` divides by the input, which is not affine")
                }
                guard right.offset != 0 else { throw LambdaMismatch(reason: "`\(expression.source)` divides by zero") }
                return Linear(term: left.term, scale: left.scale / right.offset, offset: left.offset / right.offset)
            }
        case .unary(.negative, let operand):
            let inner = try linear(operand)
            return Linear(term: inner.term, scale: -inner.scale, offset: -inner.offset)
        case .unary(.positive, let operand):
            return try linear(operand)
        default:
            if let value = try number(expression) { return Linear(term: nil, scale: 0, offset: value) }
            return Linear(term: expression, scale: 1, offset: 0)
        }
    }

    /// The numeric value of a constant (or stored default / closure value); nil for non-constants.
    /// Throws for names whose value Python knew but the model does not store.
    func number(_ expression: PythonExpression) throws(LambdaMismatch) -> Double? {
        guard let value = try constantValue(expression) else { return nil }
        switch value {
        case .int(let integer): return Double(integer)
        case .float(let double): return double
        default: throw LambdaMismatch(reason: "`\(expression.source)` = \(value.pythonRepr) is not a number")
        }
    }

    /// The Python value of an expression that does not depend on the input, if known.
    func constantValue(_ expression: PythonExpression) throws(LambdaMismatch) -> PythonObject? {
        switch expression {
        case .constant(let value):
            return value
        case .parameter(let name, let index, let defaultValue) where index > 0:
            guard let defaultValue else {
                throw LambdaMismatch(reason: "it uses the parameter `\(name)`, whose value the model does not store")
            }
            return defaultValue
        case .freeVariable(let name, let value):
            guard let value else {
                throw LambdaMismatch(reason: "it uses the closure variable `\(name)`, whose value the model does not store")
            }
            return value
        case .global(let name):
            throw LambdaMismatch(reason: "it uses the global `\(name)`, whose value the model does not store")
        case .tuple(let items), .list(let items):
            var values: [PythonObject] = []
            for item in items {
                guard let value = try constantValue(item) else { return nil }
                values.append(value)
            }
            return .tuple(values)
        case .unary(.negative, let operand):
            switch try constantValue(operand) {
            case .int(let value)?: return .int(-value)
            case .float(let value)?: return .float(-value)
            default: return nil
            }
        default:
            return nil
        }
    }

    // MARK: Crops

    func cropOperations(_ index: PythonExpression) throws(LambdaMismatch) -> [LambdaOperation] {
        guard case .tuple(let items) = index else {
            throw LambdaMismatch(reason: "the subscript `[\(index.source)]` indexes the batch axis; crops look like x[:, top:bottom, left:right, :]")
        }
        var axes: [PythonSlice] = []
        var reversed: [Int] = []
        let ellipsisCount = items.filter { $0 == .constant(.ellipsis) }.count
        guard ellipsisCount <= 1, items.count - ellipsisCount <= 4 else {
            throw LambdaMismatch(reason: "the subscript does not index an NHWC batch")
        }
        for item in items {
            if item == .constant(.ellipsis) {
                axes += Array(repeating: .all, count: 4 - (items.count - 1))
                continue
            }
            guard case .slice(let start, let stop, let step) = item else {
                throw LambdaMismatch(reason: "the subscript item `\(item.source)` selects a single index; only slices are supported")
            }
            if let step, try constantValue(step) != PythonObject.none, try constantValue(step) != .int(1) {
                // `::-1` reverses the whole axis (BGR ↔ RGB, mirror image); other steps resample.
                guard try constantValue(step) == .int(-1), try sliceBound(start) == nil, try sliceBound(stop) == nil else {
                    throw LambdaMismatch(reason: "slices with a step (`\(step.source)`) other than a whole `::-1` are not supported")
                }
                reversed.append(axes.count)
                axes.append(.all)
                continue
            }
            axes.append(PythonSlice(start: try sliceBound(start), stop: try sliceBound(stop)))
        }
        axes += Array(repeating: .all, count: 4 - axes.count)
        guard axes[0] == .all, !reversed.contains(0) else { throw LambdaMismatch(reason: "the subscript crops or reorders the batch axis") }
        guard axes[3] == .all else { throw LambdaMismatch(reason: "the subscript selects channels, which is not supported") }
        var operations: [LambdaOperation] = axes[1] == .all && axes[2] == .all ? [] : [.crop(rows: axes[1], columns: axes[2])]
        if !reversed.isEmpty {
            operations.append(.tensor(reversed.reduce(TensorExpression.input) { .reverse($0, axis: $1) }))
        }
        return operations
    }

    func sliceBound(_ expression: PythonExpression) throws(LambdaMismatch) -> Int? {
        switch try constantValue(expression) {
        case .none?: return nil
        case .int(let value)?: return value
        default: throw LambdaMismatch(reason: "the slice bound `\(expression.source)` is not an integer")
        }
    }

    // MARK: Calls

    func callOperations(_ function: PythonExpression, _ arguments: [PythonExpression], _ keywords: [PythonKeywordArgument]) throws(LambdaMismatch) -> [LambdaOperation] {
        guard let name = function.dottedName else {
            throw LambdaMismatch(reason: "it calls `\(function.source)`, which is not a named function")
        }
        let parts = name.split(separator: ".").map(String.init)
        if parts.last == "identity" {
            let bound = try bind(name, ["input", "name"], arguments, keywords)
            guard let input = bound["input"] else { throw LambdaMismatch(reason: "\(name) is called without its input") }
            return try operations(input)
        }
        if parts.count >= 2, parts[parts.count - 2] == "image", let resize = try resizeOperation(name, parts, arguments, keywords) {
            return resize
        }
        if let geometry = try geometryOperations(name, arguments, keywords) {
            return geometry
        }
        if Self.isTensorFunction(name) {
            return try tensorOperations(.call(function, arguments: arguments, keywords: keywords))
        }
        throw LambdaMismatch(reason: "`\(name)` is not a function SteerLens knows")
    }

    /// Binds call arguments to parameter names as Python would; unknown or repeated names are errors.
    func bind(_ function: String, _ parameters: [String], _ arguments: [PythonExpression], _ keywords: [PythonKeywordArgument]) throws(LambdaMismatch) -> [String: PythonExpression] {
        guard arguments.count <= parameters.count else {
            throw LambdaMismatch(reason: "\(function) is called with \(arguments.count) positional arguments")
        }
        var bound = Dictionary(uniqueKeysWithValues: zip(parameters, arguments).map { ($0, $1) })
        for keyword in keywords {
            guard parameters.contains(keyword.name) else {
                throw LambdaMismatch(reason: "\(function) has no argument `\(keyword.name)` that SteerLens knows")
            }
            guard bound.updateValue(keyword.value, forKey: keyword.name) == nil else {
                throw LambdaMismatch(reason: "\(function) gets `\(keyword.name)` twice")
            }
        }
        return bound
    }
}
