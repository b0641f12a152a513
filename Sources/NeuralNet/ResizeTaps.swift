import Foundation

/// How ``Resizing`` maps output pixels to input pixels, one case per TensorFlow kernel and flag set.
///
/// `scale = Float(in) / Float(out)`, or `(in − 1) / (out − 1)` with `align_corners=True` and `out > 1`
/// (TF `CalculateResizeScale`). Source coordinates: legacy `src = dst·scale`; half-pixel
/// `src = (dst + 0.5)·scale − 0.5` (nearest: `(dst + 0.5)·scale`).
/// Reference: TensorFlow `core/kernels/image/image_resizer_state.h`, `resize_bilinear_op.cc`,
/// `resize_nearest_neighbor_op.cc`, `resize_bicubic_op.cc`, `resize_area_op.cc`.
public enum ResizeMethod: String, Sendable, Hashable, CaseIterable {
    /// TF1 `resize_bilinear(align_corners=False, half_pixel_centers=False)`:
    /// lower `floor(src)`, upper `min(ceil(src), in − 1)`.
    case bilinearLegacy
    /// TF1 `resize_bilinear(align_corners=True)`.
    case bilinearAlignCorners
    /// Keras `Resizing` / TF2 `tf.image.resize(method="bilinear")`: half-pixel centres,
    /// lower `max(floor(src), 0)`, upper `min(ceil(src), in − 1)`.
    case bilinearHalfPixel
    /// TF1 `resize_nearest_neighbor`: `min(floor(dst·scale), in − 1)`.
    case nearestLegacy
    /// TF1 nearest with `align_corners=True`: `min(round(dst·scale), in − 1)` (`roundf`: halves away from zero).
    case nearestAlignCorners
    /// TF2 `method="nearest"`: `max(min(floor((dst + 0.5)·scale), in − 1), 0)`.
    case nearestHalfPixel
    /// TF1 `resize_bicubic`: Keys cubic with a = −0.75, four taps clamped to the image.
    case bicubicLegacy
    /// TF1 bicubic with `align_corners=True`.
    case bicubicAlignCorners
    /// TF2 `method="bicubic"`: a = −0.5, half-pixel centres, taps outside the image get weight 0 and
    /// the rest are renormalised to sum to 1.
    case bicubicHalfPixel
    /// TF `resize_area` (`align_corners=False`): box filter with fractional coverage of input pixels.
    case area
    /// TF1 `resize_area(align_corners=True)`: the same with the align-corners scale.
    case areaAlignCorners

    /// Bilinear kernels run TF's lerp arithmetic; the others are separable weighted sums.
    var isBilinear: Bool { self == .bilinearLegacy || self == .bilinearAlignCorners || self == .bilinearHalfPixel }

    private var alignsCorners: Bool {
        self == .bilinearAlignCorners || self == .nearestAlignCorners || self == .bicubicAlignCorners || self == .areaAlignCorners
    }

    /// TF's scale along one axis.
    func scale(input: Int, output: Int) -> Float {
        alignsCorners && output > 1 ? Float(input - 1) / Float(output - 1) : Float(input) / Float(output)
    }

    /// The input taps of every output coordinate along one axis.
    func taps(input: Int, output: Int) -> [Resizing.Taps] {
        let scale = scale(input: input, output: output)
        switch self {
        case .bilinearLegacy, .bilinearAlignCorners, .bilinearHalfPixel:
            return Self.bilinearTaps(input: input, output: output, scale: scale, halfPixel: self == .bilinearHalfPixel)
        case .nearestLegacy, .nearestAlignCorners, .nearestHalfPixel:
            return (0..<output).map { o in
                let index: Int
                switch self {
                case .nearestAlignCorners: index = min(Int((Float(o) * scale).rounded(.toNearestOrAwayFromZero)), input - 1)
                case .nearestHalfPixel: index = max(min(Int(((Float(o) + 0.5) * scale).rounded(.down)), input - 1), 0)
                default: index = min(Int((Float(o) * scale).rounded(.down)), input - 1)
                }
                return [(index, 1)]
            }
        case .bicubicLegacy, .bicubicAlignCorners, .bicubicHalfPixel:
            return Self.bicubicTaps(input: input, output: output, scale: scale, halfPixel: self == .bicubicHalfPixel)
        case .area, .areaAlignCorners:
            return Self.areaTaps(input: input, output: output, scale: scale)
        }
    }

    /// The factor separable kernels apply after the weighted sums (area: `1 / (hs·ws)`, others 1).
    func finalScale(inputHeight: Int, inputWidth: Int, height: Int, width: Int) -> Float {
        guard self == .area || self == .areaAlignCorners else { return 1 }
        return Float(1.0 / Double(scale(input: inputHeight, output: height) * scale(input: inputWidth, output: width)))
    }

    /// Bilinear taps: `[lower, upper]` with the lerp as weight of both (see ``Resizing`` forward).
    static func bilinearTaps(input: Int, output: Int, scale: Float, halfPixel: Bool) -> [Resizing.Taps] {
        (0..<output).map { i in
            let source = halfPixel ? (Float(i) + 0.5) * scale - 0.5 : Float(i) * scale
            let floorSource = source.rounded(.down)
            let lower = max(Int(floorSource), 0)
            let upper = min(Int(source.rounded(.up)), input - 1)
            let lerp = source - floorSource
            return [(lower, lerp), (upper, lerp)]
        }
    }

    /// Area taps, as TF's `ResizeAreaOp` computes them (Float32, bounded indices).
    static func areaTaps(input: Int, output: Int, scale: Float) -> [Resizing.Taps] {
        (0..<output).map { o in
            let start = Float(o) * scale
            let end = Float(o + 1) * scale
            let first = Int(start.rounded(.down))
            let last = Int(end.rounded(.up))
            var taps: Resizing.Taps = []
            for i in first..<max(last, first + 1) {
                let weight: Float
                if Float(i) < start {
                    weight = Float(i + 1) > end ? scale : Float(i + 1) - start
                } else {
                    weight = Float(i + 1) > end ? end - Float(i) : 1
                }
                taps.append((min(max(i, 0), input - 1), weight))
            }
            return taps
        }
    }

    /// TF's bicubic coefficient tables (`kTableSize` = 1024 steps of the fraction): entry `2i` is the
    /// weight of a tap at distance `i/1024`, entry `2i + 1` at distance `1 + i/1024`, computed in
    /// Double and stored as Float like `InitCoeffsTable`.
    private static func coefficientTable(a: Double) -> [Float] {
        var table = [Float](repeating: 0, count: (tableSize + 1) * 2)
        for i in 0...tableSize {
            var x = Double(Float(Double(i) * 1.0 / Double(tableSize)))
            table[i * 2] = Float(((a + 2) * x - (a + 3)) * x * x + 1)
            x += 1.0
            table[i * 2 + 1] = Float(((a * x - 5 * a) * x + 8 * a) * x - 4 * a)
        }
        return table
    }

    private static let tableSize = 1 << 10
    private static let legacyCubic = coefficientTable(a: -0.75)
    private static let keysCubic = coefficientTable(a: -0.5)

    /// Bicubic taps (`GetWeightsAndIndices`): `in_loc = floor(src)`, fraction quantised to 1/1024 with
    /// `lrintf`, taps `in_loc − 1 … in_loc + 2` clamped to the image; half-pixel (Keys) zeroes clamped
    /// taps and renormalises.
    static func bicubicTaps(input: Int, output: Int, scale: Float, halfPixel: Bool) -> [Resizing.Taps] {
        let table = halfPixel ? keysCubic : legacyCubic
        return (0..<output).map { o in
            let source = halfPixel ? (Float(o) + 0.5) * scale - 0.5 : Float(o) * scale
            let location = Int(source.rounded(.down))
            let delta = source - Float(location)
            let offset = Int((delta * Float(tableSize)).rounded(.toNearestOrEven))
            var weights = [table[offset * 2 + 1], table[offset * 2], table[(tableSize - offset) * 2], table[(tableSize - offset) * 2 + 1]]
            var indices: [Int] = []
            for k in 0..<4 {
                let wanted = location - 1 + k
                let bounded = min(max(wanted, 0), input - 1)
                indices.append(bounded)
                if halfPixel, bounded != wanted { weights[k] = 0 }
            }
            if halfPixel {
                let sum = weights[0] + weights[1] + weights[2] + weights[3]
                if abs(sum) >= 1000 * Float.leastNormalMagnitude {
                    let inverse = 1 / sum
                    for k in 0..<4 { weights[k] *= inverse }
                }
            }
            return (0..<4).map { (indices[$0], weights[$0]) }
        }
    }
}

extension Resizing {
    /// One output coordinate's contributions along one axis: `(input index, weight)`. Bilinear taps are
    /// `[lower, upper]` with the lerp fraction as the weight of both; the others are plain weights.
    typealias Taps = [(index: Int, weight: Float)]
}
