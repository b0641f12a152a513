import Foundation
import SteerLensSupport
import VideoIO

/// Writes a training set for the demo models: frames rendered, encoded to H.264 with the demo clip's
/// settings, decoded with ``FrameReader`` and preprocessed with ``Preprocess`` — the same path a clip
/// takes through SteerLens — stored as model-input tensors.
///
/// Files in the output directory:
/// - `x.npy`: uint8 `[N, H, W, 3]` model inputs (after crop, resize, colour conversion);
/// - `y.npy`: float32 `[N]` steering labels;
/// - `situation.npy`: float32 `[N]` ``RoadSituation/code`` (0 straight, 1 left curve, 2 right curve);
/// - `clip.npy`: float32 `[N]` index of the source clip (for held-out splits);
/// - `meta.json`: seeds, sizes and the preprocessing.
public enum TrainingSet {
    public struct Options: Sendable {
        public var firstSeed: UInt64 = 1000
        public var clips = 20
        public var seconds: Double = 40
        public var every = 3
        public var size = PixelSize(width: 640, height: 360)
        public var preprocess = TrainingSet.demoPreprocess
        public init() {}
    }

    /// The demo models' preprocessing: 37.5 % off the top (sky), 10 % off the bottom (bonnet), INTER_AREA
    /// resize to 200×66, RGB.
    public static let demoPreprocess = Preprocess(crop: CropInsets(lengths: .percent(37.5), .percent(10), .pixels(0), .pixels(0)),
                                                  size: PixelSize(width: 200, height: 66), interpolation: .area, colorSpace: .rgb)

    public static func write(options: Options, to directory: URL, log: ((String) -> Void)? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let geometry = try options.preprocess.geometry(for: options.size)
        let itemBytes = geometry.outputSize.width * geometry.outputSize.height * 3
        var inputs: [UInt8] = []
        var labels: [Float] = [], situations: [Float] = [], clipIndices: [Float] = []
        let scratch = directory.appendingPathComponent("scratch-clip.mp4")
        for clip in 0..<options.clips {
            let seed = options.firstSeed + UInt64(clip)
            let plan = RoadPlan(seed: seed, seconds: options.seconds)
            let renderer = SceneRenderer(plan: plan, size: options.size)
            let count = DemoClip.frameCount(seconds: options.seconds)
            let writer = try VideoWriter(url: scratch, size: options.size, encoding: DemoClip.encoding())
            var states: [DriveState] = []
            for index in 0..<count {
                let rendered = renderer.render(index: index)
                try writer.write(rendered.frame)
                states.append(rendered.state)
            }
            try writer.finish()
            let reader = try FrameReader(path: scratch.path, options: ReadOptions(every: options.every))
            var taken = 0
            while let frame = try reader.next() {
                let input = try options.preprocess.apply(to: frame)
                precondition(input.count == itemBytes)
                inputs += input
                let state = states[frame.index]
                labels.append(Float(state.steering))
                situations.append(Float(state.situation.code))
                clipIndices.append(Float(clip))
                taken += 1
            }
            log?("clip \(clip + 1)/\(options.clips) (seed \(seed)): \(taken) frames")
        }
        try? FileManager.default.removeItem(at: scratch)
        let n = labels.count
        try AtomicFile.write(uint8NPY(shape: [n, geometry.outputSize.height, geometry.outputSize.width, 3], values: inputs),
                             to: directory.appendingPathComponent("x.npy"))
        try NPYArray(shape: [n], values: labels).write(to: directory.appendingPathComponent("y.npy"))
        try NPYArray(shape: [n], values: situations).write(to: directory.appendingPathComponent("situation.npy"))
        try NPYArray(shape: [n], values: clipIndices).write(to: directory.appendingPathComponent("clip.npy"))
        let meta: [String: Any] = [
            "first_seed": options.firstSeed, "clips": options.clips, "seconds": options.seconds, "every": options.every,
            "frame_size": "\(options.size)", "items": n,
            "preprocess": ["crop": [options.preprocess.crop.top, options.preprocess.crop.bottom, options.preprocess.crop.left,
                                    options.preprocess.crop.right].map(\.description),
                           "resize": "\(geometry.outputSize)", "interpolation": options.preprocess.interpolation.rawValue,
                           "color": options.preprocess.colorSpace.rawValue],
        ]
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys]),
                             to: directory.appendingPathComponent("meta.json"))
    }

    /// Decodes `clip` with ``FrameReader``, applies `preprocess` to every frame and writes the model inputs
    /// as a uint8 `[N, H, W, 3]` `.npy` file: what SteerLens feeds the model, for scoring in TensorFlow.
    @discardableResult
    public static func writeModelInputs(clip: URL, preprocess: Preprocess = demoPreprocess, to url: URL) throws -> Int {
        let reader = try FrameReader(path: clip.path)
        var inputs: [UInt8] = []
        var count = 0
        var outputSize = PixelSize(width: 0, height: 0)
        while let frame = try reader.next() {
            outputSize = try preprocess.geometry(for: PixelSize(width: frame.width, height: frame.height)).outputSize
            inputs += try preprocess.apply(to: frame)
            count += 1
        }
        try AtomicFile.write(uint8NPY(shape: [count, outputSize.height, outputSize.width, 3], values: inputs), to: url)
        return count
    }

    /// A `|u1` C-order `.npy` file (format 1.0, data aligned to 64 bytes).
    static func uint8NPY(shape: [Int], values: [UInt8]) -> Data {
        var data = NPYArray.header(descr: "|u1", shape: shape)
        data.append(contentsOf: values)
        return data
    }
}
