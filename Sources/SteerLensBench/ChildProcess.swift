import Foundation

/// Runs the helper programs the benchmarks compare against (Python peers, `steerlens --help`, the
/// decode child) and returns what they print on standard output.
enum ChildProcess {
    /// `executable arguments…`'s standard output (standard error discarded) and exit status, or `nil` when
    /// it cannot be started.
    static func output(_ executable: URL, _ arguments: [String]) -> (text: String, status: Int32)? {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (text, process.terminationStatus)
    }

    /// Runs `executable arguments…` with its output discarded and waits for it (posix_spawn, waitpid: no
    /// run-loop polling, so short runs can be timed); throws unless it exits with 0.
    static func run(_ executable: URL, _ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t(), status: Int32 = 0
        guard posix_spawn(&pid, executable.path, &actions, nil, argv, environ) == 0, waitpid(pid, &status, 0) == pid, status == 0 else {
            throw BenchError("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed")
        }
    }

    /// A Python peer script of `Benchmarks/peers` run with `python3`.
    static func peer(_ script: String, _ arguments: [String]) -> (text: String, status: Int32)? {
        output(URL(fileURLWithPath: "/usr/bin/env"),
               ["python3", AnalyzeBenchmark.repository.appendingPathComponent("Benchmarks/peers/\(script)").path] + arguments)
    }

    /// The rate a peer prints last, as `… name=VALUE`.
    static func lastValue(in text: String) -> Double? {
        text.split(separator: " ").last.flatMap { Double($0.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") }
    }
}
