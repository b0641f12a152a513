/// Evaluates straight-line function bytecode on a symbolic stack, yielding statements and the
/// returned expression tree.
///
/// Stack entries are expressions, plus a NULL marker for the slot below a callable that CPython's
/// method-call protocol keeps (LOAD_METHOD, LOAD_GLOBAL/LOAD_ATTR with the low bit in 3.11+,
/// PUSH_NULL). Local variables (STORE_FAST/LOAD_FAST) hold expressions; `import` and
/// `from … import` (IMPORT_NAME/IMPORT_FROM) bind ``PythonExpression/module(_:)`` values, so
/// `K.tf.image.…` after `from keras import backend as K` reads as `keras.backend.tf.image.…`. Nothing
/// is executed. Jumps and anything else straight-line code over an image does not need are rejected,
/// so evaluation always ends after one pass over the instructions.
/// Reference: CPython `Python/ceval.c` / `Python/bytecodes.c` for each instruction's stack effect.
enum PythonDecompiler {
    /// Values the Keras config stores beside the code: positional defaults, closure cells, and the
    /// layer's `arguments` (passed as keyword arguments, so they override defaults).
    struct Context {
        var defaults: [PythonObject?]? = nil
        var closure: [PythonObject?]? = nil
        var keywordArguments: [String: PythonObject?] = [:]
    }

    /// Decompiles a code object, trying every dialect its layout allows.
    static func decompile(_ code: PythonCodeObject, context: Context = Context()) throws(PythonBytecodeError) -> DecompiledLambda {
        guard code.argumentCount + code.keywordOnlyArgumentCount >= 1 else {
            throw PythonBytecodeError(reason: "the function takes no arguments, but a Lambda layer passes it the input", offset: 0)
        }
        // Python 3.13 keeps 3.12's code-object layout but renumbers every opcode. Its lambdas begin
        // with RESUME 0 = (149, 0), possibly after COPY_FREE_VARS; in 3.11/3.12, 149 is
        // COPY_FREE_VARS, which CPython never emits with argument 0.
        let firstTwoInstructions = code.bytecode.prefix(4)
        let resumeAt = { (offset: Int) in firstTwoInstructions.count >= offset + 2
            && firstTwoInstructions[offset] == 149 && firstTwoInstructions[offset + 1] == 0 }
        if code.layout == .python311to312, resumeAt(0) || resumeAt(2) {
            throw PythonBytecodeError(reason: "the code was compiled by Python 3.13 or newer, whose bytecode SteerLens does not read yet", offset: 0)
        }
        var successes: [(PythonBytecodeDialect, [PythonStatement])] = []
        var furthestFailure: PythonBytecodeError?
        for dialect in PythonBytecodeDialect.candidates(for: code.layout) {
            do {
                let instructions = try PythonBytecode.instructions(code.bytecode, dialect: dialect)
                var machine = Machine(code: code, dialect: dialect, context: context)
                successes.append((dialect, try machine.run(instructions)))
            } catch {
                if furthestFailure.map({ error.offset > $0.offset }) ?? true { furthestFailure = error }
            }
        }
        guard let first = successes.first else {
            throw furthestFailure ?? PythonBytecodeError(reason: "no bytecode dialect fits", offset: 0)
        }
        // Dialects that agree are all reported; if they disagree the first (most likely) one wins.
        let agreeing = successes.filter { $0.1 == first.1 }.map(\.0)
        guard case .return(let returned) = first.1.last else {
            throw PythonBytecodeError(reason: "the function does not end with a return", offset: code.bytecode.count)
        }
        return DecompiledLambda(functionName: code.name, parameters: code.parameterNames, dialects: agreeing,
                                statements: first.1, expression: returned)
    }

    private enum StackEntry: Equatable {
        case value(PythonExpression)
        case null
    }

    private struct Machine {
        let code: PythonCodeObject
        let dialect: PythonBytecodeDialect
        let context: Context
        var stack: [StackEntry] = []
        var pendingKeywordNames: [String]?
        var offset = 0
        /// Values assigned to local variables so far, by local index.
        var locals: [Int: PythonExpression] = [:]
        var statements: [PythonStatement] = []

        static let maximumStackDepth = 1_000

        init(code: PythonCodeObject, dialect: PythonBytecodeDialect, context: Context) {
            self.code = code
            self.dialect = dialect
            self.context = context
        }

        /// The body's statements, ending with its `return`.
        mutating func run(_ instructions: [PythonInstruction]) throws(PythonBytecodeError) -> [PythonStatement] {
            for (index, instruction) in instructions.enumerated() {
                offset = instruction.offset
                if let result = try step(instruction) {
                    guard index == instructions.count - 1 else { throw fail("code continues after the return") }
                    guard stack.isEmpty else { throw fail("values left on the stack at return") }
                    return statements + [.return(result)]
                }
                guard stack.count <= Self.maximumStackDepth else { throw fail("stack deeper than \(Self.maximumStackDepth)") }
            }
            throw fail("bytecode ends without RETURN_VALUE")
        }

        /// Executes one instruction; returns the lambda's value when it returns.
        mutating func step(_ instruction: PythonInstruction) throws(PythonBytecodeError) -> PythonExpression? {
            let argument = instruction.argument
            let modern = dialect == .python311 || dialect == .python312
            switch instruction.name {
            case "NOP", "RESUME", "COPY_FREE_VARS", "MAKE_CELL", "PRECALL":
                break
            case "LOAD_FAST", "LOAD_FAST_CHECK":
                if let value = locals[argument] {
                    push(.local(name: try localName(argument), value: value))
                } else {
                    push(try local(argument))
                }
            case "STORE_FAST":
                let value = try pop()
                let name = try localName(argument)
                locals[argument] = value
                statements.append(Self.assignment(name, value))
            case "POP_TOP":
                // The module left below `from m import a` and constant statements leave no trace.
                let value = try pop()
                if case .constant = value {} else if !value.isImportedName { statements.append(.expression(value)) }
            case "DUP_TOP":
                let value = try pop()
                push(value)
                push(value)
            case "COPY":
                guard argument >= 1, argument <= stack.count, case .value(let value) = stack[stack.count - argument] else {
                    throw fail("COPY \(argument)")
                }
                push(value)
            case "ROT_TWO", "SWAP":
                let depth = instruction.name == "ROT_TWO" ? 2 : argument
                guard depth >= 2, depth <= stack.count else { throw fail("\(instruction.name) \(argument)") }
                stack.swapAt(stack.count - 1, stack.count - depth)
            case "UNPACK_SEQUENCE":
                // `h, w = size`: the items go on the stack last first, so the first is stored first. Items of
                // a named sequence print as `size[0]`; those of a literal print as themselves.
                let sequence = try pop()
                var items: [PythonExpression]
                switch sequence.substitutingLocals {
                case .constant(.tuple(let values)), .constant(.list(let values)),
                     .parameter(_, _, .tuple(let values)?), .parameter(_, _, .list(let values)?),
                     .freeVariable(_, .tuple(let values)?), .freeVariable(_, .list(let values)?):
                    items = values.map { .constant($0) }
                case .tuple(let values), .list(let values): items = values
                default: throw fail("unpacks `\(sequence.source)`, which is not a tuple or list whose values are known")
                }
                guard items.count == argument else { throw fail("unpacks \(items.count) values into \(argument) names") }
                if case .constant = sequence {} else {
                    items = items.enumerated().map { .local(name: "\(sequence.source)[\($0.offset)]", value: $0.element) }
                }
                for item in items.reversed() { push(item) }
            case "IMPORT_NAME":
                let fromList = try pop(), level = try pop()
                guard level == .constant(.int(0)) else { throw fail("relative imports are not followed") }
                let module = try name(argument)
                // `import a.b` binds the top package `a`; `from a.b import c` loads `a.b` itself.
                if fromList == .constant(.none) {
                    push(.module(String(module.prefix { $0 != "." })))
                } else {
                    push(.module(module))
                }
            case "IMPORT_FROM":
                guard case .value(let module) = stack.last, module.isImportedName else { throw fail("IMPORT_FROM without a module") }
                push(.attribute(module, try name(argument)))
            case "LOAD_CONST":
                push(.constant(try constant(argument)))
            case "LOAD_GLOBAL":
                if modern, argument & 1 == 1 { stack.append(.null) }
                push(.global(try name(modern ? argument >> 1 : argument)))
            case "LOAD_DEREF":
                push(try freeVariable(argument))
            case "LOAD_ATTR":
                let owner = try pop()
                if dialect == .python312 {
                    if argument & 1 == 1 { stack.append(.null) }
                    push(.attribute(owner, try name(argument >> 1)))
                } else {
                    push(.attribute(owner, try name(argument)))
                }
            case "LOAD_METHOD":
                let owner = try pop()
                stack.append(.null)
                push(.attribute(owner, try name(argument)))
            case "PUSH_NULL":
                stack.append(.null)
            case "BINARY_OP":
                let operators = PythonBytecodeDialect.binaryOpOperators
                guard argument < 2 * operators.count else { throw fail("unknown BINARY_OP \(argument)") }
                let right = try pop(), left = try pop()
                push(.binary(operators[argument % operators.count], left, right))
            case let name where PythonBytecodeDialect.binaryOpcodeOperators[name] != nil:
                let right = try pop(), left = try pop()
                push(.binary(PythonBytecodeDialect.binaryOpcodeOperators[name]!, left, right))
            case "BINARY_SUBSCR":
                let index = try pop(), container = try pop()
                push(.subscripted(container, index))
            case "BINARY_SLICE":
                let stop = try pop(), start = try pop(), container = try pop()
                push(.subscripted(container, .slice(start: start, stop: stop, step: nil)))
            case "UNARY_NEGATIVE": push(.unary(.negative, try pop()))
            case "UNARY_POSITIVE": push(.unary(.positive, try pop()))
            case "UNARY_INVERT": push(.unary(.invert, try pop()))
            case "CALL_INTRINSIC_1":
                guard argument == 5 else { throw fail("CALL_INTRINSIC_1 \(argument) is not followed") }  // INTRINSIC_UNARY_POSITIVE
                push(.unary(.positive, try pop()))
            case "BUILD_SLICE":
                guard argument == 2 || argument == 3 else { throw fail("BUILD_SLICE \(argument)") }
                let step = argument == 3 ? try pop() : nil
                let stop = try pop(), start = try pop()
                push(.slice(start: start, stop: stop, step: step))
            case "BUILD_TUPLE": push(.tuple(try pop(argument)))
            case "BUILD_LIST": push(.list(try pop(argument)))
            case "LIST_EXTEND":
                guard argument == 1 else { throw fail("LIST_EXTEND \(argument)") }
                let items = try pop()
                guard case .list(let head) = try pop() else { throw fail("LIST_EXTEND on a non-list") }
                switch items {
                case .constant(.tuple(let values)), .constant(.list(let values)): push(.list(head + values.map { .constant($0) }))
                case .tuple(let values), .list(let values): push(.list(head + values))
                default: throw fail("LIST_EXTEND with a non-literal")
                }
            case "KW_NAMES":
                pendingKeywordNames = try keywordNames(.constant(try constant(argument)))
            case "CALL_FUNCTION" where dialect == .python35:
                let keywordCount = (argument >> 8) & 0xFF, positionalCount = argument & 0xFF
                guard argument >> 16 == 0 else { throw fail("CALL_FUNCTION \(argument)") }
                var keywords: [PythonKeywordArgument] = []
                for _ in 0..<keywordCount {
                    let value = try pop()
                    guard case .constant(.string(let keyword)) = try pop() else { throw fail("keyword name is not a string") }
                    keywords.insert(PythonKeywordArgument(name: keyword, value: value), at: 0)
                }
                let arguments = try pop(positionalCount)
                push(.call(try pop(), arguments: arguments, keywords: keywords))
            case "CALL_FUNCTION":
                let arguments = try pop(argument)
                push(.call(try pop(), arguments: arguments, keywords: []))
            case "CALL_FUNCTION_KW":
                let names = try keywordNames(try pop())
                push(try call(arguments: try pop(argument), keywordNames: names, nullBelow: false))
            case "CALL_METHOD":
                push(try call(arguments: try pop(argument), keywordNames: [], nullBelow: true))
            case "CALL":
                let names = pendingKeywordNames ?? []
                pendingKeywordNames = nil
                push(try call(arguments: try pop(argument), keywordNames: names, nullBelow: true))
            case "RETURN_VALUE":
                return try pop()
            case "RETURN_CONST":
                return .constant(try constant(argument))
            default:
                throw fail("\(instruction.name) is not followed")
            }
            return nil
        }

        mutating func call(arguments: [PythonExpression], keywordNames: [String], nullBelow: Bool) throws(PythonBytecodeError) -> PythonExpression {
            guard keywordNames.count <= arguments.count else { throw fail("more keyword names than arguments") }
            let function = try pop()
            if nullBelow {
                guard stack.popLast() == .null else { throw fail("call without the NULL slot below the callable") }
            }
            let positionalCount = arguments.count - keywordNames.count
            let keywords = zip(keywordNames, arguments[positionalCount...]).map { PythonKeywordArgument(name: $0, value: $1) }
            return .call(function, arguments: Array(arguments[..<positionalCount]), keywords: keywords)
        }

        func keywordNames(_ expression: PythonExpression) throws(PythonBytecodeError) -> [String] {
            guard case .constant(.tuple(let items)) = expression else { throw fail("keyword names are not a constant tuple") }
            var names: [String] = []
            for item in items {
                guard let name = item.stringValue else { throw fail("keyword name is not a string") }
                names.append(name)
            }
            return names
        }

        /// `import …` / `from … import …` for a store of an imported name, otherwise `name = value`.
        static func assignment(_ name: String, _ value: PythonExpression) -> PythonStatement {
            switch value {
            case .module(let module):
                return .importModule(module: module, alias: module == name ? nil : name)
            case .attribute(let base, let attribute) where base.isImportedName:
                if let module = base.dottedName { return .importFrom(module: module, name: attribute, alias: attribute == name ? nil : name) }
            default:
                break
            }
            return .assign(name: name, value: value)
        }

        func localName(_ index: Int) throws(PythonBytecodeError) -> String {
            guard index >= 0, index < code.localNames.count else { throw fail("local variable #\(index) out of range") }
            return code.localNames[index]
        }

        func local(_ index: Int) throws(PythonBytecodeError) -> PythonExpression {
            let parameterCount = code.argumentCount + code.keywordOnlyArgumentCount
            guard index >= 0, index < parameterCount, index < code.localNames.count else {
                let name = index >= 0 && index < code.localNames.count ? "`\(code.localNames[index])`" : "#\(index)"
                throw fail("reads the local variable \(name) before any assignment")
            }
            var defaultValue: PythonObject?
            if let defaults = context.defaults, index < code.argumentCount {
                let defaultIndex = index - (code.argumentCount - defaults.count)
                if defaultIndex >= 0, defaultIndex < defaults.count { defaultValue = defaults[defaultIndex] }
            }
            let name = code.localNames[index]
            if index > 0, let argument = context.keywordArguments[name] { defaultValue = argument }
            return .parameter(name: name, index: index, defaultValue: defaultValue)
        }

        func freeVariable(_ index: Int) throws(PythonBytecodeError) -> PythonExpression {
            let freeIndex: Int
            let variableName: String
            if code.layout == .python311to312 {
                guard index >= 0, index < code.localNames.count, code.localKinds[index] & PythonCodeObject.kindFree != 0 else {
                    throw fail("LOAD_DEREF \(index) is not a closure variable")
                }
                freeIndex = code.localKinds[..<index].filter { $0 & PythonCodeObject.kindFree != 0 }.count
                variableName = code.localNames[index]
            } else {
                freeIndex = index - code.cellVariableNames.count
                guard index >= 0, freeIndex >= 0, freeIndex < code.freeVariableNames.count else {
                    throw fail("LOAD_DEREF \(index) is not a closure variable")
                }
                variableName = code.freeVariableNames[freeIndex]
            }
            let value = context.closure.flatMap { freeIndex < $0.count ? $0[freeIndex] : nil }
            return .freeVariable(name: variableName, value: value)
        }

        func constant(_ index: Int) throws(PythonBytecodeError) -> PythonObject {
            guard index >= 0, index < code.constants.count else { throw fail("constant #\(index) out of range") }
            return code.constants[index]
        }

        func name(_ index: Int) throws(PythonBytecodeError) -> String {
            guard index >= 0, index < code.names.count else { throw fail("name #\(index) out of range") }
            return code.names[index]
        }

        mutating func push(_ expression: PythonExpression) { stack.append(.value(expression)) }

        mutating func pop() throws(PythonBytecodeError) -> PythonExpression {
            guard case .value(let expression) = stack.popLast() else { throw fail("stack underflow") }
            return expression
        }

        mutating func pop(_ count: Int) throws(PythonBytecodeError) -> [PythonExpression] {
            guard count >= 0, count <= stack.count else { throw fail("stack underflow") }
            var items: [PythonExpression] = []
            for _ in 0..<count { items.append(try pop()) }
            return items.reversed()
        }

        func fail(_ reason: String) -> PythonBytecodeError {
            PythonBytecodeError(reason: reason, offset: offset)
        }
    }
}

extension PythonExpression {
    /// A module an import loaded, or an attribute chain on one (`from keras import backend`).
    var isImportedName: Bool {
        switch self {
        case .module: true
        case .attribute(let base, _): base.isImportedName
        default: false
        }
    }
}
