import NeuralNet
import SteerLensSupport

/// The `--lambda NAME=EXPR` language: how a user declares what a Lambda layer computes.
///
/// An expression is one or more steps separated by `;`, applied left to right:
///
/// | step | meaning |
/// |---|---|
/// | `identity` or `x` | pass the input through |
/// | an arithmetic expression in `x` with numbers, `+ - * /` and parentheses that is affine: `x/127.5-1`, `x/255-0.5`, `2*x/255-1`, `(x-128)/128`, `x*0.0039`, `-x+1` | y = x·a + b |
/// | `resize(H,W)` or `resize(H,W,METHOD)` | resize to H×W; METHOD is one of `bilinear` (TF2 `tf.image.resize`, half-pixel centres; the default), `bilinear_tf1` (TF1 `tf.image.resize_images`), `nearest`, `nearest_tf1`, `area`, `bicubic`, `bicubic_tf1`, and the `*_tf1_align_corners` forms (see ``ResizeMethod``) |
/// | `crop(TOP,BOTTOM,LEFT,RIGHT)` | `x[:, TOP:BOTTOM, LEFT:RIGHT, :]` with Python slice bounds: negative counts from the end, empty (or `None`) means the edge, e.g. `crop(60,-25,,)` |
/// | `upsample(ROWS,COLUMNS)` | nearest-neighbour upscaling by whole factors (`K.resize_images`) |
/// | any other arithmetic in `x`: `+ - * /`, numbers, per-channel lists `[a,b,c]`, `min max mean sum(E[,axis=A\|B][,keepdims])` (per image), `relu tanh sigmoid sqrt square abs exp log(E)`, `maximum minimum(E,E)`, `mix(E,N,[N×M matrix])`, `concatenate(E,E…,axis=A)`, `expand_dims(E,axis=A)`, `rgb_to_hsv(E)`, `standardize(E)` (`per_image_standardization`), `reverse(E,axis=A)` (`x[..., ::-1]`) | one ``NeuralNet/TensorExpression`` step, e.g. `(x-min(x))/(max(x)-min(x))` |
///
/// Examples: `--lambda lambda_1='x/127.5-1'`, `--lambda lambda_1='resize(66,200,bilinear_tf1);x/255-0.5'`.
/// Spaces are ignored. Arithmetic that is affine in `x` becomes one `x·a + b` step; anything else a
/// tensor expression step.
public enum LambdaExpression {
    /// Parses an expression into operations (`[.identity]` for the identity).
    public static func parse(_ text: String) throws(LambdaExpressionError) -> [LambdaOperation] {
        var parser = LambdaExpressionParser(text: text)
        let operations = try parser.parseSequence()
        return operations.isEmpty ? [.identity] : operations
    }

    /// Splits a `NAME=EXPR` command-line value and parses `EXPR`.
    public static func parseDeclaration(_ argument: String) throws(LambdaExpressionError) -> (layerName: String, operations: [LambdaOperation]) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw .missingLayerName(argument: argument)
        }
        let name = argument[..<equals].trimmingSpaces
        guard !name.isEmpty else { throw .missingLayerName(argument: argument) }
        return (name, try parse(String(argument[argument.index(after: equals)...])))
    }
}

/// A `--lambda` value that does not parse. Positions are 1-based character columns of the expression.
public enum LambdaExpressionError: SteerLensError, Equatable {
    case missingLayerName(argument: String)
    case syntax(expression: String, column: Int, expected: String)
    case notAffine(expression: String, reason: String)
    case unknownFunction(expression: String, name: String)
    case badArguments(expression: String, function: String, reason: String)

    public var kind: FailureKind { .usage }

    public var message: String {
        switch self {
        case .missingLayerName(let argument):
            "--lambda '\(argument)' is not NAME=EXPR"
        case .syntax(let expression, let column, let expected):
            "--lambda expression '\(expression)': expected \(expected) at column \(column)"
        case .notAffine(let expression, let reason):
            "--lambda expression '\(expression)' is not of the form x*a+b: \(reason)"
        case .unknownFunction(let expression, let name):
            "--lambda expression '\(expression)': unknown step '\(name)'"
        case .badArguments(let expression, let function, let reason):
            "--lambda expression '\(expression)': \(function)(…) \(reason)"
        }
    }

    public var hint: String {
        "write e.g. --lambda lambda_1='x/127.5-1', 'resize(66,200,bilinear_tf1)', 'crop(60,-25,,)'; join steps with ';'"
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// Recursive descent over the expression's characters (whitespace skipped):
///
///     sequence := step (';' step)*
///     step     := NAME '(' args ')' | 'identity' | sum
///     sum      := product (('+' | '-') product)*
///     product  := unary (('*' | '/') unary)*
///     unary    := ('+' | '-') unary | NUMBER | 'x' | '(' sum ')' | '[' NUMBER (',' NUMBER)* ']'
///               | FUNCTION '(' sum (',' argument)* ')'
///
/// Arithmetic builds a ``NeuralNet/TensorExpression`` and, while it stays affine, the pair (a, b)
/// meaning x·a + b (`LambdaExpression+Arithmetic.swift`).
struct LambdaExpressionParser {
    let text: String
    let characters: [Character]
    var position = 0

    init(text: String) {
        self.text = text
        characters = Array(text)
    }

    /// An affine value x·scale + offset; `hasX` false for a plain number.
    struct Affine {
        var scale: Double
        var offset: Double
        var hasX: Bool
    }

    mutating func parseSequence() throws(LambdaExpressionError) -> [LambdaOperation] {
        var operations: [LambdaOperation] = []
        repeat {
            operations += try parseStep()
        } while consume(";")
        guard peek() == nil else { throw expected("';' or the end") }
        return operations
    }

    mutating func parseStep() throws(LambdaExpressionError) -> [LambdaOperation] {
        skipSpaces()
        let start = position
        if let word = peekWord(), word != "x", !Self.tensorFunctions.contains(word) {
            position += word.count
            if word == "identity" { return [] }
            guard consume("(") else {
                throw LambdaExpressionError.unknownFunction(expression: text, name: word)
            }
            let arguments = try parseArguments()
            switch word {
            case "resize": return [try resize(arguments)]
            case "crop": return try crop(arguments)
            case "upsample":
                guard arguments.count == 2, let rows = Int(arguments[0]), let columns = Int(arguments[1]), rows > 0, columns > 0 else {
                    throw LambdaExpressionError.badArguments(expression: text, function: "upsample", reason: "takes two positive integer factors (rows,columns)")
                }
                return [.upsample(rows: rows, columns: columns)]
            default:
                position = start
                throw LambdaExpressionError.unknownFunction(expression: text, name: word)
            }
        }
        let value = try parseSum()
        guard let affine = value.affine else {
            guard value.tensor.usesInput else { throw LambdaExpressionError.notAffine(expression: text, reason: "it does not use x") }
            return [.tensor(value.tensor)]
        }
        guard affine.hasX else {
            throw LambdaExpressionError.notAffine(expression: text, reason: "it does not use x")
        }
        guard affine.scale != 0, Float(affine.scale).isFinite, Float(affine.offset).isFinite else {
            throw LambdaExpressionError.notAffine(expression: text, reason: "its scale or offset is not a usable Float")
        }
        if affine.scale == 1, affine.offset == 0 { return [] }
        return [.affine(scale: Float(affine.scale), offset: Float(affine.offset))]
    }

    // MARK: Steps

    /// Comma-separated raw arguments up to ')': each trimmed, possibly empty.
    mutating func parseArguments() throws(LambdaExpressionError) -> [String] {
        var arguments: [String] = [""]
        while position < characters.count {
            let character = characters[position]
            position += 1
            switch character {
            case ")": return arguments.map { Substring($0).trimmingSpaces }
            case ",": arguments.append("")
            default: arguments[arguments.count - 1].append(character)
            }
        }
        throw expected("')'")
    }

    func resize(_ arguments: [String]) throws(LambdaExpressionError) -> LambdaOperation {
        guard arguments.count == 2 || arguments.count == 3 else {
            throw LambdaExpressionError.badArguments(expression: text, function: "resize", reason: "takes (height,width) or (height,width,method)")
        }
        guard let height = Int(arguments[0]), let width = Int(arguments[1]), height > 0, width > 0 else {
            throw LambdaExpressionError.badArguments(expression: text, function: "resize", reason: "needs two positive integer sizes")
        }
        var method = ResizeMethod.bilinearHalfPixel
        if arguments.count == 3 {
            guard let named = ResizeMethod(rawValue: arguments[2].lowercased()) else {
                let names = ResizeMethod.allCases.map(\.rawValue).joined(separator: ", ")
                throw LambdaExpressionError.badArguments(expression: text, function: "resize", reason: "method '\(arguments[2])' is not one of \(names)")
            }
            method = named
        }
        return .resize(height: height, width: width, method: method)
    }

    func crop(_ arguments: [String]) throws(LambdaExpressionError) -> [LambdaOperation] {
        guard arguments.count == 4 else {
            throw LambdaExpressionError.badArguments(expression: text, function: "crop", reason: "takes (top,bottom,left,right); leave a bound empty for the edge")
        }
        var bounds: [Int?] = []
        for argument in arguments {
            if argument.isEmpty || argument == "None" {
                bounds.append(nil)
            } else if let value = Int(argument) {
                bounds.append(value)
            } else {
                throw LambdaExpressionError.badArguments(expression: text, function: "crop", reason: "bound '\(argument)' is not an integer")
            }
        }
        let rows = PythonSlice(start: bounds[0], stop: bounds[1])
        let columns = PythonSlice(start: bounds[2], stop: bounds[3])
        return rows == .all && columns == .all ? [] : [.crop(rows: rows, columns: columns)]
    }

    // MARK: Characters

    mutating func skipSpaces() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    mutating func peek() -> Character? {
        skipSpaces()
        return position < characters.count ? characters[position] : nil
    }

    mutating func consume(_ character: Character) -> Bool {
        guard peek() == character else { return false }
        position += 1
        return true
    }

    /// The identifier at the cursor, without consuming it.
    mutating func peekWord() -> String? {
        skipSpaces()
        var end = position
        while end < characters.count, characters[end].isLetter || characters[end] == "_" || (end > position && characters[end].isNumber) {
            end += 1
        }
        return end > position ? String(characters[position..<end]) : nil
    }

    mutating func expected(_ what: String) -> LambdaExpressionError {
        skipSpaces()
        return .syntax(expression: text, column: position + 1, expected: what)
    }
}
