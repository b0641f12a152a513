import Foundation
import SteerLensSupport

/// A `--transform` or suite entry that SteerLens cannot use.
public enum TransformError: SteerLensError, Equatable {
    /// The name is not a transform.
    case unknown(String)
    /// The value does not fit the transform.
    case badValue(String, String)

    public var kind: FailureKind { .usage }

    public var message: String {
        switch self {
        case .unknown(let name): "unknown transform '\(name)'"
        case .badValue(let specification, let reason): "transform '\(specification)': \(reason)"
        }
    }

    public var hint: String {
        "transforms are NAME:VALUE, one of " + TransformParser.names.joined(separator: ", ") + " (e.g. rotation:9, blur:gaussian5, flip)"
    }
}

/// Formats transform values the way users type them (`0.3`, `10`, `-20`).
public enum TransformValue {
    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// Turns `NAME:VALUE` into a ``FrameTransform``.
public enum TransformParser {
    /// Every transform name, in the order the help lists them.
    public static let names = ["translation", "scale", "shear", "rotation", "contrast", "brightness", "blur",
                               "fog", "rain", "night", "dirt", "jpeg", "h264", "roll", "pitch", "flip"]

    /// Parses one `--transform` value.
    /// - Throws: ``TransformError`` (exit 64) naming the unknown name or the bad value.
    public static func parse(_ text: String) throws -> any FrameTransform {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased(), value = parts.count > 1 ? parts[1] : nil
        func number(_ range: ClosedRange<Double>, _ what: String) throws -> Double {
            guard let value else { throw TransformError.badValue(trimmed, "needs a value: \(name):\(what)") }
            guard let parsed = Double(value), parsed.isFinite else { throw TransformError.badValue(trimmed, "'\(value)' is not a number") }
            guard range.contains(parsed) else {
                throw TransformError.badValue(trimmed, "\(what) must be within \(TransformValue.format(range.lowerBound))…\(TransformValue.format(range.upperBound))")
            }
            return parsed
        }
        func integer(_ range: ClosedRange<Int>, _ what: String) throws -> Int {
            let parsed = try number(Double(range.lowerBound)...Double(range.upperBound), what)
            guard parsed == parsed.rounded() else { throw TransformError.badValue(trimmed, "\(what) must be a whole number") }
            return Int(parsed)
        }
        switch name {
        case "translation":
            guard let value else { throw TransformError.badValue(trimmed, "needs a value: translation:TX,TY (pixels)") }
            let offsets = value.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard offsets.count == 2, let dx = offsets[0], let dy = offsets[1], abs(dx) <= 10_000, abs(dy) <= 10_000 else {
                throw TransformError.badValue(trimmed, "translation takes TX,TY in pixels, e.g. translation:10,10")
            }
            return Translation(dx: dx, dy: dy)
        case "scale": return CubicScale(factor: try number(0.1...8, "the factor S"))
        case "shear": return Shear(factor: try number(-10...10, "the factor F"))
        case "rotation": return Rotation(degrees: try number(-360...360, "the angle in degrees"))
        case "roll": return Rotation(degrees: try number(-360...360, "the angle in degrees"), name: "roll")
        case "pitch": return PitchShift(pixels: try number(-10_000...10_000, "the shift in pixels"))
        case "contrast": return Contrast(alpha: try number(0...255, "the factor ALPHA"))
        case "brightness": return Brightness(beta: try number(-255...255, "the offset BETA"))
        case "blur":
            guard let value, let kind = Blur.Kind(rawValue: value.lowercased()) else {
                throw TransformError.badValue(trimmed, "blur takes one of " + Blur.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return Blur(kind: kind)
        case "fog": return Fog(density: try number(0...1, "the density"))
        case "rain": return Rain(amount: try number(0...1, "the amount"))
        case "night": return Night(gamma: try number(1...10, "the gamma"))
        case "dirt": return LensDirt(blobs: try integer(0...100, "the number of blobs"))
        case "jpeg": return Recompression(codec: .jpeg, quality: try integer(2...31, "the qscale (2 best … 31 worst)"))
        case "h264": return Recompression(codec: .h264, quality: try integer(0...51, "the CRF (0 … 51)"))
        case "flip":
            guard value == nil || value == "horizontal" else { throw TransformError.badValue(trimmed, "flip takes no value (or flip:horizontal)") }
            return HorizontalFlip()
        default:
            throw TransformError.unknown(parts[0])
        }
    }

    /// Parses every `--transform` value into one chain, or nil when none is given.
    public static func chain(_ texts: [String]) throws -> TransformChain? {
        texts.isEmpty ? nil : TransformChain(try texts.map(parse))
    }
}
