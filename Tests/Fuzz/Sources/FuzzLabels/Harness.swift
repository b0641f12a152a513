import Foundation
import FuzzSupport
import Reporting
import VideoIO

/// Label files: `frame,steering` / `time_s,steering` CSVs and Udacity `driving_log.csv` (as labels and
/// as an image list whose image paths point nowhere). Every file either loads or throws.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabels(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let path = FuzzInput.file(FuzzInput.bytes(start, count), named: "labels.csv")
    if let track = try? LabelTrack.load(URL(fileURLWithPath: path)) {
        for frame in [0, 1, 7, 1_000_000] { _ = track.steering(frame: frame, time: Double(frame) / 30, framesPerSecond: 30) }
    }
    if let reader = try? ImageListReader(path: path, options: ReadOptions(maxFrames: 3)) {
        while (try? reader.next()) != nil {}
    }
    return 0
}
