import ArgumentParser
import DemoData
import Foundation
import SteerLensSupport
import VideoIO

/// `steerlens-datagen`: renders the project's synthetic demo drive and training sets.
@main
struct Datagen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steerlens-datagen",
        abstract: "Render the synthetic demo driving clip (with labels and lane masks) or a training set.",
        discussion: "Deterministic: the same seed, options and binary reproduce every file.",
        subcommands: [Clip.self, TrainingSetCommand.self, ModelInputs.self],
        defaultSubcommand: Clip.self
    )
}

struct Clip: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Write drive.mp4, labels.csv, scene.csv and masks/NNNNNN.png into --out."
    )

    @Option(help: "Seed of the road, drift, scenery and light.") var seed: UInt64 = DemoClip.defaultSeed
    @Option(help: "Length of the clip in seconds (30 fps).") var seconds: Double = 45
    @Option(help: "Frame width in pixels.") var width = 640
    @Option(help: "Frame height in pixels.") var height = 360
    @Option(help: "Write a lane mask for every Nth frame (0: none).") var masksEvery = 30
    @Option(help: "x264 constant rate factor.") var crf = 27
    @Option(help: "Output directory.") var out: String = "Datasets/demo"

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard width >= 64, height >= 64, width % 2 == 0, height % 2 == 0 else { throw ValidationError("--width/--height must be even and at least 64") }
        guard masksEvery >= 0 else { throw ValidationError("--masks-every must not be negative") }
    }

    func run() throws {
        var options = DemoClip.Options()
        options.seed = seed
        options.seconds = seconds
        options.size = PixelSize(width: width, height: height)
        options.masksEvery = masksEvery
        options.crf = crf
        let directory = URL(fileURLWithPath: out)
        let count = try DemoClip.write(options: options, to: directory)
        print("wrote \(count) frames (\(width)x\(height), seed \(seed)) to \(directory.path)")
    }
}

struct TrainingSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training-set",
        abstract: "Render clips with consecutive seeds through H.264 and write model inputs as x.npy (uint8) and labels as y.npy.",
        discussion: "Preprocessing is the demo models' (crop 37.5%,10%,0,0, resize 200x66 INTER_AREA, RGB) through VideoIO.Preprocess."
    )

    @Option(help: "Seed of the first clip; clip k uses seed + k.") var seed: UInt64 = 1000
    @Option(help: "Number of clips.") var clips = 20
    @Option(help: "Length of each clip in seconds.") var seconds: Double = 40
    @Option(help: "Keep every Nth decoded frame.") var every = 3
    @Option(help: "Output directory.") var out: String

    func validate() throws {
        guard clips > 0, seconds > 0, every > 0 else { throw ValidationError("--clips, --seconds and --every must be positive") }
    }

    func run() throws {
        var options = TrainingSet.Options()
        options.firstSeed = seed
        options.clips = clips
        options.seconds = seconds
        options.every = every
        try TrainingSet.write(options: options, to: URL(fileURLWithPath: out)) { message in
            StandardError.line(message)
        }
        print("wrote training set to \(out)")
    }
}

struct ModelInputs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-inputs",
        abstract: "Decode a clip and write every frame after the demo models' preprocessing as a uint8 [N, 66, 200, 3] .npy file."
    )

    @Argument(help: "The clip to decode.") var clip: String
    @Option(help: "Output .npy file.") var out: String

    func run() throws {
        let count = try TrainingSet.writeModelInputs(clip: URL(fileURLWithPath: clip), to: URL(fileURLWithPath: out))
        print("wrote \(count) model inputs to \(out)")
    }
}
