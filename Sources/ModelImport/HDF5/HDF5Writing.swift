internal import CHDF5

/// Small writing helpers, so tests and tools can make HDF5 files without a Python toolchain.
extension HDF5AttributeOwner {
    /// Writes a string attribute: a scalar variable-length string (how h5py stores `model_config`) when
    /// `strings` has one element and `fixedLength` is false, otherwise an array of fixed-length byte strings
    /// (how Keras stores `layer_names` and `weight_names`). An empty list writes an empty float64 array,
    /// as Keras does.
    func writeStringAttribute(_ name: String, _ strings: [String], fixedLength: Bool = false, utf8: Bool = false) throws {
        if strings.isEmpty {
            let space = try HDF5Dataspace(shape: [0])
            let type = try HDF5Datatype(owning: H5Tcopy(steerlens_h5t_native_double()), function: "H5Tcopy")
            _ = try HDF5Attribute(creatingOn: self, name: name, type: type, space: space)
            return
        }
        if !fixedLength && strings.count == 1 {
            let type = try HDF5Datatype.cString(size: nil, utf8: utf8)
            let attribute = try HDF5Attribute(creatingOn: self, name: name, type: type, space: try HDF5Dataspace(scalar: ()))
            try strings[0].withCString { pointer in
                var pointers: [UnsafePointer<CChar>?] = [pointer]
                try check("H5Awrite", H5Awrite(attribute.id, type.id, &pointers))
            }
            return
        }
        let encoded = strings.map { Array($0.utf8) }
        let width = max(encoded.map(\.count).max() ?? 1, 1)
        var bytes = [UInt8](repeating: 0, count: width * encoded.count)
        for (index, item) in encoded.enumerated() { bytes.replaceSubrange((index * width)..<(index * width + item.count), with: item) }
        let type = try HDF5Datatype.cString(size: width, utf8: utf8)
        try check("H5Tset_strpad", H5Tset_strpad(type.id, H5T_STR_NULLPAD))
        let attribute = try HDF5Attribute(creatingOn: self, name: name, type: type, space: try HDF5Dataspace(shape: [strings.count]))
        try check("H5Awrite", H5Awrite(attribute.id, type.id, bytes))
    }
}

extension HDF5Group {
    /// Creates a float32 dataset at `name` with `shape` and writes `values` (row-major).
    @discardableResult
    func writeDataset(_ name: String, shape: [Int], values: [Float]) throws -> HDF5Dataset {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill \(shape)")
        let type = try HDF5Datatype(owning: H5Tcopy(steerlens_h5t_native_float()), function: "H5Tcopy")
        let dataset = try HDF5Dataset(creatingIn: id, name: name, path: "\(path)/\(name)", type: type, space: try HDF5Dataspace(shape: shape))
        try dataset.write(values)
        return dataset
    }
}

/// A group of an HDF5 file being written, for the test helpers and fixture tools that make Keras-layout
/// files without Python (`@_spi(Testing) import ModelImport`: not a stable API, and no `@testable`
/// import, so release builds of every target work). The file stays open while any group of it lives.
@_spi(Testing) public final class HDF5WritableGroup {
    private let group: HDF5Group

    private init(_ group: HDF5Group) { self.group = group }

    /// Creates (truncates) the file at `path` and returns its root group.
    public static func creatingFile(at path: String) throws -> HDF5WritableGroup {
        HDF5WritableGroup(try HDF5File(creatingAt: path).rootGroup())
    }

    /// See ``HDF5AttributeOwner/writeStringAttribute(_:_:fixedLength:utf8:)``.
    public func writeStringAttribute(_ name: String, _ strings: [String], fixedLength: Bool = false, utf8: Bool = false) throws {
        try group.writeStringAttribute(name, strings, fixedLength: fixedLength, utf8: utf8)
    }

    /// A float32 dataset at `name` with `shape`, filled with `values` (row-major).
    public func writeDataset(_ name: String, shape: [Int], values: [Float]) throws {
        try group.writeDataset(name, shape: shape, values: values)
    }

    /// The subgroup `name`, created when it does not exist yet.
    public func subgroup(_ name: String) throws -> HDF5WritableGroup {
        HDF5WritableGroup(group.isGroup(name) ? try group.group(name) : try group.createGroup(name))
    }
}
