internal import CHDF5

/// An open HDF5 attribute; closes it on deinit.
///
/// Keras stores its metadata as attributes: `model_config` / `keras_version` as scalar strings
/// (variable-length, sometimes UTF-8), `layer_names` / `weight_names` as arrays of fixed-length byte strings,
/// and an empty `weight_names` as an empty float64 array.
final class HDF5Attribute {
    let id: hid_t
    /// `<object path>@<attribute name>`, for messages.
    let path: String

    init(openingOn owner: HDF5AttributeOwner, name: String) throws {
        path = "\(owner.path)@\(name)"
        id = try check("H5Aopen", H5Aopen(owner.id, name, steerlens_h5p_default()))
    }

    init(creatingOn owner: HDF5AttributeOwner, name: String, type: HDF5Datatype, space: HDF5Dataspace) throws {
        path = "\(owner.path)@\(name)"
        id = try check("H5Acreate2", H5Acreate2(owner.id, name, type.id, space.id, steerlens_h5p_default(), steerlens_h5p_default()))
    }

    deinit { H5Aclose(id) }

    func datatype() throws -> HDF5Datatype { try HDF5Datatype(owning: H5Aget_type(id), function: "H5Aget_type") }
    func dataspace() throws -> HDF5Dataspace { try HDF5Dataspace(owning: H5Aget_space(id), function: "H5Aget_space") }

    /// The attribute's strings: one for a scalar, n for an array. An empty numeric array (how Keras writes an
    /// empty `weight_names`) reads as `[]`.
    /// - Throws: ``HDF5Error`` when the attribute holds non-empty non-string data or libhdf5 fails.
    func readStrings() throws -> [String] {
        let type = try datatype()
        let count = try dataspace().elementCount()
        if count == 0 { return [] }
        guard type.typeClass == H5T_STRING else {
            throw HDF5Error(function: "H5Aread", stack: ["attribute \(path) holds \(type.className) data, expected strings"])
        }
        if try type.isVariableString() {
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try check("H5Aread", H5Aread(id, type.id, &pointers))
            defer { for pointer in pointers where pointer != nil { H5free_memory(pointer) } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        let width = try type.size()
        var bytes = [UInt8](repeating: 0, count: width * count)
        try check("H5Aread", H5Aread(id, type.id, &bytes))
        let padding: UInt8 = type.isSpacePadded ? 0x20 : 0
        return (0..<count).map { index in
            var item = bytes[(index * width)..<((index + 1) * width)]
            if let end = item.firstIndex(of: 0) { item = item[..<end] }
            while padding != 0, item.last == padding { item = item.dropLast() }
            return HDF5Attribute.decode(item)
        }
    }

    /// The attribute's numbers converted to Double (integer or float attributes).
    func readNumbers() throws -> [Double] {
        let type = try datatype()
        let count = try dataspace().elementCount()
        if count == 0 { return [] }
        guard type.typeClass == H5T_INTEGER || type.typeClass == H5T_FLOAT else {
            throw HDF5Error(function: "H5Aread", stack: ["attribute \(path) holds \(type.className) data, expected numbers"])
        }
        var values = [Double](repeating: 0, count: count)
        try check("H5Aread", H5Aread(id, steerlens_h5t_native_double(), &values))
        return values
    }

    /// UTF-8 when valid, else Latin-1 (every byte is a code point), so no string is ever lost.
    static func decode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}

extension HDF5AttributeOwner {
    /// Whether an attribute called `name` exists on this object.
    func hasAttribute(_ name: String) -> Bool {
        let exists = H5Aexists(id, name)
        if exists < 0 { _ = HDF5Library.takeErrorStack() }
        return exists > 0
    }

    /// Opens the attribute `name`.
    func attribute(_ name: String) throws -> HDF5Attribute { try HDF5Attribute(openingOn: self, name: name) }

    /// The strings of attribute `name` (see ``HDF5Attribute/readStrings()``).
    func stringsAttribute(_ name: String) throws -> [String] { try attribute(name).readStrings() }

    /// The single string of attribute `name`, or nil when the attribute does not exist.
    /// - Throws: when it exists but is not exactly one string.
    func stringAttribute(_ name: String) throws -> String? {
        guard hasAttribute(name) else { return nil }
        let strings = try stringsAttribute(name)
        guard strings.count == 1 else {
            throw HDF5Error(function: "H5Aread", stack: ["attribute \(path)@\(name) holds \(strings.count) strings, expected one"])
        }
        return strings[0]
    }

    /// The names of all attributes on this object, in creation/name order.
    func attributeNames() throws -> [String] {
        let names = HDF5StringCollector()
        let visit: H5A_operator2_t = { _, name, _, data in
            guard let name, let data else { return 0 }
            Unmanaged<HDF5StringCollector>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
            return 0
        }
        _ = try withExtendedLifetime(names) {
            try check("H5Aiterate2", H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, nil, visit, Unmanaged.passUnretained(names).toOpaque()))
        }
        return names.list
    }
}
