internal import CHDF5
import SteerLensSupport

/// Something attributes hang on: a group, a dataset, or a file's root.
protocol HDF5AttributeOwner: AnyObject {
    var id: hid_t { get }
    /// The object's path in the file, for messages.
    var path: String { get }
}

/// An open HDF5 group; closes it on deinit.
final class HDF5Group: HDF5AttributeOwner {
    let id: hid_t
    let path: String

    /// Opens the group `name` (a relative path may contain `/`) under the object `parent`.
    init(openingIn parent: hid_t, name: String, path: String) throws {
        self.path = path
        id = try check("H5Gopen2", H5Gopen2(parent, name, steerlens_h5p_default()))
    }

    /// Creates the group `name` under `parent` (writing helpers).
    init(creatingIn parent: hid_t, name: String, path: String) throws {
        self.path = path
        let p = steerlens_h5p_default()
        id = try check("H5Gcreate2", H5Gcreate2(parent, name, p, p, p))
    }

    deinit { H5Gclose(id) }

    /// The names of the group's direct children (groups, datasets, other links), in name order.
    func childNames() throws -> [String] {
        var info = H5G_info_t()
        try check("H5Gget_info", H5Gget_info(id, &info))
        var names: [String] = []
        names.reserveCapacity(Int(info.nlinks))
        for index in 0..<info.nlinks {
            let length = try check("H5Lget_name_by_idx",
                                   H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, steerlens_h5p_default()))
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            try check("H5Lget_name_by_idx",
                      H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, steerlens_h5p_default()))
            names.append(String(nulTerminated: buffer))
        }
        return names
    }

    /// Whether the relative path `name` (components separated by `/`) leads to an existing object.
    func contains(_ name: String) -> Bool {
        var prefix = ""
        for component in name.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += prefix.isEmpty ? String(component) : "/\(component)"
            guard H5Lexists(id, prefix, steerlens_h5p_default()) > 0 else {
                _ = HDF5Library.takeErrorStack()
                return false
            }
        }
        return !prefix.isEmpty && H5Oexists_by_name(id, prefix, steerlens_h5p_default()) > 0
    }

    /// Whether the child at the relative path `name` is a group (false for datasets or missing links).
    func isGroup(_ name: String) -> Bool {
        guard contains(name) else { return false }
        let object = H5Oopen(id, name, steerlens_h5p_default())
        guard object >= 0 else { _ = HDF5Library.takeErrorStack(); return false }
        defer { H5Oclose(object) }
        return H5Iget_type(object) == H5I_GROUP
    }

    /// Opens the subgroup at the relative path `name`.
    func group(_ name: String) throws -> HDF5Group {
        try HDF5Group(openingIn: id, name: name, path: joined(name))
    }

    /// Opens the dataset at the relative path `name`.
    func dataset(_ name: String) throws -> HDF5Dataset {
        try HDF5Dataset(openingIn: id, name: name, path: joined(name))
    }

    /// Creates a subgroup (writing helpers).
    func createGroup(_ name: String) throws -> HDF5Group {
        try HDF5Group(creatingIn: id, name: name, path: joined(name))
    }

    private func joined(_ name: String) -> String { path.hasSuffix("/") ? path + name : "\(path)/\(name)" }
}
