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
    /// SteerLens itself failed in a way it does not foresee (EX_SOFTWARE): a bug to report.
    case internalError = 70

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

/// A failure SteerLens did not foresee (an error from Foundation, an encoder or a template engine),
/// named by the step that failed. Exit code 70, never 1, which means "regression found".
public struct UnexpectedFailure: SteerLensError {
    /// What SteerLens was doing, e.g. `writing run.json`.
    public let step: String
    /// The underlying error's own description.
    public let detail: String

    public init(step: String, error: Error) {
        self.step = step
        detail = String(describing: error).replacingOccurrences(of: "\n", with: " ")
    }

    public var kind: FailureKind { .internalError }
    public var message: String { "unexpected failure while \(step): \(detail)" }
    public var hint: String { "this is a SteerLens bug: please report it with the command line; nothing was written" }
}

/// Runs `body`, turning any error that is not a ``SteerLensError`` into an ``UnexpectedFailure``
/// that names `step`.
public func during<T>(_ step: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as SteerLensError {
        throw error
    } catch {
        throw UnexpectedFailure(step: step(), error: error)
    }
}
