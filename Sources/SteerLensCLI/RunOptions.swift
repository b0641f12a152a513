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

    func validate() throws { try Self.validate(batchSize) }

    /// Batches beyond this would allocate their input and activations up front whatever the clip's
    /// length (4096 PilotNet frames are ~0.6 GB of input alone) and overflow in index arithmetic near Int.max.
    static let largest = 4096

    /// `--batch-size` within 1…``largest`` (shared with `stress`, whose default differs).
    static func validate(_ batchSize: Int) throws {
        guard (1...largest).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and \(largest), got \(batchSize)") }
    }
}
