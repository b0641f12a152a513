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
        RunLitter.clean(besides: destination)
        let staging = RunLitter.url(besides: destination, role: .partial)
        try? fileManager.removeItem(at: staging)
        try OutputError.wrap(destination.path, kind: .cannotCreateOutput) {
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        }
        return staging
    }

    /// Moves a completed staging directory into place, replacing what was there.
    ///
    /// Earlier results are renamed aside first and deleted only after the new ones are in place, so a
    /// run killed between the two renames loses nothing: the next run puts them back
    /// (``RunLitter/clean(besides:)``).
    public static func commit(_ staging: URL, to destination: URL) throws {
        let fileManager = FileManager.default
        let replaced = RunLitter.url(besides: destination, role: .replaced)
        let hadResults = fileManager.fileExists(atPath: destination.path)
        if hadResults, rename(destination.path, replaced.path) != 0 {
            throw OutputError(path: destination.path, kind: .ioError, reason: String(cString: strerror(errno)))
        }
        if rename(staging.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            if hadResults { _ = rename(replaced.path, destination.path) }
            throw OutputError(path: destination.path, kind: .ioError, reason: reason)
        }
        if hadResults { try? fileManager.removeItem(at: replaced) }
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

/// The hidden siblings a run keeps beside its output while it works: `.NAME.partial-PID` (a staging
/// directory or temporary file) and `.NAME.replaced-PID` (earlier results while they are replaced).
/// A run that was killed (SIGKILL, power loss) leaves them behind; the next run that writes the same
/// output directory removes them, and puts replaced results back when the new ones never arrived.
public enum RunLitter {
    public enum Role: String { case partial, replaced }

    /// This process's sibling of `url` in `role`.
    public static func url(besides url: URL, role: Role) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(role.rawValue)-\(getpid())")
    }

    /// Removes the litter of dead runs beside `url`, restoring replaced results if `url` is missing.
    public static func clean(besides url: URL) {
        let fileManager = FileManager.default
        let folder = url.deletingLastPathComponent()
        guard let names = try? fileManager.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names {
            guard let (role, pid) = parse(name, owner: url.lastPathComponent), !isAlive(pid) else { continue }
            let litter = folder.appendingPathComponent(name)
            if role == .replaced, !fileManager.fileExists(atPath: url.path), rename(litter.path, url.path) == 0 { continue }
            try? fileManager.removeItem(at: litter)
        }
    }

    private static func parse(_ name: String, owner: String) -> (Role, pid_t)? {
        for role in [Role.partial, .replaced] {
            let prefix = ".\(owner).\(role.rawValue)-"
            if name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count)) { return (role, pid) }
        }
        return nil
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }
}
