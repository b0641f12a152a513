/// What went wrong, in the categories the CLI turns into exit codes (sysexits spirit).
///
/// Every module's error enum conforms to ``SteerLensError`` and names one of these, so the CLI has one
/// choke point that maps failures to exit codes.
public enum FailureKind: Int32, Sendable, CaseIterable {
    /// Wrong flags or arguments (EX_USAGE).
    case usage = 64
    /// The input exists but its content is wrong: not a video, corrupt, unsupported codec, bad model (EX_DATAERR).
    case badInput = 65
    /// The input is missing or cannot be opened (EX_NOINPUT).
    case missingInput = 66
    /// An output file or directory cannot be created (EX_CANTCREAT).
    case cannotCreateOutput = 73
    /// Writing failed part-way (EX_IOERR).
    case ioError = 74

    /// The process exit code for this kind of failure.
    public var exitCode: Int32 { rawValue }
}

/// An error a user can act on: a one-line description of what is wrong and a hint on what to do.
public protocol SteerLensError: Error, CustomStringConvertible {
    /// The category that decides the exit code.
    var kind: FailureKind { get }
    /// What is wrong, in one line, naming the file/layer/value involved.
    var message: String { get }
    /// What to do about it, in one line.
    var hint: String { get }
}

extension SteerLensError {
    public var description: String { "\(message) (\(hint))" }
}
