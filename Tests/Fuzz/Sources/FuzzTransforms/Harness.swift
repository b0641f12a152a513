import FuzzSupport
import Transforms
import VideoIO

/// `--transform` values and stress-suite entries applied to small frames: the text either fails to parse
/// with a ``TransformError`` or gives a transform whose spelling parses to the same spelling, whose frame
/// has the size it announces, and whose band of rows (what `stress` computes for a cropping model) holds
/// the same bytes as those rows of the whole frame, for bands anywhere, partly or wholly outside it.
///
/// Input: width byte, height byte, band start byte, band length byte, then the specification up to the
/// first newline; the bytes after it are the frame's pixels (repeated to fill it, zeros without any).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTransforms(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    guard bytes.count > 4 else { return 0 }
    let width = 1 + Int(bytes[0]) % 48, height = 1 + Int(bytes[1]) % 40
    let rest = bytes[4...]
    let newline = rest.firstIndex(of: 10) ?? rest.endIndex
    let specification = String(decoding: rest[..<newline], as: UTF8.self)
    let transform: any FrameTransform
    do { transform = try TransformParser.parse(specification) } catch is TransformError { return 0 } catch {
        preconditionFailure("'\(specification)' threw \(error), not a TransformError")
    }
    let spelling = transform.specification
    guard let reparsed = try? TransformParser.parse(spelling), reparsed.specification == spelling else {
        preconditionFailure("'\(specification)' is spelt '\(spelling)', which does not parse back to itself")
    }

    let source = newline < rest.endIndex ? Array(rest[(newline + 1)...]) : []
    let pixels = (0..<(width * height * 3)).map { source.isEmpty ? 0 : source[$0 % source.count] }
    let frame = Frame(index: Int(bytes[2]), time: 0, width: width, height: height, pixels: pixels)
    guard let whole = try? transform.apply(frame) else { return 0 }  // recompression may refuse a frame size
    let size = transform.outputSize(width: width, height: height)
    precondition(whole.width == size.width && whole.height == size.height && whole.pixels.count == size.width * size.height * 3,
                 "\(spelling) on \(width)x\(height) gave \(whole.width)x\(whole.height) (\(whole.pixels.count) bytes), announced \(size)")

    // A band from 8 rows above the frame to past its end.
    let first = Int(bytes[2]) % (size.height + 16) - 8, rows = first..<(first + Int(bytes[3]) % (size.height + 8))
    guard let band = try? transform.apply(frame, rows: rows) else {
        preconditionFailure("\(spelling) transformed the whole \(width)x\(height) frame but not its rows \(rows)")
    }
    let kept = rows.clamped(to: 0..<size.height), rowBytes = size.width * 3
    precondition(band.width == size.width && band.height == kept.count
                 && band.pixels == Array(whole.pixels[(kept.lowerBound * rowBytes)..<(kept.upperBound * rowBytes)]),
                 "\(spelling): rows \(rows) of a \(width)x\(height) frame differ from those rows of the whole transformed frame")
    return 0
}
