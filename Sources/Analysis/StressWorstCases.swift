import Foundation
import Reporting
import Saliency
import SteerLensSupport
import Transforms
import VideoIO

/// The worst cases of a stress run, explained: for each chosen (clip, frame, setting) the maps of the
/// original and the transformed frame, their drift on the common frame grid (Pearson correlation and
/// top-10 % IoU, as `compare` measures it) and four images — original | transformed | each with its
/// first map drawn over it (keras-vis overlay, jet, α 0.3), 640 px wide at most.
///
/// The only backward passes of a stress run: one batch of two frames per case.
public struct StressWorstCases {
    public let session: ModelSession
    public let selection: ReadOptions

    public init(session: ModelSession, selection: ReadOptions) {
        (self.session, self.selection) = (session, selection)
    }

    /// Explains `cases` (indices into `evaluation`) and writes their images under `folder` (`worst/`).
    public func explain(_ cases: [(clip: Int, row: Int, setting: Int)], evaluation: StressEvaluation, folder: URL, relativeTo root: URL) throws -> [StressReport.WorstCase] {
        guard !cases.isEmpty else { return [] }
        try during("creating \(folder.lastPathComponent)/") { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let encoder = try ImageEncoder(format: .png)
        let kinds = session.explainer.kinds
        var results: [StressReport.WorstCase] = []
        for clipIndex in Set(cases.map(\.clip)).sorted() {
            let clip = evaluation.clips[clipIndex]
            let wanted = cases.filter { $0.clip == clipIndex }
            let indices = Set(wanted.map { clip.frames[$0.row].index })
            let reader = try FrameSources.open(clip.clip, options: selection)
            var frames: [Int: Frame] = [:]
            while frames.count < indices.count, let frame = try reader.next() {
                if indices.contains(frame.index) { frames[frame.index] = frame }
            }
            for item in wanted {
                let record = clip.frames[item.row]
                guard let original = frames[record.index] else { continue }
                let setting = evaluation.suite.settings[item.setting]
                let transformed = try setting.transform.apply(original)
                let originalGeometry = try session.modelInput.preprocess.geometry(for: PixelSize(width: original.width, height: original.height))
                let transformedGeometry = try session.modelInput.preprocess.geometry(for: PixelSize(width: transformed.width, height: transformed.height))
                let originalResult = try session.explain([original], grid: SaliencyGrid(geometry: originalGeometry))[0]
                let transformedResult = try session.explain([transformed], grid: SaliencyGrid(geometry: transformedGeometry))[0]
                var correlation: [String: Double] = [:], iou: [String: Double] = [:]
                for (index, kind) in kinds.enumerated() where originalResult.grids[index].count == transformedResult.grids[index].count {
                    correlation[kind.name] = pearsonCorrelation(originalResult.grids[index], transformedResult.grids[index])
                    iou[kind.name] = topFractionIoU(originalResult.grids[index], transformedResult.grids[index])
                }
                let stem = "\(results.count + 1)-frame\(record.index)-" + setting.specification.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
                var images: [String] = []
                let kind = kinds[0]
                let overlay = Overlay()
                let pictures: [(String, Frame)] = [
                    ("original", original), ("transformed", transformed),
                    ("original-\(kind.name)", overlay.draw(DisplayScale.percentile(99).apply(originalResult.maps[kind]!), on: original, projection: MapProjection(geometry: originalGeometry))),
                    ("transformed-\(kind.name)", overlay.draw(DisplayScale.percentile(99).apply(transformedResult.maps[kind]!), on: transformed, projection: MapProjection(geometry: transformedGeometry))),
                ]
                for (name, picture) in pictures {
                    let file = folder.appendingPathComponent("\(stem)-\(name).png")
                    let shown = try Self.displayCopy(picture)
                    try encoder.write(shown.pixels, width: shown.width, height: shown.height, to: file)
                    images.append(String(file.path.dropFirst(root.path.count + 1)))
                }
                results.append(.init(clip: clip.clip, frame: record.index, time: record.time, specification: setting.specification,
                                     original: record.original, transformed: evaluation.clips[clipIndex].transformed[item.setting][item.row],
                                     label: record.label, correlation: correlation, topIoU: iou, images: images))
            }
        }
        return results
    }

    /// `frame` shrunk (OpenCV INTER_AREA) to at most 640 px wide, for the page.
    static func displayCopy(_ frame: Frame) throws -> Frame {
        guard frame.width > 640 else { return frame }
        let size = PixelSize(width: 640, height: max(1, Int((Double(frame.height) * 640 / Double(frame.width)).rounded())))
        let pixels = try Preprocess(size: size, interpolation: .area).apply(to: frame)
        return Frame(index: frame.index, time: frame.time, width: size.width, height: size.height, pixels: pixels)
    }
}
