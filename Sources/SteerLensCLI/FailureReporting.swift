import ArgumentParser
import Foundation
import Analysis
import SteerLensSupport

/// The CLI's one choke point for failures: a ``SteerLensError`` becomes one line on stderr
/// (`steerlens: <what is wrong> (hint: <what to do>)`) and the exit code of its kind; any other error
/// is an ``UnexpectedFailure`` of `command` (exit 70), never ArgumentParser's exit 1, which means
/// "regression found" in `compare` and `check`.
func reportingFailures<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        let result = try body()
        try StandardOutput.flush()
        return result
    } catch {
        // Results already printed (predict's rows before a failure) still reach the reader.
        try? StandardOutput.flush()
        switch error {
        case let exit as ExitCode:
            throw exit
        case let interrupted as Interrupted:
            printError("steerlens: interrupted \(interrupted.progress); nothing was written (hint: run again, with --overwrite if the output exists)")
            throw ExitCode(Interrupted.exitCode)
        default:
            let failure = error as? SteerLensError ?? UnexpectedFailure(step: "running \(command)", error: error)
            printError("steerlens: \(failure.message) (hint: \(failure.hint))")
            throw ExitCode(failure.kind.exitCode)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    StandardError.line(line)
}

/// Parses flag values in `validate()`: a ``SteerLensError`` becomes ArgumentParser's usage error (exit 64)
/// with its hint in parentheses.
func validating<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as SteerLensError { throw ValidationError("\(error.message) (\(error.hint))") }
}

/// A subcommand whose `execute()` runs inside ``reportingFailures(_:_:)``, named after the command.
protocol ReportingCommand: ParsableCommand {
    func execute() throws
}

extension ReportingCommand {
    func run() throws {
        try reportingFailures(Self._commandName) { try execute() }
    }
}
