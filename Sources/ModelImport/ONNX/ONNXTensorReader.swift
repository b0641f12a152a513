import Foundation

/// Reads ONNX `TensorProto`s (initializers, `Constant` values, attribute tensors) into ``ONNXConstant``s:
/// `raw_data` (little-endian), the typed fields (`float_data`, `int32_data`, `int64_data`,
/// `double_data`, `uint64_data`) and external data files (`data_location = EXTERNAL`, keys `location`,
/// `offset`, `length`) that must lie inside the model's folder.
/// See https://onnx.ai/onnx/repo-docs/ExternalData.html.
struct ONNXTensorReader {
    /// The model file, for messages.
    let modelPath: String
    /// The folder external data paths are relative to (the model's folder).
    let folder: URL

    /// ONNX `TensorProto.DataType` codes this reader accepts and their sizes in bytes.
    private static let elementSizes: [Int32: Int] = [1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2]
    private static let integerTypes: Set<Int32> = [2, 3, 4, 5, 6, 7, 9, 12, 13]

    func read(_ tensor: Onnx_TensorProto) throws -> ONNXConstant {
        let name = tensor.name.isEmpty ? "(unnamed tensor)" : tensor.name
        guard tensor.dims.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw invalid("tensor '\(name)' has dims \(tensor.dims)") }
        let shape = tensor.dims.map { Int($0) }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, count <= 1 << 30 else { throw invalid("tensor '\(name)' with dims \(shape) is too large") }
        guard let size = Self.elementSizes[tensor.dataType] else { throw invalid("tensor '\(name)' has data type \(tensor.dataType), which SteerLens cannot read") }
        let isInteger = Self.integerTypes.contains(tensor.dataType)
        let values: [Double]
        if tensor.dataLocation == .external {
            values = try decode(try externalBytes(tensor, name: name), type: tensor.dataType, size: size, count: count, name: name)
        } else if !tensor.rawData.isEmpty {
            values = try decode(tensor.rawData, type: tensor.dataType, size: size, count: count, name: name)
        } else {
            switch tensor.dataType {
            case 1: values = tensor.floatData.map(Double.init)
            case 11: values = tensor.doubleData.map { $0 }
            case 7: values = tensor.int64Data.map(Double.init)
            case 12, 13: values = tensor.uint64Data.map(Double.init)
            case 10: values = tensor.int32Data.map { Self.half(UInt16(truncatingIfNeeded: $0)) }
            case 16: values = tensor.int32Data.map { Double(Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16)) }
            default: values = tensor.int32Data.map(Double.init)
            }
        }
        guard values.count == count else { throw invalid("tensor '\(name)' holds \(values.count) values for dims \(shape)") }
        return ONNXConstant(shape: shape, values: values, isInteger: isInteger)
    }

    private func decode(_ data: Data, type: Int32, size: Int, count: Int, name: String) throws -> [Double] {
        guard data.count == count * size else { throw invalid("tensor '\(name)' has \(data.count) bytes of data, \(count) values of \(size) bytes expected") }
        let bytes = [UInt8](data)
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in 0..<size { value |= UInt64(bytes[index * size + byte]) << (8 * byte) }
            return value
        }
        return (0..<count).map { index in
            let bits = word(index)
            switch type {
            case 1: return Double(Float(bitPattern: UInt32(bits)))
            case 11: return Double(bitPattern: bits)
            case 10: return Self.half(UInt16(truncatingIfNeeded: bits))
            case 16: return Double(Float(bitPattern: UInt32(bits) << 16))
            case 3: return Double(Int8(truncatingIfNeeded: bits))
            case 5: return Double(Int16(truncatingIfNeeded: bits))
            case 6: return Double(Int32(truncatingIfNeeded: bits))
            case 7: return Double(Int64(bitPattern: bits))
            default: return Double(bits)
            }
        }
    }

    /// The bytes of an external tensor, from a file inside the model's folder.
    private func externalBytes(_ tensor: Onnx_TensorProto, name: String) throws -> Data {
        var entries: [String: String] = [:]
        for entry in tensor.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else { throw invalid("external tensor '\(name)' has no location") }
        let offset = Int(entries["offset"] ?? "0"), length = entries["length"].map { Int($0) }
        guard let offset, offset >= 0, length.map({ ($0 ?? -1) >= 0 }) ?? true else { throw invalid("external tensor '\(name)' has a bad offset/length") }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw invalid("external tensor '\(name)' points outside the model's folder ('\(location)')")
        }
        let root = folder.resolvingSymlinksInPath().standardizedFileURL.path
        let file = folder.appendingPathComponent(location).resolvingSymlinksInPath().standardizedFileURL
        guard file.path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw invalid("external tensor '\(name)' points outside the model's folder ('\(location)')")
        }
        guard let handle = try? FileHandle(forReadingFrom: file) else {
            throw ModelImportError.fileNotFound(path: file.path)
        }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try (length ?? nil).map { try handle.read(upToCount: $0) ?? Data() } ?? handle.readToEnd() ?? Data()
            if let expected = length ?? nil, data.count != expected {
                throw invalid("external tensor '\(name)': '\(location)' ends before offset \(offset) + length \(expected)")
            }
            return data
        } catch let error as ModelImportError {
            throw error
        } catch {
            throw ModelImportError.unreadable(path: file.path, reason: error.localizedDescription)
        }
    }

    /// IEEE 754 binary16 → Double (Float16 is unavailable on some platforms Swift supports).
    static func half(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    private func invalid(_ detail: String) -> ModelImportError { .invalidONNX(path: modelPath, detail: detail) }
}
