internal import CHDF5

/// An HDF5 dataspace (the extent of a dataset or attribute); closes it on deinit.
final class HDF5Dataspace {
    let id: hid_t

    /// Takes ownership of an id returned by `H5Dget_space`, `H5Aget_space` or `H5Screate*`.
    init(owning id: hid_t, function: String) throws {
        self.id = try check(function, id)
    }

    /// A scalar dataspace (one element).
    convenience init(scalar: Void) throws {
        try self.init(owning: H5Screate(H5S_SCALAR), function: "H5Screate")
    }

    /// A simple dataspace with the given extents.
    convenience init(shape: [Int]) throws {
        let dims = shape.map { hsize_t($0) }
        try self.init(owning: H5Screate_simple(Int32(dims.count), dims, nil), function: "H5Screate_simple")
    }

    deinit { H5Sclose(id) }

    /// The extents, outermost first: `[]` for a scalar, `[0]` for a null (empty) dataspace.
    func shape() throws -> [Int] {
        let kind = H5Sget_simple_extent_type(id)
        if kind == H5S_NULL { return [0] }
        if kind == H5S_SCALAR { return [] }
        let rank = try check("H5Sget_simple_extent_ndims", H5Sget_simple_extent_ndims(id))
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try check("H5Sget_simple_extent_dims", H5Sget_simple_extent_dims(id, &dims, nil))
        return dims.map { Int($0) }
    }

    /// The number of elements (1 for a scalar, 0 for a null dataspace).
    func elementCount() throws -> Int { try shape().reduce(1, *) }
}
