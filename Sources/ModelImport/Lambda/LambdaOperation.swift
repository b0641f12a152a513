import NeuralNet

/// One step of what a Keras Lambda layer computes, on an NHWC float32 batch.
///
/// A Lambda resolves to a sequence of these, applied in order; `[.identity]` means it passes its
/// input through. ``description`` prints the step in the `--lambda` expression language
/// (see ``LambdaExpression``), so that printing and parsing round-trip.
public enum LambdaOperation: Sendable, Equatable, CustomStringConvertible {
    /// y = x.
    case identity
    /// y = x · scale + offset, element-wise. The Python lambda's constants are combined in Double and
    /// rounded once to Float, so `x / 127.5 - 1` becomes scale = Float(1/127.5), offset = −1; this can
    /// differ from TensorFlow's float32 division `x / 127.5` in the last bit.
    case affine(scale: Float, offset: Float)
    /// Resize every image to height × width (batch and channels unchanged).
    case resize(height: Int, width: Int, method: ResizeMethod)
    /// `x[:, rows, columns, :]`: keep the given rows and columns (Python slice bounds, step 1).
    case crop(rows: PythonSlice, columns: PythonSlice)
    /// Nearest-neighbour upscaling by whole factors (`K.resize_images(x, rows, columns, 'channels_last')`):
    /// every pixel repeated `rows` × `columns` times.
    case upsample(rows: Int, columns: Int)
    /// Any other per-image computation: element-wise arithmetic with scalars or per-channel arrays,
    /// `K.min`/`K.max`/`K.mean`/`K.sum`, activations, colour conversions, standardisation (see
    /// ``NeuralNet/TensorExpression``), e.g. `(x-min(x))/(max(x)-min(x))`.
    case tensor(TensorExpression)

    public var description: String {
        switch self {
        case .identity:
            return "identity"
        case .affine(let scale, let offset):
            var text = scale == 1 ? "x" : scale == -1 ? "-x" : "x*\(scale)"
            if offset != 0 { text += offset < 0 ? "-\(-offset)" : "+\(offset)" }
            return text
        case .resize(let height, let width, let method):
            return "resize(\(height),\(width),\(method.rawValue))"
        case .crop(let rows, let columns):
            func bound(_ value: Int?) -> String { value.map(String.init) ?? "" }
            return "crop(\(bound(rows.start)),\(bound(rows.stop)),\(bound(columns.start)),\(bound(columns.stop)))"
        case .upsample(let rows, let columns):
            return "upsample(\(rows),\(columns))"
        case .tensor(let expression):
            return expression.description
        }
    }
}

/// A Python slice `start:stop` with step 1: bounds may be negative (counted from the end) or
/// absent (`nil`: from the beginning / to the end), exactly as in `x[:, 60:-25, :, :]`.
public struct PythonSlice: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var start: Int?
    public var stop: Int?

    public init(start: Int?, stop: Int?) {
        self.start = start
        self.stop = stop
    }

    /// `:` — everything.
    public static let all = PythonSlice(start: nil, stop: nil)

    /// The indices the slice selects from an axis of `count` elements (Python's `slice.indices`
    /// for step 1: negative bounds count from the end, bounds are clamped, an inverted slice is empty).
    public func range(count: Int) -> Range<Int> {
        func clamp(_ bound: Int?, default value: Int) -> Int {
            guard let bound else { return value }
            return bound < 0 ? max(0, count + bound) : min(bound, count)
        }
        let lower = clamp(start, default: 0)
        let upper = clamp(stop, default: count)
        return lower..<max(lower, upper)
    }

    /// `60:-25`, `:`, `10:`.
    public var description: String {
        "\(start.map(String.init) ?? ""):\(stop.map(String.init) ?? "")"
    }
}

/// How an image is resampled, named by the TensorFlow call whose exact arithmetic it stands for.
///
/// TF1's `tf.image.resize_images` / `resize_bilinear` default to `align_corners=False,
/// half_pixel_centers=False` (sample at `dst · in/out`); TF2's `tf.image.resize` uses half-pixel
/// centres (sample at `(dst + 0.5) · in/out − 0.5`). The two give visibly different pixels, so they
/// are different methods here. The raw value is the name used in `--lambda ...resize(h,w,METHOD)`.
/// Reference: TensorFlow `tensorflow/core/kernels/image/image_resizer_state.h`.
public enum ResizeMethod: String, Sendable, Equatable, CaseIterable {
    /// TF2 `tf.image.resize(method='bilinear')`, Keras `Resizing`: half-pixel centres.
    case bilinearHalfPixel = "bilinear"
    /// TF1 `tf.image.resize_images` default: `align_corners=False`, `half_pixel_centers=False`.
    case bilinearTF1 = "bilinear_tf1"
    /// TF1 with `align_corners=True`.
    case bilinearTF1AlignCorners = "bilinear_tf1_align_corners"
    /// TF2 `method='nearest'`: source index `floor((dst + 0.5) · in/out)`.
    case nearestHalfPixel = "nearest"
    /// TF1 `ResizeMethod.NEAREST_NEIGHBOR`: `floor(dst · in/out)`.
    case nearestTF1 = "nearest_tf1"
    /// TF1 nearest with `align_corners=True`.
    case nearestTF1AlignCorners = "nearest_tf1_align_corners"
    /// `ResizeMethod.AREA` (same arithmetic in TF1 and TF2).
    case area = "area"
    /// TF1 `resize_area(align_corners=True)`: the same box filter with scale `(in − 1)/(out − 1)`.
    case areaTF1AlignCorners = "area_tf1_align_corners"
    /// TF2 `method='bicubic'`: half-pixel centres, Keys cubic a = −0.5.
    case bicubicHalfPixel = "bicubic"
    /// TF1 `ResizeMethod.BICUBIC`: `align_corners=False`, `half_pixel_centers=False`, a = −0.75.
    case bicubicTF1 = "bicubic_tf1"
    /// TF1 bicubic with `align_corners=True`.
    case bicubicTF1AlignCorners = "bicubic_tf1_align_corners"
}
