/// How much to remove from one edge of a frame: pixels, or a percentage of the frame's height (top,
/// bottom) or width (left, right), rounded to the nearest pixel (halves away from zero).
public enum CropLength: Sendable, Codable, Equatable, CustomStringConvertible {
    case pixels(Int)
    case percent(Double)

    /// The length in pixels for an edge of a frame `extent` pixels long.
    public func pixels(of extent: Int) -> Int {
        switch self {
        case .pixels(let count): return count
        case .percent(let share):
            // A share outside 0…100 (a hand-edited file; the flag refuses one) only has to stay negative
            // or past the edge, where ``Preprocess/geometry(for:)`` refuses it, without trapping here.
            let length = (share / 100 * Double(extent)).rounded()
            return length.isNaN ? -1 : Int(min(max(length, -1), Double(extent) + 1))
        }
    }

    /// Parses `60` (pixels) or `37.5%` (percent of the frame).
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let share = Double(trimmed.dropLast()), share >= 0, share <= 100 else { return nil }
            self = .percent(share)
        } else {
            guard let count = Int(trimmed), (0...FrameReader.maximumSide).contains(count) else { return nil }
            self = .pixels(count)
        }
    }

    public var description: String {
        switch self {
        case .pixels(let count): "\(count)"
        case .percent(let share): "\(share)%"
        }
    }
}

/// What is removed from each edge of a frame before resizing.
public struct CropInsets: Sendable, Codable, Equatable {
    public var top: CropLength
    public var bottom: CropLength
    public var left: CropLength
    public var right: CropLength

    /// Insets in pixels.
    public init(top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) {
        self.init(lengths: .pixels(top), .pixels(bottom), .pixels(left), .pixels(right))
    }

    /// Insets in pixels or percentages (top, bottom, left, right).
    public init(lengths top: CropLength, _ bottom: CropLength, _ left: CropLength, _ right: CropLength) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    public static let none = CropInsets()
}

/// A size in pixels.
public struct PixelSize: Sendable, Codable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }

    /// Parses `WIDTHxHEIGHT` with positive integers (e.g. `200x66`) no larger than the frames SteerLens
    /// reads (``isReadable``).
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let width = parts[0], let height = parts[1] else { return nil }
        self.init(width: width, height: height)
        guard isReadable else { return nil }
    }

    /// Positive and within what ``FrameReader`` accepts (16,384 a side, 2²⁷ pixels): every size SteerLens
    /// allocates frames or images of.
    public var isReadable: Bool {
        (1...FrameReader.maximumSide).contains(width) && (1...FrameReader.maximumSide).contains(height) && width * height <= FrameReader.maximumPixelCount
    }
}

/// How pixels are resampled when the crop is resized to the model's input size.
public enum Interpolation: String, Sendable, Codable, CaseIterable {
    /// Pixel-area averaging, OpenCV `INTER_AREA` (the default of behavioural-cloning projects): each
    /// output pixel is the coverage-weighted mean of the source pixels under it. Axes that are enlarged
    /// fall back to ``bilinear``.
    case area
    /// OpenCV `INTER_LINEAR`: half-pixel centres, edge pixels repeated.
    case bilinear
    /// OpenCV `INTER_NEAREST`: `source = floor(destination × scale)`.
    case nearest
}

/// Colour order or space of the model input, as the training code converted its frames.
public enum ColorSpace: String, Sendable, Codable, CaseIterable {
    case rgb
    case bgr
    /// OpenCV `COLOR_RGB2YUV` on 8-bit images: Y = 0.299R + 0.587G + 0.114B, U = 0.492(B − Y) + 128,
    /// V = 0.877(R − Y) + 128, in OpenCV's 14-bit fixed point with rounding and saturation.
    case yuv
    /// One channel: OpenCV `COLOR_RGB2GRAY` on 8-bit images, Y = 0.299R + 0.587G + 0.114B in its 15-bit
    /// fixed point, for single-channel (greyscale) models.
    case gray

    /// Channels per pixel after conversion.
    public var channels: Int { self == .gray ? 1 : 3 }
}

/// The model-input transformation of a frame: crop, resize, colour conversion — in that order, each
/// step on 8-bit pixels the way an OpenCV training pipeline produced them — then conversion to Float,
/// `value × scale + offset` (values 0…255 by default: most models scale inside their own layers;
/// DonkeyCar pilots take `x / 255` computed outside the network, `scale` 1/255).
///
/// The geometry is invertible: ``PreprocessGeometry`` maps points and rectangles of the model input back
/// to the original frame, so maps can be drawn on full frames.
public struct Preprocess: Sendable, Codable, Equatable {
    public var crop: CropInsets
    /// Output size; `nil` keeps the cropped size.
    public var size: PixelSize?
    public var interpolation: Interpolation
    public var colorSpace: ColorSpace
    /// Factor applied to every 8-bit value after colour conversion (1 keeps 0…255).
    public var scale: Float
    /// Added after `scale`.
    public var offset: Float

    public init(crop: CropInsets = .none, size: PixelSize? = nil, interpolation: Interpolation = .area, colorSpace: ColorSpace = .rgb,
                scale: Float = 1, offset: Float = 0) {
        self.crop = crop
        self.size = size
        self.interpolation = interpolation
        self.colorSpace = colorSpace
        self.scale = scale
        self.offset = offset
    }

    /// Parses a scale or offset: a number (`0.00392156862745098`, `-0.5`) or a fraction (`1/255`).
    public static func parseFactor(_ text: String) -> Float? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0?.isFinite == true }) else { return nil }
        let value = parts.count == 2 ? parts[0]! / parts[1]! : parts[0]!
        return value.isFinite ? Float(value) : nil
    }

    /// The crop rectangle and output size for frames of `frameSize`.
    /// - Throws: ``VideoError/invalidOption(_:)`` when the crop leaves no pixels or is negative.
    public func geometry(for frameSize: PixelSize) throws -> PreprocessGeometry {
        let top = crop.top.pixels(of: frameSize.height), bottom = crop.bottom.pixels(of: frameSize.height)
        let left = crop.left.pixels(of: frameSize.width), right = crop.right.pixels(of: frameSize.width)
        guard [top, bottom, left, right].allSatisfy({ $0 >= 0 }) else {
            throw VideoError.invalidOption("crop values must not be negative, got top \(crop.top) bottom \(crop.bottom) left \(crop.left) right \(crop.right)")
        }
        // Each inset within its edge, so the differences cannot overflow (a file may give any integer).
        let fits = top <= frameSize.height && bottom <= frameSize.height && left <= frameSize.width && right <= frameSize.width
        let cropWidth = fits ? frameSize.width - left - right : 0
        let cropHeight = fits ? frameSize.height - top - bottom : 0
        guard cropWidth > 0, cropHeight > 0 else {
            throw VideoError.invalidOption("crop top \(crop.top) bottom \(crop.bottom) left \(crop.left) right \(crop.right) leaves nothing of a \(frameSize) frame")
        }
        let output = size ?? PixelSize(width: cropWidth, height: cropHeight)
        guard output.isReadable else {
            throw VideoError.invalidOption("resize target \(output) must be positive and at most \(FrameReader.maximumSide) a side (\(FrameReader.maximumPixelCount) pixels)")
        }
        return PreprocessGeometry(frameSize: frameSize,
                                  cropOrigin: (left, top),
                                  cropSize: PixelSize(width: cropWidth, height: cropHeight),
                                  outputSize: output)
    }

    /// Crop, resize and colour-convert `frame` to 8-bit pixels of the output size (packed, 3 channels;
    /// 1 for ``ColorSpace/gray``).
    public func apply(to frame: Frame) throws -> [UInt8] {
        let geometry = try geometry(for: PixelSize(width: frame.width, height: frame.height))
        var resized = Resampler.resample(frame.pixels, frameWidth: frame.width, geometry: geometry, interpolation: interpolation)
        ColorConversion.convert(&resized, to: colorSpace)
        return resized
    }

    /// Writes the model input for `frame` as Float32 HWC (`value × scale + offset`, values 0…255 by
    /// default) into `output`, which must hold `height × width × channels` elements.
    public func apply(to frame: Frame, into output: UnsafeMutableBufferPointer<Float>) throws {
        write(try apply(to: frame), into: output)
    }

    /// ``apply(to:into:)`` for a frame of `frameSize` that is never held whole: `blend(firstRow, weights,
    /// out)` writes the resize's vertical pass of one output row, `Σ_j weights[j] · row(firstRow + j)`
    /// over the frame's rows (crop columns, `cropWidth × 3` values 0…255 as Float), summed in order from
    /// `weights[0] · row(firstRow)`. The same result as on the whole frame, for a transform that
    /// computes the rows it is asked for (``Resampler/interpolate(blending:geometry:interpolation:vectorized:)``).
    public func apply(frameSize: PixelSize, blending blend: (_ firstRow: Int, _ weights: [Float], _ out: UnsafeMutablePointer<Float>) -> Void,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        let geometry = try geometry(for: frameSize)
        var resized = Resampler.interpolate(blending: blend, geometry: geometry, interpolation: interpolation)
        ColorConversion.convert(&resized, to: colorSpace)
        write(resized, into: output)
    }

    /// 8-bit model input pixels as Float32, `value × scale + offset`.
    private func write(_ pixels: [UInt8], into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count == pixels.count, "output buffer holds \(output.count) floats, the model input needs \(pixels.count)")
        if scale == 1 && offset == 0 {
            for index in pixels.indices { output[index] = Float(pixels[index]) }
        } else {
            for index in pixels.indices { output[index] = Float(pixels[index]) * scale + offset }
        }
    }
}

/// Where the model input sits in the original frame: the crop rectangle and its resize.
public struct PreprocessGeometry: Sendable, Equatable {
    public let frameSize: PixelSize
    /// Top-left corner of the crop in frame pixels (x, y).
    public let cropX: Int
    public let cropY: Int
    public let cropSize: PixelSize
    public let outputSize: PixelSize

    init(frameSize: PixelSize, cropOrigin: (Int, Int), cropSize: PixelSize, outputSize: PixelSize) {
        self.frameSize = frameSize
        self.cropX = cropOrigin.0
        self.cropY = cropOrigin.1
        self.cropSize = cropSize
        self.outputSize = outputSize
    }

    /// Frame pixels per model-input pixel, horizontally and vertically.
    public var scaleX: Double { Double(cropSize.width) / Double(outputSize.width) }
    public var scaleY: Double { Double(cropSize.height) / Double(outputSize.height) }

    /// The frame coordinate of a model-input coordinate (continuous pixel coordinates: pixel `i` spans
    /// `[i, i+1)`, so input pixel centres `x + 0.5` map to frame pixel centres).
    public func framePoint(x: Double, y: Double) -> (x: Double, y: Double) {
        (Double(cropX) + x * scaleX, Double(cropY) + y * scaleY)
    }

    /// The model-input coordinate of a frame coordinate (inverse of ``framePoint(x:y:)``); values
    /// outside `0..<outputSize` lie outside the crop.
    public func inputPoint(x: Double, y: Double) -> (x: Double, y: Double) {
        ((x - Double(cropX)) / scaleX, (y - Double(cropY)) / scaleY)
    }

    /// The frame rectangle (x, y, width, height in continuous coordinates) covered by a model-input rectangle.
    public func frameRect(x: Double, y: Double, width: Double, height: Double) -> (x: Double, y: Double, width: Double, height: Double) {
        let origin = framePoint(x: x, y: y)
        return (origin.x, origin.y, width * scaleX, height * scaleY)
    }
}
