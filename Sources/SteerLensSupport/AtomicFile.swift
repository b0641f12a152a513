import Foundation

/// Writes files so that readers never see a half-written one: data goes to a temporary file in the
/// same directory, which is then renamed over the destination (rename is atomic on POSIX).
///
/// Atomic, not synchronous: files are not `fsync`ed one by one (Foundation's `Data.write` does, which
/// made writing 720p PNG streams wait on the disk for ~3 ms per file); the kernel writes them back as
/// usual, and a run's outputs only become visible when its staged directory is renamed into place.
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    /// - Throws: ``OutputError`` when the directory cannot be created or the write fails.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try OutputError.wrap(url.path, kind: .cannotCreateOutput) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let temporary = RunLitter.url(besides: url, role: .partial)
        do {
            try writeUnsynchronised(data, to: temporary, destination: url)
            if rename(temporary.path, url.path) != 0 {
                throw OutputError(path: url.path, kind: .ioError, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// `open` + `write` + `close` of `url`; a failure is an ``OutputError`` for `destination` (74 for a full
    /// disk or an I/O error, 73 otherwise) in the kernel's words.
    private static func writeUnsynchronised(_ data: Data, to url: URL, destination: URL) throws {
        func failure(_ code: Int32) -> OutputError {
            let kind: FailureKind = [ENOSPC, EDQUOT, EIO].contains(code) ? .ioError : .cannotCreateOutput
            return OutputError(path: destination.path, kind: kind, reason: String(cString: strerror(code)))
        }
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(errno) }
        var writeError: Int32 = 0
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    writeError = errno
                    return
                }
                offset += written
            }
        }
        if close(descriptor) != 0 && writeError == 0 && errno != EINTR { writeError = errno }
        if writeError != 0 { throw failure(writeError) }
    }

    /// A temporary path beside `url` for writers that stream into a file (e.g. an MP4 muxer);
    /// call ``commit(_:to:)`` when complete.
    public static func temporaryURL(besides url: URL) -> URL {
        RunLitter.url(besides: url, role: .partial)
    }

    /// Renames a completed temporary file into place.
    public static func commit(_ temporary: URL, to url: URL) throws {
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError(path: url.path, kind: .ioError, reason: reason)
        }
    }

    /// A short human reason for a failed file operation on `path`.
    static func reason(_ error: Error, path: String? = nil) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        // Foundation's own codes for what the kernel said, in the kernel's words.
        switch (error as? CocoaError)?.code {
        case .fileWriteOutOfSpace?: return String(cString: strerror(ENOSPC))
        case .fileWriteVolumeReadOnly?: return String(cString: strerror(EROFS))
        default: break
        }
        if let path, let blocker = nearestExistingAncestor(of: path) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: blocker, isDirectory: &isDirectory)
            if !isDirectory.boolValue { return "'\(blocker)' is a file, not a directory" }
            if !FileManager.default.isWritableFile(atPath: blocker) { return "permission denied in '\(blocker)'" }
        }
        return nsError.localizedDescription
    }

    private static func nearestExistingAncestor(of path: String) -> String? {
        var candidate = (path as NSString).deletingLastPathComponent
        while !candidate.isEmpty && candidate != "/" {
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            candidate = (candidate as NSString).deletingLastPathComponent
        }
        return nil
    }
}

/// A file or directory SteerLens was asked to write could not be written.
public struct OutputError: SteerLensError {
    public let path: String
    public let kind: FailureKind
    public let reason: String

    public init(path: String, kind: FailureKind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    public var message: String { "cannot write '\(path)': \(reason)" }
    public var hint: String { "choose an output location you can write to (--out DIR) and check free space" }

    /// Runs `body`, turning any Foundation error into an ``OutputError`` for `path`.
    public static func wrap<T>(_ path: String, kind: FailureKind, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as OutputError { throw error } catch {
            throw OutputError(path: path, kind: kind, reason: AtomicFile.reason(error, path: path))
        }
    }
}
