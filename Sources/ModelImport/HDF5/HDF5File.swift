import Foundation
internal import CHDF5

/// An HDF5 file opened read-only; closes it on deinit.
///
/// Objects opened from it (groups, datasets, attributes) keep libhdf5's file open until they are released,
/// so they may outlive this handle.
final class HDF5File {
    let id: hid_t
    /// The path as given, for messages.
    let path: String

    /// The 8-byte HDF5 format signature (`\x89HDF\r\n\x1a\n`).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Opens `path` read-only (`H5F_ACC_RDONLY`).
    /// - Throws: ``HDF5Error`` from `H5Fopen` (e.g. a truncated file).
    init(readingAt path: String) throws {
        HDF5Library.prepare()
        self.path = path
        id = try check("H5Fopen", H5Fopen(path, steerlens_h5f_acc_rdonly(), steerlens_h5p_default()))
    }

    /// Creates (truncating) a new file at `path` for writing; used by test helpers and tools.
    init(creatingAt path: String) throws {
        HDF5Library.prepare()
        self.path = path
        id = try check("H5Fcreate", H5Fcreate(path, steerlens_h5f_acc_trunc(), steerlens_h5p_default(), steerlens_h5p_default()))
    }

    deinit { H5Fclose(id) }

    /// The root group `/`.
    func rootGroup() throws -> HDF5Group { try HDF5Group(openingIn: id, name: "/", path: "/") }

    /// Whether the file at `url` starts with the HDF5 signature at offset 0, 512, 1024, 2048, … (the places
    /// the HDF5 specification allows for the superblock when a user block precedes it).
    /// - Throws: the Foundation error when the file cannot be read.
    static func hasSignature(at url: URL) throws -> Bool {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        var offset: UInt64 = 0
        while offset + UInt64(signature.count) <= size {
            try handle.seek(toOffset: offset)
            if let bytes = try handle.read(upToCount: signature.count), Array(bytes) == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}
