import Foundation

/// The bytes libFuzzer hands a harness, and a scratch file to put them in for file-based readers.
public enum FuzzInput {
    /// The input as an array (copied: the harness may keep it beyond the call).
    public static func bytes(_ start: UnsafeRawPointer?, _ count: Int) -> [UInt8] {
        guard let start, count > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    }

    /// Writes `bytes` to a per-process scratch file named `name` and returns its path.
    public static func file(_ bytes: some Collection<UInt8>, named name: String) -> String {
        let path = NSTemporaryDirectory() + "steerlens-fuzz-\(getpid())-\(name)"
        // A harness that could not write its input would fuzz the missing-file error instead: stop loudly.
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write the fuzz input \(path)")
        return path
    }
}
