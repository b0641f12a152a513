import Foundation

/// One layer's `config` dictionary from a Keras model JSON, with typed accessors that throw
/// ``ModelImportError/unsupportedConfig(layer:detail:)`` naming the layer and key.
///
/// Values are normalised across Keras generations: Keras 3 wraps some values as
/// `{"module", "class_name", "config", "registered_name"}` objects (activations, dtype policies); the
/// accessors unwrap those where a plain string or number is expected.
struct KerasLayerConfig: @unchecked Sendable {
    /// The layer name, for messages.
    let layer: String
    /// The raw JSON object.
    let values: [String: Any]

    /// Whether `key` is present and not JSON null.
    func has(_ key: String) -> Bool { values[key].map { !($0 is NSNull) } ?? false }

    /// The first key of `keys` that is present and not null (Keras 1 / 2 / 3 spell some keys differently).
    func firstKey(_ keys: [String]) -> String? { keys.first { has($0) } }

    /// The raw value of the first present key.
    func raw(_ keys: [String]) -> Any? { firstKey(keys).flatMap { values[$0] } }

    func string(_ keys: String..., default fallback: String? = nil) throws -> String {
        guard let value = raw(keys) else { return try orDefault(fallback, keys) }
        if let text = Self.unwrapString(value) { return text }
        throw invalid(keys, value, "a string")
    }

    func optionalString(_ keys: String...) throws -> String? {
        guard let value = raw(keys) else { return nil }
        if let text = Self.unwrapString(value) { return text }
        throw invalid(keys, value, "a string")
    }

    func int(_ keys: String..., default fallback: Int? = nil) throws -> Int {
        guard let value = raw(keys) else { return try orDefault(fallback, keys) }
        if let number = Self.integer(value) { return number }
        throw invalid(keys, value, "an integer")
    }

    func float(_ keys: String..., default fallback: Float? = nil) throws -> Float {
        guard let value = raw(keys) else { return try orDefault(fallback, keys) }
        if let number = Self.number(value) { return Float(number) }
        throw invalid(keys, value, "a number")
    }

    func optionalFloat(_ keys: String...) throws -> Float? {
        guard let value = raw(keys) else { return nil }
        if let number = Self.number(value) { return Float(number) }
        throw invalid(keys, value, "a number")
    }

    func bool(_ keys: String..., default fallback: Bool? = nil) throws -> Bool {
        guard let value = raw(keys) else { return try orDefault(fallback, keys) }
        if Self.isBoolean(value), let flag = value as? Bool { return flag }
        if let number = Self.integer(value), number == 0 || number == 1 { return number == 1 }
        throw invalid(keys, value, "true or false")
    }

    /// A pair of window extents, strides, dilations or sizes (each in ``LayerValueLimits/extents``),
    /// written as `n` (both) or `[a, b]`.
    func intPair(_ keys: String..., default fallback: (Int, Int)? = nil) throws -> (Int, Int) {
        guard let value = raw(keys) else { return try orDefault(fallback, keys) }
        let pair: (Int, Int)? = if let number = Self.integer(value) { (number, number) }
            else if let list = value as? [Any], list.count == 2, let a = Self.integer(list[0]), let b = Self.integer(list[1]) { (a, b) }
            else { nil }
        guard let pair, LayerValueLimits.extents.contains(pair.0), LayerValueLimits.extents.contains(pair.1) else {
            throw invalid(keys, value, "an integer or a pair of integers in \(LayerValueLimits.extentsText)")
        }
        return pair
    }

    /// One window extent or size in pixels (in ``LayerValueLimits/extents``).
    func extent(_ keys: String...) throws -> Int {
        guard let value = raw(keys) else { return try orDefault(Int?.none, keys) }
        guard let number = Self.integer(value), LayerValueLimits.extents.contains(number) else { throw invalid(keys, value, "an integer in \(LayerValueLimits.extentsText)") }
        return number
    }

    /// A convolution's `kernel_size`, or Keras 1's `nb_row` and `nb_col`.
    func kernelSize() throws -> (Int, Int) {
        has("kernel_size") ? try intPair("kernel_size") : (try extent("nb_row"), try extent("nb_col"))
    }

    /// An optional list of optional integers (shapes with `null` for unknown extents).
    func shape(_ keys: String...) throws -> [Int?]? {
        guard let value = raw(keys) else { return nil }
        guard let list = value as? [Any] else { throw invalid(keys, value, "a shape list") }
        return try list.map { item in
            if item is NSNull { return nil }
            guard let number = Self.integer(item) else { throw invalid(keys, value, "a shape list") }
            return number
        }
    }

    /// The error for a value this importer cannot run.
    func unsupported(_ detail: String) -> ModelImportError { .unsupportedConfig(layer: layer, detail: detail) }

    private func orDefault<T>(_ fallback: T?, _ keys: [String]) throws -> T {
        if let fallback { return fallback }
        throw unsupported("missing '\(keys.joined(separator: "' / '"))'")
    }

    private func invalid(_ keys: [String], _ value: Any, _ expected: String) -> ModelImportError {
        unsupported("'\(firstKey(keys) ?? keys[0])' is \(Self.describe(value)), expected \(expected)")
    }

    // MARK: JSON value helpers

    static func unwrapString(_ value: Any) -> String? {
        if let text = value as? String { return text }
        // Keras 3: {"module": "keras.activations", "class_name": "function", "config": "relu", ...}
        // or a dtype policy {"class_name": "DTypePolicy", "config": {"name": "float32"}}.
        if let object = value as? [String: Any] {
            if let inner = object["config"] as? String { return inner }
            if let inner = object["config"] as? [String: Any], let name = inner["name"] as? String { return name }
        }
        return nil
    }

    /// Whether a JSON value is `true`/`false` (Foundation boxes both booleans and numbers as NSNumber;
    /// booleans have the Objective-C type code `c`).
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func number(_ value: Any) -> Double? {
        if isBoolean(value) { return nil }
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        return nil
    }

    static func integer(_ value: Any) -> Int? {
        if isBoolean(value) { return nil }
        if let number = value as? Int { return number }
        if let number = value as? Double, number.rounded() == number, abs(number) < 1e15 { return Int(number) }
        return nil
    }

    static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let text = value as? String { return "'\(text.prefix(60))'" }
        return "\(value)".replacingOccurrences(of: "\n", with: " ").prefix(80).description
    }
}
