import NeuralNet

/// Matching per-image tensor computations: arithmetic that is not affine, reductions, activations,
/// colour conversions and standardisation, into one ``NeuralNet/TensorExpression`` step.
///
/// The function catalogue (signatures as in Keras 2 `backend`, TF 1.15/2.x):
/// - `K.min/max/mean/sum/std/var(x, axis=None, keepdims=False)`, `tf.reduce_min/max/mean/sum(input_tensor, axis=None, keepdims=False)`
///   `tf.math.reduce_std/reduce_variance` (TF1 also `keep_dims`, `reduction_indices`), also under `tf.math` and NumPy's `np.min/max/mean/sum(a, axis=None, …, keepdims)`;
/// - `tf.clip_by_value`, `K.clip`; `relu` (`tf.nn.relu`, `K.relu` with default alpha/max_value), `tanh`, `sigmoid`, `sqrt`, `square`,
///   `abs`, `exp`, `log` under `tf`, `tf.math`, `tf.nn`, `K`, `np`; `tf.maximum/minimum`, `K.maximum/minimum`;
/// - `tf.image.rgb_to_grayscale`, `rgb_to_yuv`, `yuv_to_rgb` (TensorFlow's kernels as channel mixes), `rgb_to_hsv`,
///   `tf.image.per_image_standardization`;
/// - `tf.cast` / `K.cast` to float32 (identity), `K.epsilon()` (1e-7), constants from
///   `np.array/asarray/float32`, `K.constant`, `tf.constant`, numbers, tuples and lists (per channel).
/// Exactly one non-element-wise value may feed the computation (the input, or a resize/crop of it).
extension LambdaMatcher {
    /// The operations of an element-wise computation on one term (the input or an image operation).
    func tensorOperations(_ expression: PythonExpression) throws(LambdaMismatch) -> [LambdaOperation] {
        var base: PythonExpression?
        let tensor = try tensorExpression(expression, base: &base)
        guard let base else {
            throw LambdaMismatch(reason: "`\(expression.source)` does not depend on its input")
        }
        return try operations(base) + [.tensor(tensor)]
    }

    /// `expression` as a tensor expression whose `.input` stands for `base` (set on first use).
    func tensorExpression(_ expression: PythonExpression, base: inout PythonExpression?) throws(LambdaMismatch) -> TensorExpression {
        if let constant = try tensorConstant(expression) { return constant }
        switch expression {
        case .binary(let op, let left, let right):
            let operators: [PythonBinaryOperator: TensorOperator] = [.add: .add, .subtract: .subtract, .multiply: .multiply, .trueDivide: .divide]
            if let tensorOperator = operators[op] {
                return .binary(tensorOperator, try tensorExpression(left, base: &base), try tensorExpression(right, base: &base))
            }
            if op == .power, let exponent = try number(right), exponent == 2 || exponent == 0.5 {
                return .unary(exponent == 2 ? .square : .sqrt, try tensorExpression(left, base: &base))
            }
            throw LambdaMismatch(reason: "the operator \(op.rawValue) in `\(expression.source)` is not supported")
        case .unary(.negative, let operand):
            return .unary(.negative, try tensorExpression(operand, base: &base))
        case .unary(.positive, let operand):
            return try tensorExpression(operand, base: &base)
        case .call(let function, let arguments, let keywords):
            if let name = function.dottedName, let tensor = try tensorCall(name, arguments, keywords, base: &base) { return tensor }
        default:
            break
        }
        if let base, base != expression {
            throw LambdaMismatch(reason: "`\(expression.source)` and `\(base.source)` are two different values; SteerLens follows computations on one")
        }
        base = expression
        return .input
    }

    /// A constant tensor: numbers, (nested) tuples and lists of numbers, stored defaults and closures.
    func tensorConstant(_ expression: PythonExpression) throws(LambdaMismatch) -> TensorExpression? {
        guard let value = try constantValue(expression) else { return nil }
        guard let (values, shape) = Self.array(value) else {
            throw LambdaMismatch(reason: "`\(expression.source)` = \(value.pythonRepr) is not a number or an array of numbers")
        }
        return .constant(values: values, shape: shape)
    }

    /// Row-major values and shape of a number or a rectangular nest of tuples/lists of numbers.
    static func array(_ value: PythonObject) -> ([Float], [Int])? {
        if let number = value.number { return ([Float(number)], []) }
        switch value {
        case .tuple(let items), .list(let items):
            let parts = items.compactMap(array)
            guard parts.count == items.count, let first = parts.first, parts.allSatisfy({ $0.1 == first.1 }) else { return nil }
            return (parts.flatMap(\.0), [items.count] + first.1)
        default:
            return nil
        }
    }

    /// Whether `name` is a tensor function of the catalogue (for routing calls).
    static func isTensorFunction(_ name: String) -> Bool {
        let last = name.split(separator: ".").last.map(String.init) ?? name
        return name.contains(".") && (tensorFunctionNames.contains(last) || reductionNames[last] != nil || deviationNames[last] != nil
            || constantFunctionNames.contains(last))
    }

    static let tensorFunctionNames: Set<String> = [
        "relu", "tanh", "sigmoid", "sqrt", "square", "abs", "exp", "log", "maximum", "minimum", "cast",
        "rgb_to_grayscale", "rgb_to_yuv", "yuv_to_rgb", "per_image_standardization", "epsilon",
        "concatenate", "concat", "expand_dims", "rgb_to_hsv", "clip_by_value", "clip",
    ]
    static let constantFunctionNames: Set<String> = ["array", "asarray", "float32", "constant", "cast_to_floatx"]
    static let reductionNames: [String: TensorReduction] = [
        "min": .min, "max": .max, "mean": .mean, "sum": .sum, "amin": .min, "amax": .max,
        "reduce_min": .min, "reduce_max": .max, "reduce_mean": .mean, "reduce_sum": .sum,
    ]
    /// Deviation reductions, built from means as TensorFlow's `reduce_variance` / `reduce_std` are.
    static let deviationNames: [String: Bool] = ["std": true, "reduce_std": true, "var": false, "reduce_variance": false]

    /// TensorFlow's colour kernels (`image_ops_impl.py`): `[input channel][output channel]`.
    static let rgbToYUV: [Float] = [0.299, -0.14714119, 0.61497538, 0.587, -0.28886916, -0.51496512, 0.114, 0.43601035, -0.10001026]
    static let yuvToRGB: [Float] = [1, 1, 1, 0, -0.394642334, 2.03206185, 1.13988303, -0.58062185, 0]
    static let rgbToGray: [Float] = [0.2989, 0.587, 0.114]

    /// The tensor expression of a catalogue call, or nil if `name` is not in the catalogue.
    func tensorCall(_ name: String, _ arguments: [PythonExpression], _ keywords: [PythonKeywordArgument], base: inout PythonExpression?) throws(LambdaMismatch) -> TensorExpression? {
        guard Self.isTensorFunction(name) else { return nil }
        let function = String(name.split(separator: ".").last!)
        func operand(_ bound: [String: PythonExpression], _ key: String) throws(LambdaMismatch) -> TensorExpression {
            guard let value = bound[key] else { throw LambdaMismatch(reason: "\(name) is called without `\(key)`") }
            return try tensorExpression(value, base: &base)
        }
        if Self.reductionNames[function] != nil || Self.deviationNames[function] != nil {
            let parameters = function.hasPrefix("reduce_")
                ? ["input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"]
                : name.hasPrefix("numpy.") || name.hasPrefix("np.") ? ["x", "axis", "dtype", "out", "keepdims"] : ["x", "axis", "keepdims"]
            let bound = try bind(name, parameters, arguments, keywords)
            let axisExpression = bound["axis"] ?? bound["reduction_indices"]
            var axes: [Int]?
            if let axisExpression, try constantValue(axisExpression) != PythonObject.none {
                switch try constantValue(axisExpression) {
                case .int(let axis)?: axes = [axis]
                case .tuple(let items)?, .list(let items)?:
                    axes = try items.map { item throws(LambdaMismatch) in
                        guard case .int(let axis) = item else { throw LambdaMismatch(reason: "the axis `\(axisExpression.source)` of \(name) is not integers") }
                        return axis
                    }
                default: throw LambdaMismatch(reason: "the axis `\(axisExpression.source)` of \(name) is not a constant")
                }
            }
            var keep = false
            if let keepExpression = bound["keepdims"] ?? bound["keep_dims"] {
                switch try constantValue(keepExpression) {
                case .bool(let value)?: keep = value
                case .none?: keep = false
                default: throw LambdaMismatch(reason: "keepdims=`\(keepExpression.source)` of \(name) is not True/False")
                }
            }
            let input = try operand(bound, parameters[0])
            if let isDeviation = Self.deviationNames[function] {
                // reduce_variance: mean((x − mean(x, keepdims))², axes); reduce_std: its square root.
                // (`axes == nil` reduces each image with its axes kept, so `keepDimensions` is false there by convention.)
                let centred = TensorExpression.binary(.subtract, input, .reduce(.mean, input, axes: axes, keepDimensions: axes != nil))
                let variance = TensorExpression.reduce(.mean, .unary(.square, centred), axes: axes, keepDimensions: keep && axes != nil)
                return isDeviation ? .unary(.sqrt, variance) : variance
            }
            return .reduce(Self.reductionNames[function]!, input, axes: axes, keepDimensions: keep && axes != nil)
        }
        switch function {
        case "epsilon":
            guard arguments.isEmpty, keywords.isEmpty else { throw LambdaMismatch(reason: "\(name) takes no arguments") }
            return .scalar(1e-7)
        case "array", "asarray", "float32", "constant", "cast_to_floatx":
            let bound = try bind(name, ["value", "dtype", "shape", "name"], arguments, keywords)
            guard let value = bound["value"], bound["shape"] == nil, let constant = try tensorConstant(value) else {
                throw LambdaMismatch(reason: "`\(name)` is called with something other than constant numbers")
            }
            return constant
        case "cast":
            let bound = try bind(name, ["x", "dtype", "name"], arguments, keywords)
            guard let dtype = bound["dtype"], try isFloat32(dtype) else {
                throw LambdaMismatch(reason: "\(name) to `\(bound["dtype"]?.source ?? "?")` changes the values; only float32 is supported")
            }
            return try operand(bound, "x")
        case "maximum", "minimum":
            let bound = try bind(name, ["x", "y", "name"], arguments, keywords)
            return .binary(function == "maximum" ? .maximum : .minimum, try operand(bound, "x"), try operand(bound, "y"))
        case "relu":
            let bound = try bind(name, ["x", "alpha", "max_value", "threshold", "name"], arguments, keywords)
            for key in ["alpha", "max_value", "threshold"] {
                if let value = bound[key], let constant = try constantValue(value), constant != .none, constant.number != 0 {
                    throw LambdaMismatch(reason: "\(name) with \(key)=\(constant.pythonRepr) is not supported")
                }
            }
            return .unary(.relu, try operand(bound, bound["x"] == nil ? "features" : "x"))
        case "rgb_to_grayscale", "rgb_to_yuv", "yuv_to_rgb":
            let bound = try bind(name, ["images", "name"], arguments, keywords)
            let matrix = function == "rgb_to_yuv" ? Self.rgbToYUV : function == "yuv_to_rgb" ? Self.yuvToRGB : Self.rgbToGray
            return .channelMix(try operand(bound, "images"), matrix: matrix, inputs: 3)
        case "concatenate", "concat":
            let listKey = function == "concat" ? "values" : "tensors"
            let bound = try bind(name, [listKey, "axis", "name"], arguments, keywords)
            let items: [PythonExpression]
            switch bound[listKey] {
            case .list(let values)?, .tuple(let values)?: items = values
            default: throw LambdaMismatch(reason: "\(name) needs a literal list of tensors")
            }
            var axis = -1
            if let axisExpression = bound["axis"] {
                guard case .int(let value)? = try constantValue(axisExpression) else {
                    throw LambdaMismatch(reason: "the axis `\(axisExpression.source)` of \(name) is not a constant integer")
                }
                axis = value
            } else if function == "concat" {
                throw LambdaMismatch(reason: "\(name) is called without an axis")
            }
            var parts: [TensorExpression] = []
            for item in items { parts.append(try tensorExpression(item, base: &base)) }
            return .concatenate(parts, axis: axis)
        case "expand_dims":
            let bound = try bind(name, [name.contains("backend") || name.hasPrefix("K.") ? "x" : "input", "axis", "name"], arguments, keywords)
            guard let operandExpression = bound["x"] ?? bound["input"] else { throw LambdaMismatch(reason: "\(name) is called without a tensor") }
            var axis = -1
            if let axisExpression = bound["axis"] {
                guard case .int(let value)? = try constantValue(axisExpression) else {
                    throw LambdaMismatch(reason: "the axis `\(axisExpression.source)` of \(name) is not a constant integer")
                }
                axis = value
            }
            return .expandDimensions(try tensorExpression(operandExpression, base: &base), axis: axis)
        case "clip_by_value", "clip":
            // tf.clip_by_value(t, clip_value_min, clip_value_max), K.clip(x, min_value, max_value): the gradient
            // passes where min ≤ x ≤ max, as maximum/minimum with ties to x give it.
            let keys = function == "clip" ? ["x", "min_value", "max_value"] : ["t", "clip_value_min", "clip_value_max", "name"]
            let bound = try bind(name, keys, arguments, keywords)
            return .binary(.minimum, .binary(.maximum, try operand(bound, keys[0]), try operand(bound, keys[1])), try operand(bound, keys[2]))
        case "rgb_to_hsv":
            let bound = try bind(name, ["images", "name"], arguments, keywords)
            return .rgbToHSV(try operand(bound, "images"))
        case "per_image_standardization":
            let bound = try bind(name, ["image"], arguments, keywords)
            return .perImageStandardization(try operand(bound, "image"))
        default:
            let bound = try bind(name, ["x", "name"], arguments, keywords)
            guard let tensorFunction = TensorFunction(rawValue: function) else {
                throw LambdaMismatch(reason: "`\(name)` is not a function SteerLens knows")
            }
            return .unary(tensorFunction, try operand(bound, "x"))
        }
    }

    /// `tf.float32`, `'float32'`, `np.float32`, `K.floatx()`.
    private func isFloat32(_ expression: PythonExpression) throws(LambdaMismatch) -> Bool {
        if let name = expression.dottedName { return name.hasSuffix("float32") }
        if case .call(let function, [], []) = expression, function.dottedName?.hasSuffix("floatx") == true { return true }
        return try constantValue(expression)?.stringValue == "float32"
    }
}
