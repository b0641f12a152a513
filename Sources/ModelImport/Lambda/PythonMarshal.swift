/// Why marshal data could not be read. Every case names the byte offset where reading stopped.
enum PythonMarshalError: Error, Equatable, CustomStringConvertible {
    /// The data ends in the middle of an object.
    case truncated(offset: Int)
    /// A type code this reader does not know (or that only Python 2 wrote).
    case unknownType(code: UInt8, offset: Int)
    /// The bytes are well-formed marshal but not what a code object may contain.
    case invalid(reason: String, offset: Int)
    /// A back-reference (`r`) to an object that does not exist yet.
    case badReference(index: Int, offset: Int)
    /// Nesting or total size beyond what any lambda needs (guards against hostile input).
    case limitExceeded(reason: String, offset: Int)
    /// No code-object layout (3.5–3.7, 3.8–3.10, 3.11–3.12) reads the data completely.
    case noLayoutFits(reasons: [String])

    var description: String {
        switch self {
        case .truncated(let offset): "data ends early (at byte \(offset))"
        case .unknownType(let code, let offset):
            "unknown marshal type code 0x\(String(code, radix: 16)) ('\(Character(Unicode.Scalar(code & 0x7F)))') at byte \(offset)"
        case .invalid(let reason, let offset): "\(reason) at byte \(offset)"
        case .badReference(let index, let offset): "back-reference to unknown object #\(index) at byte \(offset)"
        case .limitExceeded(let reason, let offset): "\(reason) at byte \(offset)"
        case .noLayoutFits(let reasons): "not a Python 3.5–3.12 code object (\(reasons.joined(separator: "; ")))"
        }
    }
}

/// Reads Python's `marshal` format far enough for the code object of a lambda, Python 3.5 … 3.12.
///
/// Layout: one type byte (bit 0x80 = FLAG_REF: remember the object for later `r` back-references),
/// then the payload; integers are little-endian. Code objects changed their field list twice (3.8
/// added `posonlyargcount`, 3.11 replaced varnames/freevars/cellvars with localsplus), and the data
/// does not say which Python wrote it, so ``decodeCodeObject(_:)`` tries each layout and keeps the one
/// that reads the data exactly to its end with every field of the right type.
///
/// Every length and index is checked against the bytes left; nesting depth and total object count
/// are bounded, so hostile input ends in a ``PythonMarshalError``, never a crash or a long loop.
///
/// Reference: CPython `Python/marshal.c` (`r_object`), `Lib/importlib/_bootstrap_external.py`.
enum PythonMarshal {
    /// Decodes marshal data that holds one code object, detecting the code-object layout.
    static func decodeCodeObject(_ bytes: [UInt8]) throws(PythonMarshalError) -> PythonCodeObject {
        var reasons: [String] = []
        for layout in PythonCodeObject.Layout.allCases {
            var reader = Reader(bytes: bytes, layout: layout)
            do throws(PythonMarshalError) {
                let object = try reader.readObject()
                guard reader.position == bytes.count else {
                    throw .invalid(reason: "\(bytes.count - reader.position) bytes left after the object", offset: reader.position)
                }
                guard case .code(let code) = object else {
                    throw .invalid(reason: "top-level object is not a code object", offset: 0)
                }
                return code
            } catch {
                reasons.append("as \(layout.pythonVersions): \(error)")
                if case .unknownType = error, reader.position <= 1 { break }
            }
        }
        throw .noLayoutFits(reasons: reasons)
    }

    /// Decodes one object with a fixed code-object layout (for tests and non-code data).
    static func decodeObject(_ bytes: [UInt8], layout: PythonCodeObject.Layout) throws(PythonMarshalError) -> PythonObject {
        var reader = Reader(bytes: bytes, layout: layout)
        return try reader.readObject()
    }

    static let maximumDepth = 64
    static let maximumObjectCount = 200_000

    fileprivate struct Reader {
        let bytes: [UInt8]
        let layout: PythonCodeObject.Layout
        var position = 0
        var depth = 0
        /// Objects counted so far, including those reached again through back-references.
        var objectCount = 0
        /// Remembered objects with their sizes; nil while a container is still being read.
        var references: [(object: PythonObject, size: Int)?] = []

        init(bytes: [UInt8], layout: PythonCodeObject.Layout) {
            self.bytes = bytes
            self.layout = layout
        }

        mutating func readObject() throws(PythonMarshalError) -> PythonObject {
            let start = position
            guard depth < PythonMarshal.maximumDepth else {
                throw .limitExceeded(reason: "objects nested deeper than \(PythonMarshal.maximumDepth)", offset: start)
            }
            depth += 1
            defer { depth -= 1 }
            let countBefore = objectCount
            try count(1, at: start)

            let typeByte = try readByte()
            let remember = typeByte & 0x80 != 0
            let type = typeByte & 0x7F
            // Containers reserve their reference slot before their items (as CPython does), so
            // that references inside them are numbered like CPython numbers them.
            var slot: Int?
            if remember, Self.containerTypes.contains(type) {
                slot = references.count
                references.append(nil)
            }

            let object: PythonObject
            switch type {
            case UInt8(ascii: "N"): object = .none
            case UInt8(ascii: "F"): object = .bool(false)
            case UInt8(ascii: "T"): object = .bool(true)
            case UInt8(ascii: "."): object = .ellipsis
            case UInt8(ascii: "S"): object = .stopIteration
            case UInt8(ascii: "i"): object = .int(Int(try readInt32()))
            case UInt8(ascii: "l"): object = .int(try readLong())
            case UInt8(ascii: "g"): object = .float(try readBinaryDouble())
            case UInt8(ascii: "f"): object = .float(try readTextDouble())
            case UInt8(ascii: "y"): object = .complex(real: try readBinaryDouble(), imaginary: try readBinaryDouble())
            case UInt8(ascii: "x"): object = .complex(real: try readTextDouble(), imaginary: try readTextDouble())
            case UInt8(ascii: "s"): object = .bytes(try readBytes(count: try readLength()))
            case UInt8(ascii: "t"), UInt8(ascii: "u"):
                object = .string(try decodeText(try readBytes(count: try readLength()), ascii: false, at: start))
            case UInt8(ascii: "a"), UInt8(ascii: "A"):
                object = .string(try decodeText(try readBytes(count: try readLength()), ascii: true, at: start))
            case UInt8(ascii: "z"), UInt8(ascii: "Z"):
                object = .string(try decodeText(try readBytes(count: Int(try readByte())), ascii: true, at: start))
            case UInt8(ascii: "("): object = .tuple(try readItems(count: try readLength()))
            case UInt8(ascii: ")"): object = .tuple(try readItems(count: Int(try readByte())))
            case UInt8(ascii: "["): object = .list(try readItems(count: try readLength()))
            case UInt8(ascii: "<"): object = .set(try readItems(count: try readLength()), frozen: false)
            case UInt8(ascii: ">"): object = .set(try readItems(count: try readLength()), frozen: true)
            case UInt8(ascii: "{"): object = try readDict()
            case UInt8(ascii: "c"): object = .code(try readCode())
            case UInt8(ascii: "r"):
                let index = Int(try readInt32())
                guard index >= 0, index < references.count, let entry = references[index] else {
                    throw .badReference(index: index, offset: start)
                }
                // A reference repeats a whole subtree: count it again, so that a chain of references
                // cannot describe an exponentially large value in a few bytes.
                try count(entry.size - 1, at: start)
                return entry.object
            default:
                throw .unknownType(code: typeByte, offset: start)
            }

            if remember {
                let entry = (object: object, size: objectCount - countBefore)
                if let slot { references[slot] = entry } else { references.append(entry) }
            }
            return object
        }

        /// Type codes whose reference slot is reserved before their contents are read.
        static let containerTypes: Set<UInt8> = Set("()[<>{c".utf8)

        mutating func count(_ objects: Int, at offset: Int) throws(PythonMarshalError) {
            objectCount += objects
            guard objectCount <= PythonMarshal.maximumObjectCount else {
                throw .limitExceeded(reason: "more than \(PythonMarshal.maximumObjectCount) objects", offset: offset)
            }
        }

        mutating func readItems(count: Int) throws(PythonMarshalError) -> [PythonObject] {
            // Every item takes at least one byte: a count beyond the bytes left is corrupt.
            guard count <= bytes.count - position else { throw .truncated(offset: position) }
            var items: [PythonObject] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try readObject()) }
            return items
        }

        mutating func readDict() throws(PythonMarshalError) -> PythonObject {
            var keys: [PythonObject] = []
            var values: [PythonObject] = []
            while true {
                guard position < bytes.count else { throw .truncated(offset: position) }
                if bytes[position] == UInt8(ascii: "0") {
                    position += 1
                    return .dict(keys, values)
                }
                keys.append(try readObject())
                values.append(try readObject())
            }
        }

        mutating func readCode() throws(PythonMarshalError) -> PythonCodeObject {
            let start = position
            let argumentCount = try readCount("argcount")
            let positionalOnly = layout == .python35to37 ? 0 : try readCount("posonlyargcount")
            let keywordOnly = try readCount("kwonlyargcount")
            if layout != .python311to312 { _ = try readCount("nlocals") }
            _ = try readCount("stacksize")
            let flags = UInt32(bitPattern: try readInt32())
            let bytecode = try readField("co_code", as: \.bytesValue)
            let constants = try readField("co_consts", as: \.tupleValue)
            let names = try readStringTuple("co_names")
            var localNames: [String]
            var localKinds: [UInt8] = []
            var freeVariables: [String] = []
            var cellVariables: [String] = []
            if layout == .python311to312 {
                localNames = try readStringTuple("co_localsplusnames")
                localKinds = try readField("co_localspluskinds", as: \.bytesValue)
                guard localKinds.count == localNames.count else {
                    throw .invalid(reason: "co_localspluskinds has \(localKinds.count) entries for \(localNames.count) names", offset: position)
                }
                freeVariables = zip(localNames, localKinds).filter { $0.1 & PythonCodeObject.kindFree != 0 }.map(\.0)
            } else {
                localNames = try readStringTuple("co_varnames")
                freeVariables = try readStringTuple("co_freevars")
                cellVariables = try readStringTuple("co_cellvars")
            }
            let filename = try readField("co_filename", as: \.stringValue)
            let name = try readField("co_name", as: \.stringValue)
            if layout == .python311to312 { _ = try readField("co_qualname", as: \.stringValue) }
            let firstLineNumber = Int(try readInt32())
            _ = try readField("co_lnotab/co_linetable", as: \.bytesValue)
            if layout == .python311to312 { _ = try readField("co_exceptiontable", as: \.bytesValue) }

            guard argumentCount + keywordOnly <= localNames.count, positionalOnly <= argumentCount else {
                throw .invalid(reason: "code object declares \(argumentCount + keywordOnly) parameters but names \(localNames.count) locals", offset: start)
            }
            return PythonCodeObject(
                layout: layout, argumentCount: argumentCount, positionalOnlyArgumentCount: positionalOnly,
                keywordOnlyArgumentCount: keywordOnly, flags: flags, bytecode: bytecode, constants: constants,
                names: names, localNames: localNames, localKinds: localKinds, freeVariableNames: freeVariables,
                cellVariableNames: cellVariables, filename: filename, name: name, firstLineNumber: firstLineNumber)
        }

        mutating func readField<Value>(_ field: String, as extract: KeyPath<PythonObject, Value?>) throws(PythonMarshalError) -> Value {
            let start = position
            guard let value = try readObject()[keyPath: extract] else {
                throw .invalid(reason: "\(field) has the wrong type", offset: start)
            }
            return value
        }

        mutating func readStringTuple(_ field: String) throws(PythonMarshalError) -> [String] {
            let start = position
            let items = try readField(field, as: \.tupleValue)
            var strings: [String] = []
            for item in items {
                guard let string = item.stringValue else {
                    throw .invalid(reason: "\(field) holds a non-string", offset: start)
                }
                strings.append(string)
            }
            return strings
        }

        mutating func readCount(_ field: String) throws(PythonMarshalError) -> Int {
            let start = position
            let value = Int(try readInt32())
            guard (0...65_535).contains(value) else {
                throw .invalid(reason: "implausible \(field) \(value)", offset: start)
            }
            return value
        }

        mutating func readByte() throws(PythonMarshalError) -> UInt8 {
            guard position < bytes.count else { throw .truncated(offset: position) }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func readBytes(count: Int) throws(PythonMarshalError) -> [UInt8] {
            guard count >= 0, count <= bytes.count - position else { throw .truncated(offset: position) }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        mutating func readInt32() throws(PythonMarshalError) -> Int32 {
            let raw = try readBytes(count: 4)
            let value = UInt32(raw[0]) | UInt32(raw[1]) << 8 | UInt32(raw[2]) << 16 | UInt32(raw[3]) << 24
            return Int32(bitPattern: value)
        }

        /// A length prefix: non-negative and no larger than the bytes left.
        mutating func readLength() throws(PythonMarshalError) -> Int {
            let start = position
            let length = Int(try readInt32())
            guard length >= 0 else { throw .invalid(reason: "negative length \(length)", offset: start) }
            guard length <= bytes.count - position else { throw .truncated(offset: position) }
            return length
        }

        /// `TYPE_LONG`: a signed count of 15-bit digits, least significant first.
        mutating func readLong() throws(PythonMarshalError) -> Int {
            let start = position
            let signedCount = Int(try readInt32())
            let digitCount = signedCount.magnitude
            guard digitCount <= 5 else {
                throw .invalid(reason: "integer with \(digitCount) 15-bit digits does not fit in 64 bits", offset: start)
            }
            var magnitude: UInt64 = 0
            for index in 0..<Int(digitCount) {
                let raw = try readBytes(count: 2)
                let digit = UInt64(raw[0]) | UInt64(raw[1]) << 8
                guard digit < 1 << 15 else { throw .invalid(reason: "bad long digit \(digit)", offset: start) }
                // Digits 0...3 fill 60 bits; the fifth may add 3 more before Int.max is exceeded.
                guard index < 4 || digit < 1 << 3 else {
                    throw .invalid(reason: "integer does not fit in 64 bits", offset: start)
                }
                magnitude |= digit << (15 * UInt64(index))
            }
            return signedCount < 0 ? -Int(magnitude) : Int(magnitude)
        }

        mutating func readBinaryDouble() throws(PythonMarshalError) -> Double {
            let raw = try readBytes(count: 8)
            var bits: UInt64 = 0
            for (index, byte) in raw.enumerated() { bits |= UInt64(byte) << (8 * UInt64(index)) }
            return Double(bitPattern: bits)
        }

        mutating func readTextDouble() throws(PythonMarshalError) -> Double {
            let start = position
            let text = try decodeText(try readBytes(count: Int(try readByte())), ascii: true, at: start)
            guard let value = Double(text) else { throw .invalid(reason: "bad float text '\(text)'", offset: start) }
            return value
        }

        func decodeText(_ raw: [UInt8], ascii: Bool, at offset: Int) throws(PythonMarshalError) -> String {
            if ascii {
                guard raw.allSatisfy({ $0 < 0x80 }) else { throw .invalid(reason: "non-ASCII byte in an ASCII string", offset: offset) }
            }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw .invalid(reason: "string is not UTF-8", offset: offset)
            }
            return text
        }
    }
}

extension PythonObject {
    fileprivate var bytesValue: [UInt8]? { if case .bytes(let value) = self { value } else { nil } }
    fileprivate var tupleValue: [PythonObject]? { if case .tuple(let value) = self { value } else { nil } }
}

extension PythonCodeObject.Layout {
    /// The Python versions that write this layout, for messages.
    var pythonVersions: String {
        switch self {
        case .python35to37: "Python 3.5–3.7"
        case .python38to310: "Python 3.8–3.10"
        case .python311to312: "Python 3.11–3.12"
        }
    }
}
