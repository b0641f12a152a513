import Foundation

/// Output directories that appear complete or not at all: a run writes into a staging directory beside
/// the destination and renames it into place when everything is written.
public enum OutputDirectory {
    /// Checks that `destination` may be written (absent, empty, or `overwrite`) and creates a fresh
    /// staging directory beside it.
    /// - Throws: ``OutputError`` (`.usage` when it exists and is not empty without `overwrite`,
    ///   `.cannotCreateOutput` when the parent cannot be written).
    public static func stage(_ destination: URL, overwrite: Bool) throws -> URL {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw OutputError(path: destination.path, kind: .cannotCreateOutput, reason: "a file with that name exists")
            }
            let contents = (try? fileManager.contentsOfDirectory(atPath: destination.path)) ?? []
            if !contents.isEmpty && !overwrite {
                throw RefusedOverwrite(path: destination.path)
            }
        }
        let staging = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())")
        try? fileManager.removeItem(at: staging)
        try OutputError.wrap(destination.path, kind: .cannotCreateOutput) {
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        }
        return staging
    }

    /// Moves a completed staging directory into place, replacing what was there.
    public static func commit(_ staging: URL, to destination: URL) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: destination.path) {
            try OutputError.wrap(destination.path, kind: .ioError) { try fileManager.removeItem(at: destination) }
        }
        if rename(staging.path, destination.path) != 0 {
            throw OutputError(path: destination.path, kind: .ioError, reason: String(cString: strerror(errno)))
        }
    }

    /// Stages `destination`, runs `body` to fill the staging directory, and moves it into place only
    /// when `body` succeeds; on any error (or interruption) the staging directory is removed.
    public static func produce<T>(_ destination: URL, overwrite: Bool, _ body: (URL) throws -> T) throws -> T {
        let staging = try stage(destination, overwrite: overwrite)
        do {
            let result = try body(staging)
            try commit(staging, to: destination)
            return result
        } catch {
            discard(staging)
            throw error
        }
    }

    /// Removes a staging directory after a failure.
    public static func discard(_ staging: URL) {
        try? FileManager.default.removeItem(at: staging)
    }
}

/// The output directory exists and holds files; SteerLens does not overwrite without being asked.
public struct RefusedOverwrite: SteerLensError {
    public let path: String
    public var kind: FailureKind { .cannotCreateOutput }
    public var message: String { "output directory '\(path)' is not empty" }
    public var hint: String { "pass --overwrite to replace it, or choose another --out" }
}
