internal import CHDF5

/// An open HDF5 dataset; closes it on deinit.
final class HDF5Dataset: HDF5AttributeOwner {
    let id: hid_t
    let path: String

    init(openingIn parent: hid_t, name: String, path: String) throws {
        self.path = path
        id = try check("H5Dopen2", H5Dopen2(parent, name, steerlens_h5p_default()))
    }

    init(creatingIn parent: hid_t, name: String, path: String, type: HDF5Datatype, space: HDF5Dataspace) throws {
        self.path = path
        let p = steerlens_h5p_default()
        id = try check("H5Dcreate2", H5Dcreate2(parent, name, type.id, space.id, p, p, p))
    }

    deinit { H5Dclose(id) }

    func datatype() throws -> HDF5Datatype { try HDF5Datatype(owning: H5Dget_type(id), function: "H5Dget_type") }
    func dataspace() throws -> HDF5Dataspace { try HDF5Dataspace(owning: H5Dget_space(id), function: "H5Dget_space") }

    /// The extents, outermost first (`[]` for a scalar).
    func shape() throws -> [Int] { try dataspace().shape() }

    /// All elements in row-major order as Float32, converting from float16, float32 or float64 storage
    /// (and integers, through libhdf5's conversion).
    /// - Throws: ``HDF5Error`` for other element types or when libhdf5 fails (e.g. data past a truncated end).
    func readFloats() throws -> [Float] {
        let type = try datatype()
        let count = try dataspace().elementCount()
        if count == 0 { return [] }
        let all = steerlens_h5s_all()
        switch type.typeClass {
        case H5T_FLOAT where try type.size() == 2:
            // libhdf5 1.10 has no native half type: read the raw IEEE binary16 bits and widen them here.
            var bits = [UInt16](repeating: 0, count: count)
            try check("H5Dread", H5Dread(id, type.id, all, all, steerlens_h5p_default(), &bits))
            if type.isBigEndian { bits = bits.map { $0.byteSwapped } }
            return bits.map(Self.floatFromHalf)
        case H5T_FLOAT where try type.size() == 8:
            var values = [Double](repeating: 0, count: count)
            try check("H5Dread", H5Dread(id, steerlens_h5t_native_double(), all, all, steerlens_h5p_default(), &values))
            return values.map { Float($0) }
        case H5T_FLOAT, H5T_INTEGER:
            var values = [Float](repeating: 0, count: count)
            try check("H5Dread", H5Dread(id, steerlens_h5t_native_float(), all, all, steerlens_h5p_default(), &values))
            return values
        default:
            throw HDF5Error(function: "H5Dread", stack: ["dataset \(path) holds \(type.className) data, expected floats"])
        }
    }

    /// Writes all elements as float32 (writing helpers).
    func write(_ values: [Float]) throws {
        let all = steerlens_h5s_all()
        try check("H5Dwrite", H5Dwrite(id, steerlens_h5t_native_float(), all, all, steerlens_h5p_default(), values))
    }

    /// IEEE 754 binary16 → binary32, exact (every half value is representable), including subnormals,
    /// infinities and NaN.
    static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
        }
    }
}
