import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import Transforms
import VideoIO

/// A finished `analyze` run read back: what it explained, its predictions and saliency grids by frame
/// index.
public struct RecordedRun {
    public let path: String
    /// The recorded maps and objective, to be recomputed exactly with the candidate.
    public let request: ExplanationRequest
    public let gridSize: PixelSize
    public let frames: [Int: (prediction: Double, grids: [[Float]])]
    /// The `--transform`s the run applied to its frames (nil: none), applied again by `check`.
    public let transform: TransformChain?

    public static func load(_ location: String) throws -> RecordedRun {
        var url = URL(fileURLWithPath: location)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RecordedRunError(path: location, detail: "it does not exist", kind: .missingInput)
        }
        if !isDirectory.boolValue { url = url.deletingLastPathComponent() }
        let runURL = url.appendingPathComponent("run.json"), gridURL = url.appendingPathComponent("saliency-grid.npy")
        let report = try readReport(runURL)
        let grid: NPYArray
        do { grid = try NPYArray(contentsOf: gridURL) } catch {
            throw RecordedRunError(path: gridURL.path, detail: "cannot read the recorded saliency grid (\(error))")
        }
        let request = try explanationRequest(report.settings.explanation, runURL: runURL)
        let kinds = request.kinds.map(\.name)
        guard grid.shape.count == 4, grid.shape[0] == report.frames.count, grid.shape[1] == kinds.count else {
            throw RecordedRunError(path: gridURL.path, detail: "its shape \(grid.shape) does not match \(report.frames.count) frames and \(kinds.count) maps in run.json")
        }
        let (rows, columns) = (grid.shape[2], grid.shape[3]), cells = rows * columns
        var frames: [Int: (Double, [[Float]])] = [:]
        for (index, entry) in report.frames.enumerated() {
            let grids = kinds.indices.map { kind in Array(grid.values[((index * kinds.count + kind) * cells)..<((index * kinds.count + kind + 1) * cells)]) }
            frames[entry.frame] = (entry.prediction, grids)
        }
        let transform: TransformChain?
        do { transform = try TransformParser.chain(report.settings.transforms ?? []) } catch {
            throw RecordedRunError(path: runURL.path, detail: "its transforms \(report.settings.transforms ?? []) cannot be applied (\(error))")
        }
        return RecordedRun(path: url.path, request: request, gridSize: PixelSize(width: columns, height: rows), frames: frames, transform: transform)
    }

    /// run.json as a report, after checking its layout version: a file of another version is refused by
    /// name rather than misread or reported as a decoding error.
    static func readReport(_ runURL: URL) throws -> RunReport {
        struct Versioned: Decodable { let schemaVersion: Int? }
        let data: Data
        do { data = try Data(contentsOf: runURL) } catch {
            throw RecordedRunError(path: runURL.path, detail: "cannot read it (\(error.localizedDescription))", kind: .missingInput)
        }
        let version: Int?
        do { version = try JSONDecoder().decode(Versioned.self, from: data).schemaVersion } catch {
            throw RecordedRunError(path: runURL.path, detail: "it is not an analyze run.json (\(error.localizedDescription))")
        }
        guard let version else {
            throw RecordedRunError(path: runURL.path, detail: "it has no schemaVersion (written by a SteerLens from before run.json was versioned)",
                                   hint: "record the baseline again with `steerlens analyze`")
        }
        guard version == RunReport.currentSchemaVersion else {
            throw RecordedRunError(path: runURL.path, detail: "its schemaVersion \(version) is not one this SteerLens reads (\(RunReport.currentSchemaVersion))",
                                   hint: "check it with the SteerLens version that wrote it, or record the baseline again with this one")
        }
        do { return try JSONDecoder().decode(RunReport.self, from: data) } catch {
            throw RecordedRunError(path: runURL.path, detail: "cannot read it as an analyze run.json of schemaVersion \(version) (\(error.localizedDescription))")
        }
    }

    /// The recorded explanation as a request, or an error when `check` could not reproduce it.
    private static func explanationRequest(_ explanation: RunReport.Explanation?, runURL: URL) throws -> ExplanationRequest {
        guard let explanation else {
            throw RecordedRunError(path: runURL.path, detail: "it does not record what its maps explain (written by an older SteerLens)",
                                   hint: "record the baseline again with `steerlens analyze`")
        }
        var request = ExplanationRequest(kinds: [])
        for map in explanation.maps {
            guard let modifier = GradientModifier(rawValue: map.modifier) else {
                throw RecordedRunError(path: runURL.path, detail: "its map '\(map.name)' uses an unknown gradient modifier '\(map.modifier)'")
            }
            request.kinds.append(SaliencyMapKind(name: map.name, modifier: modifier))
        }
        if let modifier = explanation.backpropModifier {
            guard let parsed = BackpropModifier(name: modifier) else {
                throw RecordedRunError(path: runURL.path, detail: "it uses an unknown backprop modifier '\(modifier)'")
            }
            request.backpropModifier = parsed
        }
        if explanation.keepChannels {
            throw RecordedRunError(path: runURL.path, detail: "its maps keep the colour channels (--keep-channels), which check cannot compare",
                                   hint: "record the baseline without --keep-channels")
        }
        switch (explanation.output, explanation.layer, explanation.filter) {
        case (let output?, nil, nil):
            (request.output, request.unit) = (output, explanation.unit ?? 0)
        case (nil, let layer?, let filter?):
            request.filter = (layer, filter)
        default:
            throw RecordedRunError(path: runURL.path, detail: "its explanation names neither an output nor a layer filter")
        }
        return request
    }
}

/// A recorded run that cannot be used as a baseline.
public struct RecordedRunError: SteerLensError {
    public let path: String
    public let detail: String
    public var kind: FailureKind = .badInput
    public var hint = "pass the output directory of `steerlens analyze` (it holds run.json and saliency-grid.npy)"
    public var message: String { "recorded run '\(path)': \(detail)" }

    public init(path: String, detail: String, kind: FailureKind = .badInput, hint: String? = nil) {
        (self.path, self.detail, self.kind) = (path, detail, kind)
        if let hint { self.hint = hint }
    }
}
