import Foundation

/// Resizes images to `(height, width)` with TensorFlow's kernels (Keras `Resizing`, resolved resize
/// `Lambda` layers).
///
/// Layout: `[N, H, W, C] → [N, height, width, C]`. The arithmetic follows TensorFlow's CPU kernels
/// (`resize_bilinear_op.cc`: `top = tl + (tr − tl)·xλ`, `bottom = bl + (br − bl)·xλ`,
/// `out = top + (bottom − top)·yλ`; `resize_area_op.cc`: per-row weighted sums, then `· 1/(hs·ws)`;
/// nearest and bicubic as separable weighted sums of the taps in ``ResizeMethod/taps(input:output:)``),
/// in Float32. Backward is the exact linear adjoint (scatter of the same weights); TensorFlow registers
/// no gradient for `ResizeArea`, and this adjoint is what its Jacobian transpose is.
public final class Resizing: UnaryLayer {
    public let name: String
    public let height: Int
    public let width: Int
    public let method: ResizeMethod
    public var typeName: String { "Resizing" }
    public var parameterCount: Int { 0 }

    private var inputShape: [Int]?
    private var rowTaps: [Taps] = []
    private var columnTaps: [Taps] = []
    /// Separable kernels: the factor applied last (area: TF's `1 / (heightScale · widthScale)`, else 1).
    private var separableScale: Float = 1

    public init(name: String = "resizing", height: Int, width: Int, method: ResizeMethod) throws {
        guard height > 0, width > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "target size \(height)x\(width) must be positive")
        }
        self.name = name
        self.height = height
        self.width = width
        self.method = method
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 3, shape[0] > 0, shape[1] > 0 else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects an image [H, W, C], got \(describe(shape))")
        }
        return [height, width, shape[2]]
    }

    private func prepare(for shape: [Int]) {
        guard shape != inputShape else { return }
        inputShape = shape
        rowTaps = method.taps(input: shape[1], output: height)
        columnTaps = method.taps(input: shape[2], output: width)
        separableScale = method.finalScale(inputHeight: shape[1], inputWidth: shape[2], height: height, width: width)
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        prepare(for: input.shape)
        let (batch, inHeight, inWidth, channels) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let rowTaps = rowTaps, columnTaps = columnTaps, separableScale = separableScale
        let bilinear = method.isBilinear
        let (height, width) = (height, width)
        return Tensor(shape: [batch, height, width, channels]) { out in
            input.scalars.withUnsafeBufferPointer { x in
                var total = [Float](repeating: 0, count: channels)
                var rowSum = [Float](repeating: 0, count: channels)
                var o = 0
                for n in 0..<batch {
                    let image = n * inHeight * inWidth * channels
                    for oy in 0..<height {
                        let ys = rowTaps[oy]
                        for ox in 0..<width {
                            let xs = columnTaps[ox]
                            if bilinear {
                                let (top, bottom, yLerp) = (ys[0].index, ys[1].index, ys[0].weight)
                                let (left, right, xLerp) = (xs[0].index, xs[1].index, xs[0].weight)
                                let tl = image + (top * inWidth + left) * channels, tr = image + (top * inWidth + right) * channels
                                let bl = image + (bottom * inWidth + left) * channels, br = image + (bottom * inWidth + right) * channels
                                for c in 0..<channels {
                                    let topValue = x[tl + c] + (x[tr + c] - x[tl + c]) * xLerp
                                    let bottomValue = x[bl + c] + (x[br + c] - x[bl + c]) * xLerp
                                    out[o + c] = topValue + (bottomValue - topValue) * yLerp
                                }
                            } else {
                                for c in 0..<channels { total[c] = 0 }
                                for (iy, wy) in ys {
                                    for c in 0..<channels { rowSum[c] = 0 }
                                    for (ix, wx) in xs {
                                        let p = image + (iy * inWidth + ix) * channels
                                        for c in 0..<channels { rowSum[c] += x[p + c] * wx }
                                    }
                                    for c in 0..<channels { total[c] += rowSum[c] * wy }
                                }
                                for c in 0..<channels { out[o + c] = total[c] * separableScale }
                            }
                            o += channels
                        }
                    }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        let (batch, inHeight, inWidth, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        precondition(outputGradient.shape == [batch, height, width, channels], "\(name): gradient shape \(outputGradient.shape) does not match the output")
        let rowTaps = rowTaps, columnTaps = columnTaps, separableScale = separableScale
        let bilinear = method.isBilinear
        var result = Tensor(zeros: inputShape)
        result.scalars.withUnsafeMutableBufferPointer { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                var o = 0
                for n in 0..<batch {
                    let image = n * inHeight * inWidth * channels
                    for oy in 0..<height {
                        let ys = rowTaps[oy]
                        for ox in 0..<width {
                            let xs = columnTaps[ox]
                            if bilinear {
                                let (top, bottom, yLerp) = (ys[0].index, ys[1].index, ys[0].weight)
                                let (left, right, xLerp) = (xs[0].index, xs[1].index, xs[0].weight)
                                let tl = image + (top * inWidth + left) * channels, tr = image + (top * inWidth + right) * channels
                                let bl = image + (bottom * inWidth + left) * channels, br = image + (bottom * inWidth + right) * channels
                                for c in 0..<channels {
                                    // Adjoint of out = (1−yλ)((1−xλ)tl + xλ·tr) + yλ((1−xλ)bl + xλ·br).
                                    let g = dy[o + c]
                                    let gTop = g * (1 - yLerp), gBottom = g * yLerp
                                    dx[tl + c] += gTop * (1 - xLerp)
                                    dx[tr + c] += gTop * xLerp
                                    dx[bl + c] += gBottom * (1 - xLerp)
                                    dx[br + c] += gBottom * xLerp
                                }
                            } else {
                                for (iy, wy) in ys {
                                    for (ix, wx) in xs {
                                        let w = separableScale * wy * wx
                                        let p = image + (iy * inWidth + ix) * channels
                                        for c in 0..<channels { dx[p + c] += dy[o + c] * w }
                                    }
                                }
                            }
                            o += channels
                        }
                    }
                }
            }
        }
        return result
    }
}
