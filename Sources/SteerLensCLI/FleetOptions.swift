import Analysis
import ArgumentParser
import Foundation

/// `--manifest`, `--shard`, `--shards`: run a fleet of clips (or this worker's share of it) into OUT/clips/<id>/.
struct FleetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Clip list: one clip per line, or CSV clip,labels[,id] (relative paths are read from the manifest's folder). Each clip's results go to OUT/clips/<id>/; complete ones are skipped on a re-run. Needs --out OUT; `steerlens merge OUT` joins them.", valueName: "file"))
    var manifest: String?

    @Option(help: ArgumentHelp("This worker's share of the manifest, K of N counted from 0 (default: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX of --shards).", valueName: "K/N"))
    var shard: String?

    @Option(help: ArgumentHelp("Number of workers: a Kubernetes Indexed Job's completions (with JOB_COMPLETION_INDEX), or a Slurm array numbered 0…N−1 (SLURM_ARRAY_TASK_ID is then the shard, so one task can be re-submitted alone).", valueName: "N"))
    var shards: Int?

    /// Usage checks shared by `analyze`, `predict` and `compare`.
    func validate(inputs: [String], out: String?) throws {
        if manifest == nil {
            guard !inputs.isEmpty else { throw ValidationError("give at least one input, or --manifest FILE") }
            if shard != nil || shards != nil { throw ValidationError("--shard and --shards need --manifest") }
            return
        }
        guard inputs.isEmpty else { throw ValidationError("give either inputs or --manifest, not both") }
        guard out != nil else { throw ValidationError("--manifest needs --out OUT (the fleet's output folder)") }
        if let shard { _ = try validating { try FleetShard.parse(shard) } }
    }

    /// Runs this worker's share: `clip(entry, destination)` writes one clip's results. Prints one line per
    /// clip and a summary on standard error, and OUT on standard output; a clip with bad input does not stop
    /// the others but makes the exit code its kind's (65/66).
    func run(command: String, out: String, modelFiles: [String], clip body: (FleetManifest.Entry, URL) throws -> Void) throws {
        let manifest = try FleetManifest.load(manifest!)
        let shard = try FleetShard.resolve(shard: shard, shards: shards, environment: ProcessInfo.processInfo.environment)
        let arguments = Array(CommandLine.arguments.dropFirst(2))
        let run = FleetRun(manifest: manifest, shard: shard, out: URL(fileURLWithPath: out), command: command, modelFiles: modelFiles,
                           options: FleetRecord.options(from: arguments), version: SteerLens.version)
        Interruption.shared.install()
        let started = Date()
        let summary = try run.run(log: { printError("shard \(shard): \($0)") }, clip: body)
        printError(String(format: "shard %@: %d clips of %d (%d done, %d already complete, %d failed) in %.1f s", shard.description, summary.assigned.count,
                          manifest.entries.count, summary.done.count, summary.skipped.count, summary.failed.count, Date().timeIntervalSince(started)))
        try StandardOutput.line(out)
        if let first = summary.failed.first {
            printError("steerlens: \(summary.failed.count) clips failed, first \(first.id): \(first.error.message) (hint: \(first.error.hint))")
            throw ExitCode(first.error.kind.exitCode)
        }
    }
}
