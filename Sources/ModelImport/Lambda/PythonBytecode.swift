/// The CPython bytecode flavours a Keras Lambda may have been written with.
///
/// Instruction width, opcode numbers and inline caches differ between them; the code-object layout
/// narrows the choice (see ``PythonCodeObject/Layout``) and the bytecode's shape decides the rest.
public enum PythonBytecodeDialect: String, Sendable, Equatable, CaseIterable {
    /// 1-byte opcodes, 3 bytes with a 16-bit argument (opcode ≥ 90).
    case python35 = "3.5"
    /// 2-byte wordcode; 3.7 adds LOAD_METHOD/CALL_METHOD.
    case python36to37 = "3.6–3.7"
    /// Wordcode; code objects gain `posonlyargcount`.
    case python38to310 = "3.8–3.10"
    /// BINARY_OP, PRECALL/CALL, inline CACHE entries after specialisable instructions.
    case python311 = "3.11"
    /// No PRECALL; LOAD_ATTR carries the method bit; other cache sizes.
    case python312 = "3.12"

    /// The dialects whose code objects have this layout, most likely first.
    static func candidates(for layout: PythonCodeObject.Layout) -> [PythonBytecodeDialect] {
        switch layout {
        case .python35to37: [.python36to37, .python35]
        case .python38to310: [.python38to310]
        case .python311to312: [.python312, .python311]
        }
    }

    /// Opcode numbers by CPython name, for the instructions a lambda may use (`Lib/opcode.py`).
    var opcodes: [String: UInt8] {
        switch self {
        case .python35, .python36to37, .python38to310:
            var table: [String: UInt8] = [
                "NOP": 9, "UNARY_POSITIVE": 10, "UNARY_NEGATIVE": 11, "UNARY_INVERT": 15,
                "BINARY_MATRIX_MULTIPLY": 16, "BINARY_POWER": 19, "BINARY_MULTIPLY": 20, "BINARY_MODULO": 22,
                "BINARY_ADD": 23, "BINARY_SUBTRACT": 24, "BINARY_SUBSCR": 25, "BINARY_FLOOR_DIVIDE": 26,
                "BINARY_TRUE_DIVIDE": 27, "BINARY_LSHIFT": 62, "BINARY_RSHIFT": 63, "BINARY_AND": 64,
                "BINARY_XOR": 65, "BINARY_OR": 66, "RETURN_VALUE": 83, "LOAD_CONST": 100, "BUILD_TUPLE": 102,
                "BUILD_LIST": 103, "LOAD_ATTR": 106, "LOAD_GLOBAL": 116, "LOAD_FAST": 124, "CALL_FUNCTION": 131,
                "BUILD_SLICE": 133, "LOAD_DEREF": 136, "EXTENDED_ARG": 144,
                "POP_TOP": 1, "ROT_TWO": 2, "DUP_TOP": 4, "IMPORT_NAME": 108, "IMPORT_FROM": 109, "STORE_FAST": 125,
                "UNPACK_SEQUENCE": 92,
            ]
            if self != .python35 { table["CALL_FUNCTION_KW"] = 141 }
            if self != .python35 { table["LOAD_METHOD"] = 160; table["CALL_METHOD"] = 161 }
            if self == .python38to310 { table["LIST_EXTEND"] = 162 }
            return table
        case .python311, .python312:
            var table: [String: UInt8] = [
                "CACHE": 0, "PUSH_NULL": 2, "NOP": 9, "UNARY_NEGATIVE": 11, "UNARY_INVERT": 15,
                "BINARY_SUBSCR": 25, "RETURN_VALUE": 83, "LOAD_CONST": 100, "BUILD_TUPLE": 102,
                "BUILD_LIST": 103, "LOAD_ATTR": 106, "LOAD_GLOBAL": 116, "BINARY_OP": 122, "LOAD_FAST": 124,
                "BUILD_SLICE": 133, "MAKE_CELL": 135, "EXTENDED_ARG": 144, "COPY_FREE_VARS": 149,
                "RESUME": 151, "LIST_EXTEND": 162, "CALL": 171, "KW_NAMES": 172,
                "POP_TOP": 1, "SWAP": 99, "COPY": 120, "IMPORT_NAME": 108, "IMPORT_FROM": 109, "STORE_FAST": 125,
                "UNPACK_SEQUENCE": 92,
            ]
            if self == .python311 {
                table["UNARY_POSITIVE"] = 10; table["LOAD_DEREF"] = 137
                table["LOAD_METHOD"] = 160; table["PRECALL"] = 166
            } else {
                table["BINARY_SLICE"] = 26; table["RETURN_CONST"] = 121; table["LOAD_FAST_CHECK"] = 127
                table["LOAD_DEREF"] = 137; table["CALL_INTRINSIC_1"] = 173
            }
            return table
        }
    }

    /// Inline CACHE code units that follow each instruction (3.11+; `opcode._inline_cache_entries`).
    var cacheEntries: [String: Int] {
        switch self {
        case .python35, .python36to37, .python38to310: [:]
        case .python311:
            ["LOAD_GLOBAL": 5, "LOAD_ATTR": 4, "LOAD_METHOD": 10, "BINARY_OP": 1, "BINARY_SUBSCR": 4, "PRECALL": 1, "CALL": 4,
             "UNPACK_SEQUENCE": 1]
        case .python312:
            ["LOAD_GLOBAL": 4, "LOAD_ATTR": 9, "BINARY_OP": 1, "BINARY_SUBSCR": 1, "CALL": 3, "UNPACK_SEQUENCE": 1]
        }
    }

    /// `BINARY_OP` arguments 0…12 (`NB_*` in `Include/opcode.h`); 13…25 are the in-place forms.
    static let binaryOpOperators: [PythonBinaryOperator] = [
        .add, .and, .floorDivide, .leftShift, .matrixMultiply, .multiply, .remainder, .or, .power,
        .rightShift, .subtract, .trueDivide, .xor,
    ]

    static let binaryOpcodeOperators: [String: PythonBinaryOperator] = [
        "BINARY_ADD": .add, "BINARY_SUBTRACT": .subtract, "BINARY_MULTIPLY": .multiply,
        "BINARY_TRUE_DIVIDE": .trueDivide, "BINARY_FLOOR_DIVIDE": .floorDivide, "BINARY_MODULO": .remainder,
        "BINARY_POWER": .power, "BINARY_MATRIX_MULTIPLY": .matrixMultiply, "BINARY_LSHIFT": .leftShift,
        "BINARY_RSHIFT": .rightShift, "BINARY_AND": .and, "BINARY_XOR": .xor, "BINARY_OR": .or,
    ]
}

/// Why bytecode could not be turned into an expression.
struct PythonBytecodeError: Error, Equatable, CustomStringConvertible {
    var reason: String
    /// Byte offset in `co_code` of the instruction that failed.
    var offset: Int
    var description: String { "\(reason) (bytecode offset \(offset))" }
}

/// One decoded instruction: CPython name, full argument (EXTENDED_ARG folded in), byte offset.
struct PythonInstruction: Equatable {
    var name: String
    var argument: Int
    var offset: Int
}

/// Splits `co_code` into instructions for one dialect.
///
/// Layout: 3.5 — opcode byte, plus a little-endian 16-bit argument when opcode ≥ 90 (HAVE_ARGUMENT);
/// EXTENDED_ARG supplies the next 16 bits. 3.6+ — (opcode, 8-bit argument) pairs; EXTENDED_ARG
/// supplies the next 8 bits. 3.11+ — certain instructions are followed by a fixed number of CACHE
/// units, which marshal stores zeroed; their count is checked, which tells 3.11 from 3.12.
/// Reference: CPython `Lib/dis.py` (`_unpack_opargs`), `Lib/opcode.py`.
enum PythonBytecode {
    static func instructions(_ code: [UInt8], dialect: PythonBytecodeDialect) throws(PythonBytecodeError) -> [PythonInstruction] {
        let names = Dictionary(uniqueKeysWithValues: dialect.opcodes.map { ($1, $0) })
        let caches = dialect.cacheEntries
        let wordcode = dialect != .python35
        if wordcode, code.count % 2 != 0 {
            throw PythonBytecodeError(reason: "odd bytecode length \(code.count) is not wordcode", offset: 0)
        }
        var result: [PythonInstruction] = []
        var position = 0
        var extended = 0
        var extendedCount = 0
        var instructionStart = 0
        while position < code.count {
            let offset = position
            if extendedCount == 0 { instructionStart = offset }
            let opcode = code[position]
            guard let name = names[opcode] else {
                throw PythonBytecodeError(
                    reason: "opcode \(opcode) is outside what SteerLens follows in Python \(dialect.rawValue) bytecode "
                        + "(arithmetic, calls, attributes, slicing, local variables, imports; not conditionals, loops, "
                        + "comparisons or comprehensions)",
                    offset: offset)
            }
            var argument: Int
            if wordcode {
                argument = Int(code[position + 1]) | extended
                position += 2
            } else if opcode >= 90 {
                guard position + 2 < code.count else {
                    throw PythonBytecodeError(reason: "bytecode ends inside an instruction", offset: offset)
                }
                argument = Int(code[position + 1]) | Int(code[position + 2]) << 8 | extended
                position += 3
            } else {
                argument = 0
                position += 1
            }
            if name == "EXTENDED_ARG" {
                extendedCount += 1
                guard extendedCount <= 3 else {
                    throw PythonBytecodeError(reason: "more than three EXTENDED_ARG in a row", offset: offset)
                }
                extended = argument << (wordcode ? 8 : 16)
                continue
            }
            if name == "CACHE" {
                throw PythonBytecodeError(reason: "CACHE entry where Python \(dialect.rawValue) has none", offset: offset)
            }
            for _ in 0..<(caches[name] ?? 0) {
                guard position + 1 < code.count, code[position] == 0 else {
                    throw PythonBytecodeError(reason: "\(name) is not followed by its \(caches[name] ?? 0) CACHE entries of Python \(dialect.rawValue)", offset: offset)
                }
                position += 2
            }
            result.append(PythonInstruction(name: name, argument: argument, offset: instructionStart))
            extended = 0
            extendedCount = 0
        }
        if extendedCount > 0 {
            throw PythonBytecodeError(reason: "bytecode ends after EXTENDED_ARG", offset: instructionStart)
        }
        return result
    }
}
