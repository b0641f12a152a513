import NeuralNet

/// The arithmetic of the `--lambda` language: sums, products, unary signs, numbers, lists and the
/// tensor functions, parsed into a ``NeuralNet/TensorExpression`` together with its affine form
/// `x·a + b` while it has one (see ``LambdaExpression`` for the grammar).
extension LambdaExpressionParser {
    /// A parsed arithmetic value: its tensor expression, and its affine form while it has one.
    struct Value {
        var tensor: TensorExpression
        var affine: Affine?

        static func constant(_ number: Double) -> Value {
            Value(tensor: .scalar(Float(number)), affine: Affine(scale: 0, offset: number, hasX: false))
        }
    }

    static let tensorFunctions: Set<String> = Set(TensorFunction.allCases.map(\.rawValue)).union(
        TensorReduction.allCases.map(\.rawValue)).union(["maximum", "minimum", "mix", "concatenate", "expand_dims", "rgb_to_hsv", "standardize", "reverse"])

    // MARK: Arithmetic

    mutating func parseSum() throws(LambdaExpressionError) -> Value {
        var value = try parseProduct()
        while true {
            let sign: Double
            if consume("+") { sign = 1 } else if consume("-") { sign = -1 } else { return value }
            let right = try parseProduct()
            var affine: Affine?
            if let l = value.affine, let r = right.affine {
                affine = Affine(scale: l.scale + sign * r.scale, offset: l.offset + sign * r.offset, hasX: l.hasX || r.hasX)
            }
            value = Value(tensor: .binary(sign > 0 ? .add : .subtract, value.tensor, right.tensor), affine: affine)
        }
    }

    mutating func parseProduct() throws(LambdaExpressionError) -> Value {
        var value = try parseUnary()
        while true {
            let multiply: Bool
            if consume("*") { multiply = true } else if consume("/") { multiply = false } else { return value }
            let right = try parseUnary()
            var affine: Affine?
            if let l = value.affine, let r = right.affine {
                if multiply, !(l.hasX && r.hasX) {
                    affine = r.hasX ? Affine(scale: r.scale * l.offset, offset: r.offset * l.offset, hasX: true)
                        : Affine(scale: l.scale * r.offset, offset: l.offset * r.offset, hasX: l.hasX)
                } else if !multiply, !r.hasX {
                    guard r.offset != 0 else { throw LambdaExpressionError.notAffine(expression: text, reason: "it divides by zero") }
                    affine = Affine(scale: l.scale / r.offset, offset: l.offset / r.offset, hasX: l.hasX)
                }
            }
            value = Value(tensor: .binary(multiply ? .multiply : .divide, value.tensor, right.tensor), affine: affine)
        }
    }

    mutating func parseUnary() throws(LambdaExpressionError) -> Value {
        if consume("-") {
            let value = try parseUnary()
            if case .constant(let values, let shape) = value.tensor {
                return Value(tensor: .constant(values: values.map { -$0 }, shape: shape), affine: value.affine.map { Affine(scale: -$0.scale, offset: -$0.offset, hasX: $0.hasX) })
            }
            return Value(tensor: .unary(.negative, value.tensor), affine: value.affine.map { Affine(scale: -$0.scale, offset: -$0.offset, hasX: $0.hasX) })
        }
        if consume("+") { return try parseUnary() }
        if consume("(") {
            let value = try parseSum()
            guard consume(")") else { throw expected("')'") }
            return value
        }
        if consume("[") {
            let numbers = try parseNumberList()
            return Value(tensor: .constant(values: numbers.map(Float.init), shape: [numbers.count]), affine: nil)
        }
        if let word = peekWord() {
            if word == "x" {
                position += 1
                return Value(tensor: .input, affine: Affine(scale: 1, offset: 0, hasX: true))
            }
            if Self.tensorFunctions.contains(word) {
                position += word.count
                return Value(tensor: try parseFunction(word), affine: nil)
            }
            throw LambdaExpressionError.unknownFunction(expression: text, name: word)
        }
        guard let number = parseNumber() else { throw expected("a number, x or '('") }
        return .constant(number)
    }

    /// `NAME(…)` of the tensor language, after NAME.
    mutating func parseFunction(_ name: String) throws(LambdaExpressionError) -> TensorExpression {
        guard consume("(") else { throw expected("'('") }
        let operand = try parseSum().tensor
        if name == "concatenate" || name == "expand_dims" || name == "reverse" {
            var operands = [operand]
            while consume(",") {
                if peekWord() == "axis" {
                    position += "axis".count
                    guard consume("="), let axis = parseInteger(), consume(")") else { throw expected("axis=INTEGER)") }
                    switch name {
                    case "concatenate": return .concatenate(operands, axis: axis)
                    case "reverse": return .reverse(operands[0], axis: axis)
                    default: return .expandDimensions(operands[0], axis: axis)
                    }
                }
                guard name == "concatenate" else { break }
                operands.append(try parseSum().tensor)
            }
            throw expected("',axis=…)'")
        }
        var result: TensorExpression
        if let function = TensorFunction(rawValue: name) {
            result = .unary(function, operand)
        } else if name == "rgb_to_hsv" {
            result = .rgbToHSV(operand)
        } else if name == "standardize" {
            result = .perImageStandardization(operand)
        } else if let reduction = TensorReduction(rawValue: name) {
            var axes: [Int]?
            var keep = false
            while consume(",") {
                if peekWord() == "keepdims" {
                    position += "keepdims".count
                    keep = true
                } else if peekWord() == "axis" {
                    position += "axis".count
                    guard consume("=") else { throw expected("'='") }
                    var list: [Int] = []
                    repeat {
                        guard let axis = parseInteger() else { throw expected("an axis") }
                        list.append(axis)
                    } while consume("|")
                    axes = list
                } else {
                    throw expected("axis=… or keepdims")
                }
            }
            result = .reduce(reduction, operand, axes: axes, keepDimensions: keep && axes != nil)
        } else if name == "mix" {
            guard consume(","), let inputs = parseInteger(), inputs > 0, consume(","), consume("[") else { throw expected("mix(E,INPUTS,[MATRIX])") }
            let matrix = try parseNumberList()
            guard matrix.count % inputs == 0 else {
                throw LambdaExpressionError.badArguments(expression: text, function: "mix", reason: "needs INPUTS × OUTPUTS numbers")
            }
            result = .channelMix(operand, matrix: matrix.map(Float.init), inputs: inputs)
        } else {
            guard consume(",") else { throw expected("','") }
            let other = try parseSum().tensor
            result = .binary(name == "maximum" ? .maximum : .minimum, operand, other)
        }
        guard consume(")") else { throw expected("')'") }
        return result
    }

    /// Numbers separated by commas up to `]` (after `[`).
    mutating func parseNumberList() throws(LambdaExpressionError) -> [Double] {
        var numbers: [Double] = []
        repeat {
            let negative = consume("-")
            guard let number = parseNumber() else { throw expected("a number") }
            numbers.append(negative ? -number : number)
        } while consume(",")
        guard consume("]") else { throw expected("']'") }
        return numbers
    }

    mutating func parseInteger() -> Int? {
        let negative = consume("-")
        skipSpaces()
        var end = position
        while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 }
        guard end > position, let value = Int(String(characters[position..<end])) else { return nil }
        position = end
        return negative ? -value : value
    }

    /// `12`, `127.5`, `.5`, `1e-3`.
    mutating func parseNumber() -> Double? {
        skipSpaces()
        var end = position
        func digits() { while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 } }
        digits()
        if end < characters.count, characters[end] == "." { end += 1; digits() }
        guard end > position, characters[position..<end] != ["."] else { return nil }
        if end < characters.count, characters[end] == "e" || characters[end] == "E" {
            var exponentEnd = end + 1
            if exponentEnd < characters.count, characters[exponentEnd] == "+" || characters[exponentEnd] == "-" { exponentEnd += 1 }
            let digitsStart = exponentEnd
            while exponentEnd < characters.count, characters[exponentEnd].isASCII, characters[exponentEnd].isNumber { exponentEnd += 1 }
            if exponentEnd > digitsStart { end = exponentEnd }
        }
        guard let value = Double(String(characters[position..<end])) else { return nil }
        position = end
        return value
    }
}
