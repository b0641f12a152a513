import Foundation
import VideoIO
import XCTest

/// Clips and images made by the tests themselves, with the project's own writers (libavcodec
/// encoders) or, where the project has no writer (audio tracks, remuxing), the `ffmpeg` CLI.
public enum TestClips {
    /// A deterministic test picture: smooth gradients plus a square that moves with `index`, so
    /// encoders compress it well and every frame differs.
    public static func pattern(index: Int, width: Int, height: Int) -> Frame {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let squareX = (index * 7) % max(width - 16, 1), squareY = (index * 3) % max(height - 16, 1)
        for y in 0..<height {
            for x in 0..<width {
                let offset = (y * width + x) * 3
                let inSquare = x >= squareX && x < squareX + 16 && y >= squareY && y < squareY + 16
                pixels[offset] = inSquare ? 250 : UInt8((x * 255) / max(width - 1, 1))
                pixels[offset + 1] = inSquare ? 20 : UInt8((y * 255) / max(height - 1, 1))
                pixels[offset + 2] = UInt8((x + y + index * 5) % 256)
            }
        }
        return Frame(index: index, time: Double(index) / 30, width: width, height: height, pixels: pixels)
    }

    /// Random-valued pixels (a stress case for lossless round trips), deterministic per seed.
    public static func noise(width: Int, height: Int, seed: UInt64) -> Frame {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            pixels[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return Frame(index: 0, time: 0, width: width, height: height, pixels: pixels)
    }

    /// Writes `count` pattern frames with `encoding` to `url`; frame times follow `times` when given.
    @discardableResult
    public static func writeVideo(to url: URL, count: Int, size: PixelSize, encoding: VideoEncoding, times: [Double]? = nil) throws -> [Frame] {
        let writer = try VideoWriter(url: url, size: size, encoding: encoding)
        var frames: [Frame] = []
        for index in 0..<count {
            var frame = pattern(index: index, width: size.width, height: size.height)
            if let times { frame.time = times[index] }
            try writer.write(frame)
            frames.append(frame)
        }
        try writer.finish()
        return frames
    }

    /// Runs a command-line tool and returns its standard output; throws when it exits non-zero.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        String(decoding: try run(tool, arguments, binaryOutput: true), as: UTF8.self)
    }

    /// Runs a command-line tool and returns its standard output as bytes (e.g. `ffmpeg -f rawvideo -`).
    public static func run(_ tool: String, _ arguments: [String], binaryOutput: Bool) throws -> [UInt8] {
        let result = try Command.run(tool, arguments)
        guard result.status == 0 else { throw CommandFailure(command: ([tool] + arguments).joined(separator: " "), output: result.stderr) }
        return [UInt8](result.stdoutData)
    }
}

/// A tool exited non-zero.
public struct CommandFailure: Error, CustomStringConvertible {
    public let command: String
    public let output: String
    public init(command: String, output: String) {
        self.command = command
        self.output = output
    }
    public var description: String { "\(command) failed: \(output)" }
}

/// Runs processes and captures their output.
public enum Command {
    public struct Result {
        public let status: Int32
        public let stdoutData: Data
        public let stderr: String
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    }

    /// Runs `tool` (a path, or a name looked up on PATH) with `arguments`, in `directory` if given.
    public static func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil) throws -> Result {
        let process = Process()
        if let directory { process.currentDirectoryURL = directory }
        if tool.contains("/") {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool] + arguments
        }
        if let environment { process.environment = environment }
        let outputPipe = Pipe(), errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errorData = LockedData()
        let errorReader = Thread { errorData.value = errorPipe.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = outputPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus, stdoutData: outputData,
                      stderr: String(decoding: errorData.value ?? Data(), as: UTF8.self))
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    var value: Data? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    var isSet: Bool { value != nil }
}

/// `ffprobe -count_frames` on the first video stream: the figures `steerlens probe` must match.
public struct FFprobeStream: Decodable {
    public let width: Int
    public let height: Int
    public let r_frame_rate: String
    public let avg_frame_rate: String
    public let nb_read_frames: String?

    /// `inputOptions` go before the input, e.g. `-framerate 30 -start_number 5801` for an image sequence.
    public static func probe(_ path: String, inputOptions: [String] = []) throws -> FFprobeStream {
        struct Output: Decodable { let streams: [FFprobeStream] }
        let json = try TestClips.run("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                 "-show_entries", "stream=width,height,r_frame_rate,avg_frame_rate,nb_read_frames",
                                                 "-of", "json"] + inputOptions + [path])
        let output = try JSONDecoder().decode(Output.self, from: Data(json.utf8))
        guard let stream = output.streams.first else { throw CommandFailure(command: "ffprobe \(path)", output: "no video stream") }
        return stream
    }
}

/// Locations of test material, and scratch directories.
public enum TestPaths {
    /// The repository root (two levels above `Tests/TestSupport/`).
    public static let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Committed fixtures: `Tests/Fixtures/`.
    public static let fixtures = repository.appendingPathComponent("Tests/Fixtures")
    /// Project-made Keras fixtures (committed): `Tests/Fixtures/keras/<case>/`.
    public static let kerasFixtures = fixtures.appendingPathComponent("keras")
    /// Real third-party material beside the repository (never copied into it): `<repo>/../shared/data`.
    public static let sharedData = repository.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// `<shared data>/<relative>`, or an `XCTSkip` when it is absent (a user's fresh clone has none).
    public static func shared(_ relative: String) throws -> URL {
        let url = sharedData.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("third-party test data not present: \(url.path) (it lives in ../shared/data, outside the repository)")
        }
        return url
    }

    /// A fresh empty directory in this process's scratch folder, which outlives the test: kept after a run
    /// with a failure, for inspection, and removed after a run where every test passed (``ScratchRoot``).
    public static func scratchDirectory(_ name: String) throws -> URL {
        let url = try ScratchRoot.prepared().appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A fresh temporary directory removed at the end of the test.
    public static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = try scratchDirectory(String(describing: type(of: testCase)))
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// The built `steerlens` executable, run as a user would.
public enum SteerLensBinary {
    /// `steerlens`, next to the test bundle in the build products directory.
    public static var url: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("steerlens")
        }
        fatalError("no test bundle found")
        #else
        return Bundle.main.bundleURL.appendingPathComponent("steerlens")
        #endif
    }

    public static func run(_ arguments: String...) throws -> Command.Result {
        try Command.run(url.path, arguments)
    }

    public static func run(_ arguments: [String], in directory: URL? = nil) throws -> Command.Result {
        try Command.run(url.path, arguments, directory: directory)
    }
}
