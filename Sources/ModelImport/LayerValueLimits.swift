/// The bounds a model file's layer settings must keep, shared by the Keras and ONNX importers: with
/// every window extent and padding amount in 0…65536, a layer's `input ± before ± after`,
/// `(input − extent) / stride` and `(input − 1) · stride + extent` cannot overflow, whatever a crafted
/// file holds (`strides: [9223372036854775807, 1]` once trapped there).
enum LayerValueLimits {
    /// A window's extent, stride or dilation, or a size in pixels: 1…65536.
    static let extents = 1...(1 << 16)
    /// Padding, cropping or output padding on one side: 0…65536.
    static let amounts = 0...(1 << 16)

    /// The ranges as error messages write them: `1…65536`, `0…65536`.
    static let extentsText = text(extents), amountsText = text(amounts)

    private static func text(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)…\(range.upperBound)" }
}
