/// A Keras Lambda's code object turned back into Python: its statements and the expression it returns.
public struct DecompiledLambda: Sendable, Equatable {
    /// The function's name: `<lambda>` for a lambda, `Normalize` for `def Normalize(img): …`.
    public let functionName: String
    /// Parameter names; the first receives the layer input.
    public let parameters: [String]
    /// The bytecode dialects that read the code consistently (usually one; 3.11 and 3.12 write
    /// identical bytes for plain arithmetic).
    public let dialects: [PythonBytecodeDialect]
    /// The body in order; the last statement is the `return`.
    let statements: [PythonStatement]
    /// The returned expression, with local variables kept as names (see ``PythonExpression/local(name:value:)``).
    let expression: PythonExpression

    /// The body as one line of Python: `x / 127.5 - 1.0` for a single returned expression, otherwise
    /// the statements joined by `; `, e.g. `import tensorflow as tf; return x[:, 60:134, 0:320]`.
    public var source: String {
        if statements.count == 1, case .return(let value) = statements[0] { return value.source }
        return statements.map(\.source).joined(separator: "; ")
    }

    /// The whole function on one line: `lambda x: x / 127.5 - 1.0`, or
    /// `def crop(x): import tensorflow as tf; return x[:, 60:134, 0:320]` for a named function.
    public var lambdaSource: String {
        if functionName == "<lambda>", statements.count == 1, case .return = statements[0] {
            return "lambda \(parameters.joined(separator: ", ")): \(source)"
        }
        return "def \(displayName)(\(parameters.joined(separator: ", "))): " + statements.map(\.source).joined(separator: "; ")
    }

    /// The function as readable Python, one statement per line (a lambda stays one line).
    public var functionSource: String {
        if functionName == "<lambda>", statements.count == 1, case .return = statements[0] { return lambdaSource }
        return (["def \(displayName)(\(parameters.joined(separator: ", "))):"] + statements.map { "    " + $0.source })
            .joined(separator: "\n")
    }

    /// A lambda with several statements cannot exist in Python; print its name as a valid identifier.
    private var displayName: String { functionName == "<lambda>" ? "_lambda" : functionName }

    /// The Python versions that could have written the code, e.g. `3.6–3.7` or `3.11 or 3.12`.
    public var pythonVersions: String {
        dialects.sorted { PythonBytecodeDialect.allCases.firstIndex(of: $0)! < PythonBytecodeDialect.allCases.firstIndex(of: $1)! }
            .map(\.rawValue).joined(separator: " or ")
    }
}
