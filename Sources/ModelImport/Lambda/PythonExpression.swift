/// A Python expression rebuilt from a lambda's bytecode by ``PythonBytecode``.
///
/// Names keep what the bytecode says (`tf.image.resize_images` stays an attribute chain on the
/// global `tf`); values that the Keras config stores beside the code (parameter defaults, closure
/// cells) are attached where they are known. ``source`` prints the tree as Python text with the
/// fewest parentheses that keep its meaning.
indirect enum PythonExpression: Sendable, Equatable {
    /// A lambda parameter; index 0 is the layer input.
    case parameter(name: String, index: Int, defaultValue: PythonObject?)
    case constant(PythonObject)
    /// A module-level name, e.g. `tf` or `ROWS`, whose value is not stored in the model.
    case global(String)
    /// A closure variable, with the cell contents the Keras config recorded (if any).
    case freeVariable(name: String, value: PythonObject?)
    case attribute(PythonExpression, String)
    case binary(PythonBinaryOperator, PythonExpression, PythonExpression)
    case unary(PythonUnaryOperator, PythonExpression)
    case subscripted(PythonExpression, PythonExpression)
    /// `start:stop:step`; absent bounds are `.constant(.none)`.
    case slice(start: PythonExpression, stop: PythonExpression, step: PythonExpression?)
    case tuple([PythonExpression])
    case list([PythonExpression])
    case call(PythonExpression, arguments: [PythonExpression], keywords: [PythonKeywordArgument])
    /// A local variable of a function body (`img` after `img = …`, `tf` after `import tensorflow as tf`):
    /// prints as its name, means `value`.
    case local(name: String, value: PythonExpression)
    /// A module an `import` statement in the body loaded, by its full dotted path (`keras.backend`).
    case module(String)

    /// The dotted name of an attribute chain on a global or an imported module, e.g.
    /// `tf.image.resize_images` or, for `from keras import backend as K; K.min`, `keras.backend.min`.
    var dottedName: String? {
        switch self {
        case .global(let name), .module(let name): name
        case .local(_, let value): value.dottedName
        case .attribute(let base, let name): base.dottedName.map { "\($0).\(name)" }
        default: nil
        }
    }

    /// The expression with every local variable replaced by the value it was assigned.
    var substitutingLocals: PythonExpression {
        switch self {
        case .local(_, let value): value.substitutingLocals
        case .parameter, .constant, .global, .freeVariable, .module: self
        case .attribute(let base, let name): .attribute(base.substitutingLocals, name)
        case .binary(let op, let left, let right): .binary(op, left.substitutingLocals, right.substitutingLocals)
        case .unary(let op, let operand): .unary(op, operand.substitutingLocals)
        case .subscripted(let base, let index): .subscripted(base.substitutingLocals, index.substitutingLocals)
        case .slice(let start, let stop, let step): .slice(start: start.substitutingLocals, stop: stop.substitutingLocals, step: step?.substitutingLocals)
        case .tuple(let items): .tuple(items.map(\.substitutingLocals))
        case .list(let items): .list(items.map(\.substitutingLocals))
        case .call(let function, let arguments, let keywords):
            .call(function.substitutingLocals, arguments: arguments.map(\.substitutingLocals),
                  keywords: keywords.map { PythonKeywordArgument(name: $0.name, value: $0.value.substitutingLocals) })
        }
    }
}

/// One statement of a function body, as far as SteerLens follows them (straight-line code only).
enum PythonStatement: Sendable, Equatable {
    /// `import tensorflow` / `import tensorflow as tf` (`alias` nil when the name is the module's own).
    case importModule(module: String, alias: String?)
    /// `from keras import backend as K`.
    case importFrom(module: String, name: String, alias: String?)
    /// `img = …`.
    case assign(name: String, value: PythonExpression)
    /// An expression evaluated for nothing (its value is discarded), e.g. a docstring-less call.
    case expression(PythonExpression)
    case `return`(PythonExpression)

    /// The statement as one line of Python.
    var source: String {
        switch self {
        case .importModule(let module, let alias):
            alias.map { "import \(module) as \($0)" } ?? "import \(module)"
        case .importFrom(let module, let name, let alias):
            "from \(module) import \(name)" + (alias.map { " as \($0)" } ?? "")
        case .assign(let name, let value): "\(name) = \(value.source)"
        case .expression(let value): value.source
        case .return(let value): "return \(value.source)"
        }
    }
}

struct PythonKeywordArgument: Sendable, Equatable {
    var name: String
    var value: PythonExpression
}

enum PythonBinaryOperator: String, Sendable, Equatable, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", trueDivide = "/", floorDivide = "//"
    case remainder = "%", power = "**", matrixMultiply = "@"
    case leftShift = "<<", rightShift = ">>", and = "&", or = "|", xor = "^"

    /// Python's binding strength (higher binds tighter), from the language reference's table.
    var precedence: Int {
        switch self {
        case .or: 3
        case .xor: 4
        case .and: 5
        case .leftShift, .rightShift: 6
        case .add, .subtract: 7
        case .multiply, .trueDivide, .floorDivide, .remainder, .matrixMultiply: 8
        case .power: 10
        }
    }
}

enum PythonUnaryOperator: String, Sendable, Equatable {
    case negative = "-", positive = "+", invert = "~"
}

extension PythonExpression {
    private static let unaryPrecedence = 9
    private static let postfixPrecedence = 11
    private static let atomPrecedence = 12

    /// Python source text for the expression, e.g. `x / 127.5 - 1.0`.
    var source: String { render().text }

    private func render() -> (text: String, precedence: Int) {
        switch self {
        case .parameter(let name, _, _), .freeVariable(let name, _), .global(let name), .local(let name, _), .module(let name):
            return (name, Self.atomPrecedence)
        case .constant(let value):
            let text = value.pythonRepr
            let isNegativeNumber = value.number.map { $0 < 0 || text.hasPrefix("-") } ?? false
            return (text, isNegativeNumber ? Self.unaryPrecedence : Self.atomPrecedence)
        case .attribute(let base, let name):
            return ("\(base.operand(atLeast: Self.postfixPrecedence)).\(name)", Self.postfixPrecedence)
        case .binary(let op, let left, let right):
            // Left-associative except `**`, which groups right and binds tighter than a unary on its left.
            let leftNeeds = op == .power ? op.precedence + 1 : op.precedence
            let rightNeeds = op == .power ? Self.unaryPrecedence : op.precedence + 1
            return ("\(left.operand(atLeast: leftNeeds)) \(op.rawValue) \(right.operand(atLeast: rightNeeds))", op.precedence)
        case .unary(let op, let operand):
            return ("\(op.rawValue)\(operand.operand(atLeast: Self.unaryPrecedence))", Self.unaryPrecedence)
        case .subscripted(let base, let index):
            let indexText: String
            if case .tuple(let items) = index, !items.isEmpty {
                indexText = items.map(\.subscriptItem).joined(separator: ", ") + (items.count == 1 ? "," : "")
            } else {
                indexText = index.subscriptItem
            }
            return ("\(base.operand(atLeast: Self.postfixPrecedence))[\(indexText)]", Self.postfixPrecedence)
        case .slice(let start, let stop, let step):
            let parts = [start, stop, step ?? .constant(.none)].map(\.source)
            return ("slice(\(parts.joined(separator: ", ")))", Self.postfixPrecedence)
        case .tuple(let items):
            let inner = items.map(\.source).joined(separator: ", ")
            return (items.count == 1 ? "(\(inner),)" : "(\(inner))", Self.atomPrecedence)
        case .list(let items):
            return ("[\(items.map(\.source).joined(separator: ", "))]", Self.atomPrecedence)
        case .call(let function, let arguments, let keywords):
            let parts = arguments.map(\.source) + keywords.map { "\($0.name)=\($0.value.source)" }
            return ("\(function.operand(atLeast: Self.postfixPrecedence))(\(parts.joined(separator: ", ")))", Self.postfixPrecedence)
        }
    }

    private func operand(atLeast precedence: Int) -> String {
        let (text, own) = render()
        return own >= precedence ? text : "(\(text))"
    }

    /// A subscript item: slices print as `a:b`, everything else as an expression.
    private var subscriptItem: String {
        guard case .slice(let start, let stop, let step) = self else { return source }
        func bound(_ expression: PythonExpression) -> String {
            expression == .constant(.none) ? "" : expression.source
        }
        var text = "\(bound(start)):\(bound(stop))"
        if let step, step != .constant(.none) { text += ":\(step.source)" }
        return text
    }
}

extension PythonObject {
    /// Python's `repr()` of the value (floats use the shortest text that reads back exactly, as Python does).
    var pythonRepr: String {
        switch self {
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .float(let value): return Self.floatRepr(value)
        case .complex(let real, let imaginary):
            return "(\(Self.floatRepr(real))\(imaginary.sign == .minus ? "" : "+")\(Self.floatRepr(imaginary))j)"
        case .string(let value): return Self.stringRepr(value)
        case .bytes(let value): return "b" + Self.stringRepr(String(decoding: value.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self))
        case .tuple(let items):
            let inner = items.map(\.pythonRepr).joined(separator: ", ")
            return items.count == 1 ? "(\(inner),)" : "(\(inner))"
        case .list(let items): return "[\(items.map(\.pythonRepr).joined(separator: ", "))]"
        case .set(let items, let frozen):
            let inner = "{\(items.map(\.pythonRepr).joined(separator: ", "))}"
            return frozen ? "frozenset(\(inner))" : inner
        case .dict(let keys, let values):
            return "{\(zip(keys, values).map { "\($0.pythonRepr): \($1.pythonRepr)" }.joined(separator: ", "))}"
        case .ellipsis: return "..."
        case .stopIteration: return "StopIteration"
        case .code(let code): return "<code object \(code.name)>"
        }
    }

    private static func floatRepr(_ value: Double) -> String {
        // Swift's description is also the shortest round-trip form, with Python's exponent style.
        value.description
    }

    private static func stringRepr(_ value: String) -> String {
        let quote: Character = value.contains("'") && !value.contains("\"") ? "\"" : "'"
        var text = String(quote)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where Character(scalar) == quote: text += "\\\(quote)"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                text += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text.append(quote)
        return text
    }
}
