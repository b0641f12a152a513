import Foundation

/// The Python function stored in a Keras Lambda layer's config, decoded to a code object.
///
/// Keras writes `config["function"]` in one of these shapes (with `function_type: "lambda"`):
/// - Keras 1.x – 2.1.1: `[code, defaults, closure]` (or a bare `code` string) where `code` is the
///   marshal bytes decoded with Python's `raw_unicode_escape` codec: each character below U+0100 is
///   one byte, anything above appears as the six-byte text `\uXXXX`.
/// - Keras 2.1.2+, tf.keras: the same with `code` = base64 of the marshal bytes (newline every 76).
/// - Keras 3: `{"class_name": "__lambda__", "config": {"code": …, "defaults": …, "closure": …}}`.
/// Like Keras' own `func_load`, base64 is tried first and the text form is the fallback; the choice
/// is confirmed by the bytes reading as a code object.
/// Reference: Keras `utils/generic_utils.py` (`func_dump`, `func_load`).
public struct LambdaFunction: Sendable, Equatable {
    /// How the marshal bytes were stored in the JSON config.
    public enum Encoding: String, Sendable, Equatable {
        case base64
        /// Keras 1.x–2.1.1: Python's `raw_unicode_escape` text (latin-1 for all but `\u` escapes).
        case rawUnicodeEscape = "raw_unicode_escape"
    }

    /// The `marshal.dumps(func.__code__)` bytes.
    public let marshalledCode: [UInt8]
    public let encoding: Encoding
    let code: PythonCodeObject
    /// `func.__defaults__` as stored (nil entries: values that JSON cannot say what they were).
    let defaults: [PythonObject?]?
    /// `cell.cell_contents` of each closure cell, in `co_freevars` order.
    let closure: [PythonObject?]?
    /// The layer config's `arguments`: keyword arguments Keras passes to the function.
    let arguments: [String: PythonObject?]

    /// Reads the function from marshal bytes directly (tests, tools).
    public init(marshalledCode: [UInt8], encoding: Encoding = .base64, layerName: String = "lambda") throws(LambdaResolutionError) {
        do {
            code = try PythonMarshal.decodeCodeObject(marshalledCode)
        } catch {
            throw .unreadableFunction(layer: layerName, reason: "its marshalled code cannot be read: \(error)")
        }
        self.marshalledCode = marshalledCode
        self.encoding = encoding
        defaults = nil
        closure = nil
        arguments = [:]
    }

    /// Reads the value of a Lambda config's `function` key as `JSONSerialization` returns it.
    ///
    /// - Parameters:
    ///   - configValue: a `String`, an `[Any]` `[code, defaults, closure]`, or a Keras 3 dictionary.
    ///   - arguments: the config's `arguments` dictionary (keyword arguments of the call), if any.
    ///   - layerName: the layer's name, for error messages.
    public init(configValue: Any, arguments: [String: Any] = [:], layerName: String) throws(LambdaResolutionError) {
        var value = configValue
        if let dictionary = value as? [String: Any] {
            guard let inner = dictionary["config"] as? [String: Any], let code = inner["code"] else {
                throw .unreadableFunction(layer: layerName, reason: "its function is a dictionary without config.code")
            }
            value = [code, inner["defaults"] ?? NSNull(), inner["closure"] ?? NSNull()] as [Any]
        }
        let text: String
        var defaults: [PythonObject?]?
        var closure: [PythonObject?]?
        if let string = value as? String {
            text = string
        } else if let parts = value as? [Any], let string = parts.first as? String, parts.count <= 3 {
            text = string
            defaults = parts.count > 1 ? Self.pythonValues(parts[1]) : nil
            closure = parts.count > 2 ? Self.pythonValues(parts[2]) : nil
        } else {
            throw .unreadableFunction(layer: layerName, reason: "its function is neither a string nor [code, defaults, closure]")
        }

        var failure = "its function text is empty"
        for (encoding, bytes) in Self.candidateBytes(text) {
            do {
                code = try PythonMarshal.decodeCodeObject(bytes)
                marshalledCode = bytes
                self.encoding = encoding
                self.defaults = defaults
                self.closure = closure
                self.arguments = arguments.mapValues(Self.pythonValue)
                return
            } catch {
                failure = "its function is not marshalled Python 3.5–3.12 code (read as \(encoding.rawValue): \(error))"
            }
        }
        throw .unreadableFunction(layer: layerName, reason: failure)
    }

    /// The byte strings the text may stand for, in the order Keras' `func_load` tries them.
    static func candidateBytes(_ text: String) -> [(Encoding, [UInt8])] {
        var candidates: [(Encoding, [UInt8])] = []
        if text.unicodeScalars.allSatisfy(\.isASCII) {
            let compact = String(text.unicodeScalars.filter { !" \n\r\t".unicodeScalars.contains($0) })
            if !compact.isEmpty, let data = Data(base64Encoded: compact) {
                candidates.append((.base64, [UInt8](data)))
            }
        }
        candidates.append((.rawUnicodeEscape, rawUnicodeEscapeBytes(text)))
        return candidates
    }

    /// Python's `text.encode('raw_unicode_escape')`.
    static func rawUnicodeEscapeBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar.value < 0x100 {
                bytes.append(UInt8(scalar.value))
            } else {
                let hex = String(scalar.value, radix: 16)
                let escape = scalar.value <= 0xFFFF
                    ? "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    : "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                bytes.append(contentsOf: escape.utf8)
            }
        }
        return bytes
    }

    /// A JSON array of defaults or closure values, as Python values (nil: not representable).
    static func pythonValues(_ value: Any) -> [PythonObject?]? {
        guard let items = value as? [Any] else { return nil }
        return items.map(pythonValue)
    }

    static func pythonValue(_ value: Any) -> PythonObject? {
        switch value {
        case is NSNull: return PythonObject.none
        case let string as String: return .string(string)
        case let items as [Any]:
            var objects: [PythonObject] = []
            for item in items {
                guard let object = pythonValue(item) else { return nil }
                objects.append(object)
            }
            return .list(objects)
        case let bool as Bool where type(of: value) == Bool.self: return .bool(bool)
        case let number as NSNumber:
            // JSON cannot tell 1 from 1.0 reliably through NSNumber; integral values become ints,
            // which Python arithmetic treats the same and sizes need.
            if let integer = Int(exactly: number.doubleValue) { return .int(integer) }
            return .float(number.doubleValue)
        default: return nil
        }
    }
}
