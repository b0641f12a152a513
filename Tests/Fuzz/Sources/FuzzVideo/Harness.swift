import Analysis
import Foundation
import FuzzSupport
import Saliency
import VideoIO

/// Video files: damaged MP4/MKV/AVI/WebM bytes written to a file and read the way every command reads a
/// clip — `FrameSources.open`, up to 8 frames decoded and converted, each preprocessed into a model
/// input (crop, area resize, YUV). Nothing may trap or touch memory outside its buffers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVideo(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let path = FuzzInput.file(FuzzInput.bytes(start, count), named: "clip.bin")
    guard let reader = try? FrameSources.open(path, options: ReadOptions(maxFrames: 8, decoderThreads: 1)) else { return 0 }
    let preprocess = Preprocess(crop: CropInsets(lengths: .percent(30), .pixels(2), .pixels(0), .pixels(1)), size: PixelSize(width: 20, height: 8),
                                interpolation: .area, colorSpace: .yuv)
    let modelInput = try? ModelInput(inputShape: [8, 20, 3], preprocess: preprocess)
    while let frame = try? reader.next() {
        precondition(frame.pixels.count == frame.width * frame.height * 3, "frame size does not match its pixels")
        _ = try? modelInput?.batch([frame])
    }
    return 0
}
