@testable import ModelImport

/// Writes Python `marshal` data, for hand-assembled code objects of Python versions this machine
/// cannot run (3.5) and for corrupting well-formed data on purpose.
struct MarshalWriter {
    var bytes: [UInt8] = []

    static func code(_ code: PythonCodeObject) -> [UInt8] {
        var writer = MarshalWriter()
        writer.write(.code(code))
        return writer.bytes
    }

    mutating func int32(_ value: Int) {
        let bits = UInt32(bitPattern: Int32(truncatingIfNeeded: value))
        bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }

    mutating func write(_ object: PythonObject) {
        switch object {
        case .none: bytes.append(UInt8(ascii: "N"))
        case .bool(let value): bytes.append(UInt8(ascii: value ? "T" : "F"))
        case .ellipsis: bytes.append(UInt8(ascii: "."))
        case .stopIteration: bytes.append(UInt8(ascii: "S"))
        case .int(let value):
            bytes.append(UInt8(ascii: "i")); int32(value)
        case .float(let value):
            bytes.append(UInt8(ascii: "g"))
            for index in 0..<8 { bytes.append(UInt8(value.bitPattern >> (8 * UInt64(index)) & 0xFF)) }
        case .complex(let real, let imaginary):
            bytes.append(UInt8(ascii: "y"))
            for part in [real, imaginary] {
                for index in 0..<8 { bytes.append(UInt8(part.bitPattern >> (8 * UInt64(index)) & 0xFF)) }
            }
        case .string(let value):
            let utf8 = Array(value.utf8)
            if utf8.count < 256, utf8.allSatisfy({ $0 < 0x80 }) {
                bytes += [UInt8(ascii: "z"), UInt8(utf8.count)] + utf8
            } else {
                bytes.append(UInt8(ascii: "u")); int32(utf8.count); bytes += utf8
            }
        case .bytes(let value):
            bytes.append(UInt8(ascii: "s")); int32(value.count); bytes += value
        case .tuple(let items):
            if items.count < 256 { bytes += [UInt8(ascii: ")"), UInt8(items.count)] } else { bytes.append(UInt8(ascii: "(")); int32(items.count) }
            items.forEach { write($0) }
        case .list(let items):
            bytes.append(UInt8(ascii: "[")); int32(items.count); items.forEach { write($0) }
        case .set(let items, let frozen):
            bytes.append(UInt8(ascii: frozen ? ">" : "<")); int32(items.count); items.forEach { write($0) }
        case .dict(let keys, let values):
            bytes.append(UInt8(ascii: "{"))
            for (key, value) in zip(keys, values) { write(key); write(value) }
            bytes.append(UInt8(ascii: "0"))
        case .code(let code):
            bytes.append(UInt8(ascii: "c"))
            int32(code.argumentCount)
            if code.layout != .python35to37 { int32(code.positionalOnlyArgumentCount) }
            int32(code.keywordOnlyArgumentCount)
            if code.layout != .python311to312 { int32(code.localNames.count) }
            int32(8)  // stacksize
            int32(Int(code.flags))
            write(.bytes(code.bytecode))
            write(.tuple(code.constants))
            write(.tuple(code.names.map { .string($0) }))
            if code.layout == .python311to312 {
                write(.tuple(code.localNames.map { .string($0) }))
                write(.bytes(code.localKinds))
            } else {
                write(.tuple(code.localNames.map { .string($0) }))
                write(.tuple(code.freeVariableNames.map { .string($0) }))
                write(.tuple(code.cellVariableNames.map { .string($0) }))
            }
            write(.string(code.filename))
            write(.string(code.name))
            if code.layout == .python311to312 { write(.string(code.name)) }
            int32(code.firstLineNumber)
            write(.bytes([]))
            if code.layout == .python311to312 { write(.bytes([])) }
        }
    }
}

extension PythonCodeObject {
    /// A one-parameter lambda `lambda x: …` with the given bytecode, constants and names.
    static func lambda(
        layout: PythonCodeObject.Layout, bytecode: [UInt8], constants: [PythonObject], names: [String] = [],
        parameters: [String] = ["x"], freeVariables: [String] = []
    ) -> PythonCodeObject {
        let localNames = layout == .python311to312 ? parameters + freeVariables : parameters
        let kinds: [UInt8] = layout == .python311to312
            ? Array(repeating: 0x26, count: parameters.count) + Array(repeating: 0x80, count: freeVariables.count) : []
        return PythonCodeObject(
            layout: layout, argumentCount: parameters.count, positionalOnlyArgumentCount: 0, keywordOnlyArgumentCount: 0,
            flags: 0x53, bytecode: bytecode, constants: constants, names: names, localNames: localNames,
            localKinds: kinds, freeVariableNames: freeVariables, cellVariableNames: [], filename: "model.py",
            name: "<lambda>", firstLineNumber: 1)
    }
}
