import Analysis
import ArgumentParser
import Foundation

/// `--out` and `--overwrite` of the commands that write a report directory.
struct ReportDirectoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Output directory (default Reports/<command>-<first input stem>/).", valueName: "dir"))
    var out: String?

    @Flag(help: "Replace an output directory that exists and is not empty.")
    var overwrite = false

    /// `--out`, else `Reports/<command>-<stem of input>/`.
    func destination(_ command: String, input: String) -> URL {
        URL(fileURLWithPath: out ?? "Reports/\(command)-" + ClipNaming.stem(input))
    }
}

/// `--batch-size` of the commands that run a model on batches of decoded frames.
struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Frames per batch: one forward pass, and one backward pass where maps are computed.", valueName: "N"))
    var batchSize: Int = 32

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }
}
