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
    /// The bilinear methods' taps per output row and element (`nil` for the others).
    private var bilinear: BilinearPlan?
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
        bilinear = method.isBilinear ? BilinearPlan(rows: rowTaps, columns: columnTaps, width: width, inWidth: shape[2], channels: shape[3]) : nil
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
        let (height, width) = (height, width)
        if let bilinear {
            return Tensor(shape: [batch, height, width, channels], recycling: &recycledOutput) { out in
                input.scalars.withUnsafeBufferPointer { x in
                    Self.forEachImage(batch, imageSize: height * width * channels) { n in
                        bilinear.forward(image: x.baseAddress! + n * inHeight * inWidth * channels, into: out.baseAddress! + n * height * width * channels)
                    }
                }
            }
        }
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
        let rowTaps = rowTaps, columnTaps = columnTaps, separableScale = separableScale, bilinear = bilinear
        let (height, width) = (height, width)
        return Tensor(shape: inputShape) { dxBuffer in
            outputGradient.scalars.withUnsafeBufferPointer { dyBuffer in
                Self.forEachImage(batch, imageSize: inHeight * inWidth * channels) { n in
                    let dx = dxBuffer.baseAddress! + n * inHeight * inWidth * channels
                    dx.update(repeating: 0, count: inHeight * inWidth * channels)
                    var dy = dyBuffer.baseAddress! + n * height * width * channels
                    if let bilinear { return bilinear.backward(outputGradient: dy, into: dx) }
                    for oy in 0..<height {
                        let ys = rowTaps.range(oy)
                        for ox in 0..<width {
                            for t in ys {
                                let (iy, wy) = (rowTaps.index[t], rowTaps.weight[t])
                                for u in columnTaps.range(ox) {
                                    let w = separableScale * wy * columnTaps.weight[u]
                                    let p = dx + (iy * inWidth + columnTaps.index[u]) * channels
                                    for c in 0..<channels { p[c] += dy[c] * w }
                                }
                            }
                            dy += channels
                        }
                    }
                }
            }
        }
    }

    /// The bilinear methods' taps laid out for one image's pass: per output row the element offsets of
    /// its top and bottom input rows and `yλ`; per element `ox·C + c` of an output row the offsets of its
    /// left and right taps within an input row and `xλ`. Forward and backward run TensorFlow's arithmetic
    /// over these flat arrays, element by element in memory order.
    private struct BilinearPlan {
        let rowCount: Int, rowLength: Int
        let top: [Int], bottom: [Int], yLerp: [Float]
        let left: [Int], right: [Int], xLerp: [Float]

        /// `rows`, `columns`: each output coordinate's `[lower, upper]` taps, the lerp as both weights.
        init(rows: FlatTaps, columns: FlatTaps, width: Int, inWidth: Int, channels: Int) {
            rowCount = rows.coordinateCount
            rowLength = width * channels
            let rowStarts = (0..<rowCount).map { rows.range($0).lowerBound }
            top = rowStarts.map { rows.index[$0] * inWidth * channels }
            bottom = rowStarts.map { rows.index[$0 + 1] * inWidth * channels }
            yLerp = rowStarts.map { rows.weight[$0] }
            let elements = (0..<(width * channels)).map { (tap: columns.range($0 / channels).lowerBound, channel: $0 % channels) }
            left = elements.map { columns.index[$0.tap] * channels + $0.channel }
            right = elements.map { columns.index[$0.tap + 1] * channels + $0.channel }
            xLerp = elements.map { columns.weight[$0.tap] }
        }

        /// One image `[H, W, C]` resized into `out` (`[height, width, C]`): `top = tl + (tr − tl)·xλ`,
        /// `bottom = bl + (br − bl)·xλ`, `out = top + (bottom − top)·yλ`.
        func forward(image: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            withElementTaps { left, right, xLerp in
                for oy in 0..<rowCount {
                    let (upper, lower, y) = (image + top[oy], image + bottom[oy], yLerp[oy])
                    let o = out + oy * rowLength
                    for e in 0..<rowLength {
                        let (l, r, x) = (left[e], right[e], xLerp[e])
                        let topValue = upper[l] + (upper[r] - upper[l]) * x
                        let bottomValue = lower[l] + (lower[r] - lower[l]) * x
                        o[e] = topValue + (bottomValue - topValue) * y
                    }
                }
            }
        }

        /// The adjoint of ``forward(image:into:)`` for one image: each output element's gradient `g` adds
        /// `g(1−yλ)(1−xλ)`, `g(1−yλ)xλ`, `g·yλ(1−xλ)`, `g·yλ·xλ` to its four taps in `dx` (zeroed by the caller).
        func backward(outputGradient dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
            withElementTaps { left, right, xLerp in
                for oy in 0..<rowCount {
                    let (upper, lower, y) = (dx + top[oy], dx + bottom[oy], yLerp[oy])
                    let g = dy + oy * rowLength
                    for e in 0..<rowLength {
                        let (l, r, x) = (left[e], right[e], xLerp[e])
                        let gTop = g[e] * (1 - y), gBottom = g[e] * y
                        upper[l] += gTop * (1 - x)
                        upper[r] += gTop * x
                        lower[l] += gBottom * (1 - x)
                        lower[r] += gBottom * x
                    }
                }
            }
        }

        /// The per-element tables without bounds checks.
        private func withElementTaps(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Float>) -> Void) {
            left.withUnsafeBufferPointer { left in
                right.withUnsafeBufferPointer { right in
                    xLerp.withUnsafeBufferPointer { body(left, right, $0) }
                }
            }
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

        /// Output coordinates.
        var coordinateCount: Int { starts.count - 1 }
    }
}
