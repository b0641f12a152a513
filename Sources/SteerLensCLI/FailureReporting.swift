import ArgumentParser
import Foundation
import SteerLensSupport

/// The CLI's one choke point for failures: a ``SteerLensError`` becomes one line on stderr
/// (`steerlens: <what is wrong> (hint: <what to do>)`) and the exit code of its kind.
func reportingFailures<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as SteerLensError {
        printError("steerlens: \(error.message) (hint: \(error.hint))")
        throw ExitCode(error.kind.exitCode)
    } catch let interrupted as Interrupted {
        printError("steerlens: interrupted \(interrupted.progress); nothing was written (hint: run again, with --overwrite if the output exists)")
        throw ExitCode(130)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Usage errors found after parsing (exit 64).
struct UsageError: SteerLensError {
    let message: String
    let hint: String
    var kind: FailureKind { .usage }
}
