import Foundation
import TestSupport
import XCTest

/// The README's transcripts (` ```text ` blocks of `$ steerlens …` commands and their output) are re-run
/// with the built binary and must still print what the README says, so the README cannot drift from
/// the program.
///
/// How a block is run: in a scratch folder that links `Datasets/`, `Tests/` and every file of `../shared/data`
/// under its bare name (the README names shared files that way); `/tmp/…` outputs go to the scratch
/// folder. Timing figures (`in 12.6 s (106.7 frames/s`, also `transformed frames/s`) are compared as `#`; `…` in the README stands
/// for omitted lines (then the shown lines must all appear), otherwise the output lines must be exactly
/// the shown ones (stdout and stderr together, in any order: the two streams interleave freely).
/// `echo $?` checks the previous exit status, `ls DIR` the entries of a written folder.
///
/// Not run here: blocks that `cd` or `make` (they depend on state set up outside the transcript) or
/// whose inputs are not in the repository or the shared data, and — in this debug build, where they
/// take minutes — commands that analyse whole clips (`analyze`, `compare`, `check`). `make
/// readme-check` runs every block, those included, with the release binary.
final class ReadmeTranscriptTests: XCTestCase {
    static let expensiveCommands: Set<String> = ["analyze", "compare", "check", "stress", "sanity"]

    func testReadmeTranscriptsMatchTheBinary() throws {
        let readme = try String(contentsOf: TestPaths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let environment = ProcessInfo.processInfo.environment
        let binary = environment["STEERLENS_README_BINARY"] ?? SteerLensBinary.url.path
        let runsEverything = environment["STEERLENS_README_ALL"] == "1"
        var checked: [String] = [], skipped: [String] = []
        for block in Transcript.blocks(in: readme) {
            if let reason = block.reasonNotToRun(runsEverything: runsEverything, expensive: Self.expensiveCommands) {
                skipped.append("\(block.commands.first?.line ?? "?"): \(reason)")
                continue
            }
            let scratch = try Transcript.scratchFolder()
            defer { try? FileManager.default.removeItem(at: scratch) }
            var lastStatus: Int32 = 0
            for command in block.commands {
                let actual: [String]
                switch command.words.first {
                case "steerlens":
                    let arguments = command.words.dropFirst().map { $0.hasPrefix("/tmp/") ? "tmp/" + $0.dropFirst(5) : $0 }
                    let result = try Command.run(binary, Array(arguments), environment: ["COLUMNS": "80", "PATH": "/usr/bin:/bin"], directory: scratch)
                    lastStatus = result.status
                    // Paths as the README's reader sees them: relative to where they ran, outputs under /tmp.
                    actual = (result.stdout + "\n" + result.stderr).split(separator: "\n").map {
                        String($0).replacingOccurrences(of: scratch.resolvingSymlinksInPath().path + "/", with: "")
                            .replacingOccurrences(of: scratch.path + "/", with: "")
                            .replacingOccurrences(of: #"(^|[ (])tmp/"#, with: "$1/tmp/", options: .regularExpression)
                    }
                case "echo":
                    actual = [String(lastStatus)]
                default: // ls
                    actual = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent(command.words[1]).path).sorted()
                }
                let expected = command.words.first == "ls" ? command.output.flatMap { $0.split(separator: " ").map(String.init) } : command.output
                if let problem = Transcript.mismatch(expected: expected, actual: actual) {
                    XCTFail("README transcript `\(command.line)`: \(problem)")
                }
                checked.append(command.line)
            }
        }
        print("README transcripts: \(checked.count) commands checked; not run here:\n  " + skipped.joined(separator: "\n  "))
        // The README has help, probe, frames, inspect and predict transcripts: a parser that finds
        // fewer has broken, and must not pass silently.
        XCTAssertGreaterThanOrEqual(checked.count, 5, "checked: \(checked)")
    }

    func testTheComparisonAllowsOnlyTimingAndElision() {
        XCTAssertNil(Transcript.mismatch(expected: ["a", "…", "c"], actual: ["a", "b", "x", "c"]))
        XCTAssertNil(Transcript.mismatch(expected: ["done in 1.5 s (2.0 frames/s, x)"], actual: ["done in 9 s (30.25 frames/s, x)"]))
        XCTAssertNil(Transcript.mismatch(expected: ["stressed a.mp4: 9450 transformed frames in 83.1 s (114 transformed frames/s)"],
                                         actual: ["stressed a.mp4: 9450 transformed frames in 7.8 s (1218 transformed frames/s)"]))
        XCTAssertNotNil(Transcript.mismatch(expected: ["stressed a.mp4: 9450 transformed frames in 83.1 s (114 transformed frames/s)"],
                                            actual: ["stressed a.mp4: 9451 transformed frames in 7.8 s (1218 transformed frames/s)"]))
        XCTAssertNotNil(Transcript.mismatch(expected: ["a", "c"], actual: ["a", "b", "c"]))
        XCTAssertNotNil(Transcript.mismatch(expected: ["a", "…", "d"], actual: ["a", "b", "c"]))
        XCTAssertNotNil(Transcript.mismatch(expected: ["frames: 10"], actual: ["frames: 11"]))
        XCTAssertNil(Transcript.mismatch(expected: ["0,0.000000,0.557294428"], actual: ["0,0.000000,0.557294431"]))
        XCTAssertNotNil(Transcript.mismatch(expected: ["0,0.000000,0.5572"], actual: ["0,0.000000,0.557294428"]))
    }
}

/// README transcript blocks, parsed.
enum Transcript {
    struct Command {
        /// The command as written after `$ ` (continuation lines joined).
        var line: String
        var words: [String] { line.split(separator: " ").map(String.init) }
        /// The lines the README shows after it.
        var output: [String] = []
    }

    struct Block {
        var commands: [Command]

        func reasonNotToRun(runsEverything: Bool, expensive: Set<String>) -> String? {
            for command in commands {
                let words = command.words
                switch words.first {
                case "steerlens":
                    if !runsEverything, let subcommand = words.dropFirst().first, expensive.contains(subcommand) {
                        return "`steerlens \(subcommand)` takes minutes in a debug build (make readme-check runs it)"
                    }
                    let outputs = Set(zip(words, words.dropFirst()).filter { ["--out", "--junit"].contains($0.0) }.map(\.1))
                    for word in words.dropFirst() where !word.hasPrefix("-") && !outputs.contains(word)
                        && word.range(of: #"\.[A-Za-z][A-Za-z0-9]*$"#, options: .regularExpression) != nil {
                        if !FileManager.default.fileExists(atPath: TestPaths.repository.appendingPathComponent(word).path)
                            && !FileManager.default.fileExists(atPath: sharedFile(word).path) {
                            return "its input \(word) is neither in the repository nor in ../shared/data"
                        }
                    }
                case "echo" where words.count == 2 && words[1] == "$?", "ls" where words.count == 2:
                    continue
                default:
                    return "`\(words.first ?? "")` depends on state outside the transcript"
                }
            }
            return nil
        }
    }

    /// Every ` ```text ` block whose first line is a `$ ` command.
    static func blocks(in markdown: String) -> [Block] {
        var blocks: [Block] = [], current: [Command]?, continuing = false
        /// Adds a command's text, joining a line that ends in `\` with the next.
        func addCommandText(_ text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            continuing = trimmed.hasSuffix("\\")
            let words = continuing ? String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces) : trimmed
            let last = current!.count - 1
            current![last].line = current![last].line.isEmpty ? words : current![last].line + " " + words
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if current == nil {
                if line == "```text" { current = [] }
            } else if line == "```" {
                if let commands = current, !commands.isEmpty { blocks.append(Block(commands: commands)) }
                (current, continuing) = (nil, false)
            } else if continuing {
                addCommandText(line)
            } else if line.hasPrefix("$ ") {
                current!.append(Command(line: ""))
                addCommandText(String(line.dropFirst(2)))
            } else if !current!.isEmpty {
                current![current!.count - 1].output.append(line)
            } else {
                current = nil // a text block that is not a transcript
            }
        }
        return blocks
    }

    /// Why `actual` is not what the README shows, or nil when it is.
    static func mismatch(expected: [String], actual: [String]) -> String? {
        let shown = expected.map(normalised).filter { !$0.isEmpty }
        var printed = actual.map(normalised).filter { !$0.isEmpty }
        let elided = shown.contains("…")
        for line in shown where line != "…" {
            guard let index = printed.firstIndex(where: { sameLine($0, line) }) else {
                return "the README shows \"\(line)\", the binary printed:\n" + actual.joined(separator: "\n")
            }
            printed.remove(at: index)
        }
        if !elided, let extra = printed.first {
            return "the binary printed \"\(extra)\", which the README does not show"
        }
        return nil
    }

    /// Equal, or equal but for numbers within 1e-5 relative (the last printed digits of a prediction
    /// depend on the CPU's kernels: sgemm's, or Winograd's on AVX-512), and within 1e-6 below 0.1 (a
    /// prediction near 0 is a sum of larger terms, whose rounding it carries).
    static func sameLine(_ printed: String, _ shown: String) -> Bool {
        if printed == shown { return true }
        let separators = CharacterSet(charactersIn: ", ")
        let (a, b) = (printed.components(separatedBy: separators), shown.components(separatedBy: separators))
        return a.count == b.count && zip(a, b).allSatisfy { x, y in
            guard x != y else { return true }
            guard let u = Double(x), let v = Double(y) else { return false }
            return abs(u - v) <= 1e-5 * max(abs(u), abs(v), 0.1)
        }
    }

    /// Timing figures as `#`, trailing blanks dropped.
    static func normalised(_ line: String) -> String {
        line.replacingOccurrences(of: #"in [0-9.]+ s \([0-9.]+ (transformed )?frames/s"#, with: "in # s (# $1frames/s", options: .regularExpression)
            .trimmingCharacters(in: .whitespaces)
    }

    static func sharedFile(_ name: String) -> URL {
        for folder in ["clips", "models"] {
            let url = TestPaths.sharedData.appendingPathComponent(folder).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return TestPaths.sharedData.appendingPathComponent(name)
    }

    /// A folder with `Datasets/`, `Tests/`, every shared clip and model under its bare name, and `tmp/`.
    static func scratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        let manager = FileManager.default
        try manager.createDirectory(at: folder.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        for linked in ["Datasets", "Tests"] {
            try manager.createSymbolicLink(at: folder.appendingPathComponent(linked), withDestinationURL: TestPaths.repository.appendingPathComponent(linked))
        }
        for sub in ["clips", "models"] {
            let source = TestPaths.sharedData.appendingPathComponent(sub)
            for name in (try? manager.contentsOfDirectory(atPath: source.path)) ?? [] {
                try manager.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
            }
        }
        return folder
    }
}
