internal import CHDF5
import SteerLensSupport

/// A libhdf5 call failed: the C function's name and libhdf5's own description from its error stack.
struct HDF5Error: Error, CustomStringConvertible {
    /// The C function that returned a negative code, e.g. `H5Fopen`.
    let function: String
    /// libhdf5's innermost (most specific) error description, e.g. `truncated file: eof = 1024, ...`.
    let message: String
    /// Every description on libhdf5's error stack, outermost first (for diagnostics).
    let stack: [String]

    var description: String { message.isEmpty ? "\(function) failed" : "\(function) failed: \(message)" }

    /// True when libhdf5 reported that the file is shorter than its superblock says.
    var isTruncatedFile: Bool { stack.contains { $0.localizedCaseInsensitiveContains("truncated file") } }
}

/// The HDF5 choke point: returns `result` when it is non-negative, otherwise throws an ``HDF5Error`` carrying
/// `function` and the messages on libhdf5's error stack (which it then clears).
///
/// libhdf5 signals failure with a negative `herr_t`, `hid_t`, `htri_t` or `ssize_t`.
@discardableResult
func check<Result: BinaryInteger>(_ function: String, _ result: Result) throws -> Result {
    if result >= 0 { return result }
    throw HDF5Error(function: function, stack: HDF5Library.takeErrorStack())
}

extension HDF5Error {
    init(function: String, stack: [String]) {
        self.function = function
        self.stack = stack
        self.message = stack.last ?? ""
    }
}

/// Process-wide libhdf5 state: silenced automatic error printing and error-stack reading.
enum HDF5Library {
    /// Silences libhdf5's automatic printing of its error stack to stderr; runs once.
    static let silenced: Void = { steerlens_h5_silence_errors() }()

    /// Makes sure libhdf5 is quiet before any call.
    static func prepare() { _ = silenced }

    /// Reads the current thread's error stack (outermost call first) and clears it.
    static func takeErrorStack() -> [String] {
        let collector = HDF5StringCollector()
        let walker: H5E_walk2_t = { _, error, clientData in
            guard let error, let clientData else { return 0 }
            let collector = Unmanaged<HDF5StringCollector>.fromOpaque(clientData).takeUnretainedValue()
            var line = error.pointee.desc.map { String(cString: $0) } ?? ""
            if line.isEmpty, let minor = HDF5Library.messageText(error.pointee.min_num) { line = minor }
            if !line.isEmpty, collector.list.last != line { collector.list.append(line) }
            return 0
        }
        let stack = steerlens_h5e_default()
        _ = withExtendedLifetime(collector) {
            H5Ewalk2(stack, H5E_WALK_DOWNWARD, walker, Unmanaged.passUnretained(collector).toOpaque())
        }
        H5Eclear2(stack)
        return collector.list
    }

    /// The text of a libhdf5 error message id (H5Eget_msg).
    static func messageText(_ id: hid_t) -> String? {
        var type = H5E_MAJOR
        let length = H5Eget_msg(id, &type, nil, 0)
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        guard H5Eget_msg(id, &type, &buffer, buffer.count) > 0 else { return nil }
        return String(nulTerminated: buffer)
    }
}

/// A box for strings gathered by libhdf5 callbacks (which receive it as an opaque pointer).
final class HDF5StringCollector {
    var list: [String] = []
}
