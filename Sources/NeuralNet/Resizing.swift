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
    private var rowTaps = FlatTaps([]), columnTaps = FlatTaps([])
    /// Separable kernels: the factor applied last (area: TF's `1 / (heightScale · widthScale)`, else 1).
    private var separableScale: Float = 1
    private var recycledOutput: Tensor?

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
        rowTaps = FlatTaps(method.taps(input: shape[1], output: height))
        columnTaps = FlatTaps(method.taps(input: shape[2], output: width))
        separableScale = method.finalScale(inputHeight: shape[1], inputWidth: shape[2], height: height, width: width)
    }

    /// Images of the batch on every lane (each image's sums in the same order whichever lane runs it).
    private static func forEachImage(_ batch: Int, imageSize: Int, _ body: (Int) -> Void) {
        forEachLaneShare(of: batch, itemSize: imageSize) { images in images.forEach(body) }
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        prepare(for: input.shape)
        let (batch, inHeight, inWidth, channels) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let rowTaps = rowTaps, columnTaps = columnTaps, separableScale = separableScale
        let bilinear = method.isBilinear
        let (height, width) = (height, width)
        return Tensor(shape: [batch, height, width, channels], recycling: &recycledOutput) { out in
            input.scalars.withUnsafeBufferPointer { x in
                Self.forEachImage(batch, imageSize: height * width * channels) { n in
                    let image = x.baseAddress! + n * inHeight * inWidth * channels
                    var o = out.baseAddress! + n * height * width * channels
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * channels) { sums in
                        let total = sums.baseAddress!, rowSum = total + channels
                        for oy in 0..<height {
                            let ys = rowTaps.range(oy)
                            for ox in 0..<width {
                                let xs = columnTaps.range(ox)
                                if bilinear {
                                    let corners = BilinearCorners(rows: rowTaps, ys, columns: columnTaps, xs, inWidth: inWidth, channels: channels)
                                    let (xLerp, yLerp) = (corners.xLerp, corners.yLerp)
                                    let (tl, tr, bl, br) = (image + corners.topLeft, image + corners.topRight, image + corners.bottomLeft, image + corners.bottomRight)
                                    for c in 0..<channels {
                                        let topValue = tl[c] + (tr[c] - tl[c]) * xLerp
                                        let bottomValue = bl[c] + (br[c] - bl[c]) * xLerp
                                        o[c] = topValue + (bottomValue - topValue) * yLerp
                                    }
                                } else {
                                    total.update(repeating: 0, count: channels)
                                    for t in ys {
                                        let (iy, wy) = (rowTaps.index[t], rowTaps.weight[t])
                                        rowSum.update(repeating: 0, count: channels)
                                        for u in xs {
                                            let p = image + (iy * inWidth + columnTaps.index[u]) * channels, wx = columnTaps.weight[u]
                                            for c in 0..<channels { rowSum[c] += p[c] * wx }
                                        }
                                        for c in 0..<channels { total[c] += rowSum[c] * wy }
                                    }
                                    for c in 0..<channels { o[c] = total[c] * separableScale }
                                }
                                o += channels
                            }
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
        let (height, width) = (height, width)
        return Tensor(shape: inputShape) { dxBuffer in
            outputGradient.scalars.withUnsafeBufferPointer { dyBuffer in
                Self.forEachImage(batch, imageSize: inHeight * inWidth * channels) { n in
                    let dx = dxBuffer.baseAddress! + n * inHeight * inWidth * channels
                    dx.update(repeating: 0, count: inHeight * inWidth * channels)
                    var dy = dyBuffer.baseAddress! + n * height * width * channels
                    for oy in 0..<height {
                        let ys = rowTaps.range(oy)
                        for ox in 0..<width {
                            let xs = columnTaps.range(ox)
                            if bilinear {
                                let corners = BilinearCorners(rows: rowTaps, ys, columns: columnTaps, xs, inWidth: inWidth, channels: channels)
                                let (xLerp, yLerp) = (corners.xLerp, corners.yLerp)
                                let (tl, tr, bl, br) = (dx + corners.topLeft, dx + corners.topRight, dx + corners.bottomLeft, dx + corners.bottomRight)
                                for c in 0..<channels {
                                    // Adjoint of out = (1−yλ)((1−xλ)tl + xλ·tr) + yλ((1−xλ)bl + xλ·br).
                                    let g = dy[c]
                                    let gTop = g * (1 - yLerp), gBottom = g * yLerp
                                    tl[c] += gTop * (1 - xLerp)
                                    tr[c] += gTop * xLerp
                                    bl[c] += gBottom * (1 - xLerp)
                                    br[c] += gBottom * xLerp
                                }
                            } else {
                                for t in ys {
                                    let (iy, wy) = (rowTaps.index[t], rowTaps.weight[t])
                                    for u in xs {
                                        let w = separableScale * wy * columnTaps.weight[u]
                                        let p = dx + (iy * inWidth + columnTaps.index[u]) * channels
                                        for c in 0..<channels { p[c] += dy[c] * w }
                                    }
                                }
                            }
                            dy += channels
                        }
                    }
                }
            }
        }
    }

    /// A bilinear output pixel's four taps, as element offsets into its image, and its two lerp fractions.
    private struct BilinearCorners {
        let topLeft: Int, topRight: Int, bottomLeft: Int, bottomRight: Int
        let xLerp: Float, yLerp: Float

        /// `ys`, `xs`: the pixel's row and column taps (`[lower, upper]`, the lerp as the weight of both).
        init(rows: FlatTaps, _ ys: Range<Int>, columns: FlatTaps, _ xs: Range<Int>, inWidth: Int, channels: Int) {
            let (top, bottom) = (rows.index[ys.lowerBound], rows.index[ys.lowerBound + 1])
            let (left, right) = (columns.index[xs.lowerBound], columns.index[xs.lowerBound + 1])
            (topLeft, topRight) = ((top * inWidth + left) * channels, (top * inWidth + right) * channels)
            (bottomLeft, bottomRight) = ((bottom * inWidth + left) * channels, (bottom * inWidth + right) * channels)
            (xLerp, yLerp) = (columns.weight[xs.lowerBound], rows.weight[ys.lowerBound])
        }
    }

    /// ``Taps`` of every output coordinate in two flat arrays: coordinate `i`'s taps are `range(i)`.
    private struct FlatTaps {
        let index: [Int], weight: [Float]
        private let starts: [Int]

        init(_ taps: [Taps]) {
            index = taps.flatMap { $0.map(\.index) }
            weight = taps.flatMap { $0.map(\.weight) }
            starts = taps.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        }

        func range(_ coordinate: Int) -> Range<Int> { starts[coordinate]..<starts[coordinate + 1] }
    }
}
