internal import CHDF5

/// An HDF5 datatype; closes it on deinit.
final class HDF5Datatype {
    let id: hid_t

    /// Takes ownership of an id returned by `H5Dget_type`, `H5Aget_type` or `H5Tcopy`.
    init(owning id: hid_t, function: String) throws {
        self.id = try check(function, id)
    }

    deinit { H5Tclose(id) }

    /// A C string type: variable-length when `size` is nil, otherwise fixed-length `size` bytes.
    static func cString(size: Int?, utf8: Bool = false) throws -> HDF5Datatype {
        let type = try HDF5Datatype(owning: H5Tcopy(steerlens_h5t_c_s1()), function: "H5Tcopy")
        try check("H5Tset_size", H5Tset_size(type.id, size.map { Swift.max($0, 1) } ?? steerlens_h5t_variable()))
        if utf8 { try check("H5Tset_cset", H5Tset_cset(type.id, H5T_CSET_UTF8)) }
        return type
    }

    /// The type class: integer, float, string, …
    var typeClass: H5T_class_t { H5Tget_class(id) }

    /// The size of one element in bytes (for a variable-length string: the size of a pointer).
    func size() throws -> Int {
        let size = H5Tget_size(id)
        if size == 0 { throw HDF5Error(function: "H5Tget_size", stack: HDF5Library.takeErrorStack()) }
        return size
    }

    /// Whether this is a variable-length string type.
    func isVariableString() throws -> Bool { try check("H5Tis_variable_str", H5Tis_variable_str(id)) > 0 }

    /// Whether the string padding is spaces (Fortran style) rather than NULs.
    var isSpacePadded: Bool { H5Tget_strpad(id) == H5T_STR_SPACEPAD }

    /// Whether the type stores big-endian numbers.
    var isBigEndian: Bool { H5Tget_order(id) == H5T_ORDER_BE }

    /// A readable name of the class, for messages.
    var className: String {
        switch typeClass {
        case H5T_INTEGER: "integer"
        case H5T_FLOAT: "float"
        case H5T_STRING: "string"
        case H5T_COMPOUND: "compound"
        case H5T_ENUM: "enum"
        case H5T_VLEN: "vlen"
        case H5T_ARRAY: "array"
        case H5T_OPAQUE: "opaque"
        case H5T_BITFIELD: "bitfield"
        case H5T_REFERENCE: "reference"
        default: "unknown"
        }
    }
}
