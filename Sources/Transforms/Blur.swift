import VideoIO

/// DeepTest's `image_blur` (`blur:KIND`): each kind is the OpenCV call DeepTest makes, borders
/// `BORDER_REFLECT_101` except the median (OpenCV's `medianBlur` replicates the edge).
public struct Blur: FrameTransform {
    public enum Kind: String, Sendable, CaseIterable {
        case mean3, mean4, mean5, mean6, gaussian3, gaussian5, gaussian7, median3, median5, bilateral
    }

    public let kind: Kind
    public init(kind: Kind) { self.kind = kind }
    public var specification: String { "blur:\(kind.rawValue)" }

    public func apply(_ frame: Frame) throws -> Frame {
        let pixels: [UInt8]
        switch kind {
        case .mean3: pixels = SeparableFilter.box(size: 3).apply(frame)
        case .mean4: pixels = SeparableFilter.box(size: 4).apply(frame)
        case .mean5: pixels = SeparableFilter.box(size: 5).apply(frame)
        case .mean6: pixels = SeparableFilter.box(size: 6).apply(frame)
        case .gaussian3: pixels = SeparableFilter.gaussian(size: 3).apply(frame)
        case .gaussian5: pixels = SeparableFilter.gaussian(size: 5).apply(frame)
        case .gaussian7: pixels = SeparableFilter.gaussian(size: 7).apply(frame)
        case .median3: pixels = MedianFilter(size: 3).apply(frame)
        case .median5: pixels = MedianFilter(size: 5).apply(frame)
        case .bilateral: pixels = BilateralFilter(diameter: 9, sigmaColor: 75, sigmaSpace: 75).apply(frame)
        }
        return frame.replacingPixels(pixels)
    }
}

/// An integer separable filter `k ⊗ k` with `BORDER_REFLECT_101`, normalised by `(Σk)²`.
///
/// - `box(size:)`: `cv2.blur(image, (k, k))` — anchor at `k/2` (for even k the window is
///   `[x − k/2, x + k/2 − 1]`), the sum over `k²` (exact).
/// - `gaussian(size:)`: `cv2.GaussianBlur(image, (k, k), 0)` — OpenCV's fixed small kernels for σ = 0
///   (`[1 2 1]/4`, `[1 4 6 4 1]/16`, `[2 7 14 18 14 7 2]/64`, exact in its bit-exact 8-bit path) (exact).
///
/// Both round halves up, as OpenCV 5.0's 8-bit paths do; its 4×4 mean rounds up from x.4375
/// (`(sum + 9) / 16`, found against the fixtures on the demo frame and on noise; every other size is
/// `(sum + divisor/2) / divisor`).
struct SeparableFilter {
    let kernel: [Int]
    let anchor: Int

    /// Added to the sum before the division.
    var bias: Int? = nil

    static func box(size: Int) -> SeparableFilter {
        SeparableFilter(kernel: [Int](repeating: 1, count: size), anchor: size / 2, bias: size == 4 ? 9 : nil)
    }

    static func gaussian(size: Int) -> SeparableFilter {
        let kernels = [3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 7: [2, 7, 14, 18, 14, 7, 2]]
        return SeparableFilter(kernel: kernels[size]!, anchor: size / 2)
    }

    func apply(_ frame: Frame) -> [UInt8] {
        let width = frame.width, height = frame.height, size = kernel.count
        let columnTaps = (0..<width).map { x in (0..<size).map { reflect101(x - anchor + $0, width) } }
        let rowTaps = (0..<height).map { y in (0..<size).map { reflect101(y - anchor + $0, height) } }
        var horizontal = [Int32](repeating: 0, count: frame.pixels.count)
        frame.pixels.withUnsafeBufferPointer { source in
            horizontal.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let row = y * width * 3
                    for x in 0..<width {
                        let taps = columnTaps[x]
                        var r: Int32 = 0, g: Int32 = 0, b: Int32 = 0
                        for k in 0..<size {
                            let at = row + taps[k] * 3, weight = Int32(kernel[k])
                            r += Int32(source[at]) * weight; g += Int32(source[at + 1]) * weight; b += Int32(source[at + 2]) * weight
                        }
                        let out = row + x * 3
                        target[out] = r; target[out + 1] = g; target[out + 2] = b
                    }
                }
            }
        }
        let total = kernel.reduce(0, +), divisor = total * total, rounding = bias ?? divisor / 2
        var output = [UInt8](repeating: 0, count: frame.pixels.count)
        let rowLength = width * 3
        horizontal.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let taps = rowTaps[y], out = y * rowLength
                    for i in 0..<rowLength {
                        var sum = 0
                        for k in 0..<size { sum += Int(source[taps[k] * rowLength + i]) * kernel[k] }
                        target[out + i] = UInt8(clamping: (sum + rounding) / divisor)
                    }
                }
            }
        }
        return output
    }
}

/// `cv2.medianBlur(image, k)`: the median of the k×k window per channel, edges replicated (exact).
struct MedianFilter {
    let size: Int

    func apply(_ frame: Frame) -> [UInt8] {
        let width = frame.width, height = frame.height, radius = size / 2
        var output = [UInt8](repeating: 0, count: frame.pixels.count)
        let middle = size * size / 2
        frame.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                var window = [UInt8](repeating: 0, count: size * size)
                for y in 0..<height {
                    for x in 0..<width {
                        for channel in 0..<3 {
                            var count = 0
                            for dy in -radius...radius {
                                let row = min(max(y + dy, 0), height - 1) * width
                                for dx in -radius...radius {
                                    // Insertion sort as the window fills (at most 25 values).
                                    let value = source[(row + min(max(x + dx, 0), width - 1)) * 3 + channel]
                                    var slot = count
                                    while slot > 0 && window[slot - 1] > value { window[slot] = window[slot - 1]; slot -= 1 }
                                    window[slot] = value
                                    count += 1
                                }
                            }
                            target[(y * width + x) * 3 + channel] = window[middle]
                        }
                    }
                }
            }
        }
        return output
    }
}
