/// A Python value as read from `marshal` data: the constants, names and code objects of a lambda.
///
/// Only what a Keras Lambda's code object can hold is modelled. Integers that do not fit in `Int`
/// are rejected by the decoder rather than approximated.
indirect enum PythonObject: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case complex(real: Double, imaginary: Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PythonObject])
    case list([PythonObject])
    case set([PythonObject], frozen: Bool)
    case dict([PythonObject], [PythonObject])
    case ellipsis
    case stopIteration
    case code(PythonCodeObject)

    /// The value as a number, if it is an `int`, `float` or `bool` (Python's numeric tower, minus complex).
    var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }
}

/// A Python code object (`types.CodeType`), with the fields of every layout from 3.5 to 3.12 mapped
/// onto one shape.
///
/// - 3.5–3.7: `co_varnames`, `co_freevars`, `co_cellvars` are separate tuples.
/// - 3.8–3.10: the same plus `co_posonlyargcount`.
/// - 3.11+: one `co_localsplusnames` tuple with a kind byte per name (`co_localspluskinds`);
///   ``localNames`` then holds all of them and the kind tells locals, cells and free variables apart.
///
/// Reference: CPython `Python/marshal.c`, `w_object` / `r_object` for `TYPE_CODE`.
struct PythonCodeObject: Sendable, Equatable {
    /// Which field layout the marshal data used.
    enum Layout: Sendable, Equatable, CaseIterable {
        /// argcount, kwonlyargcount, nlocals, stacksize, flags, code, consts, names, varnames,
        /// freevars, cellvars, filename, name, firstlineno, lnotab.
        case python35to37
        /// As 3.5–3.7 with posonlyargcount after argcount.
        case python38to310
        /// argcount, posonlyargcount, kwonlyargcount, stacksize, flags, code, consts, names,
        /// localsplusnames, localspluskinds, filename, name, qualname, firstlineno, linetable,
        /// exceptiontable.
        case python311to312
    }

    /// `co_localspluskinds` bits (CPython `Include/internal/pycore_code.h`).
    static let kindFree: UInt8 = 0x80

    var layout: Layout
    var argumentCount: Int
    var positionalOnlyArgumentCount: Int
    var keywordOnlyArgumentCount: Int
    var flags: UInt32
    var bytecode: [UInt8]
    var constants: [PythonObject]
    var names: [String]
    /// `co_varnames` (≤ 3.10) or `co_localsplusnames` (3.11+).
    var localNames: [String]
    /// `co_localspluskinds` (3.11+ only, one byte per ``localNames`` entry).
    var localKinds: [UInt8]
    var freeVariableNames: [String]
    var cellVariableNames: [String]
    var filename: String
    var name: String
    var firstLineNumber: Int

    /// Names of the positional-or-keyword and keyword-only parameters, in order.
    var parameterNames: [String] {
        Array(localNames.prefix(argumentCount + keywordOnlyArgumentCount))
    }
}
