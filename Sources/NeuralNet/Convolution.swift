/// 2-D cross-correlation (Keras `Conv2D` / `Convolution2D`), with optional bias and fused activation.
///
/// Layouts: input `[N, H, W, Cin]`, output `[N, OH, OW, Cout]` (NHWC); `kernel` is `[KH, KW, Cin, Cout]`
/// exactly as Keras stores it (no flip), `bias` is `[Cout]`. Padding follows TensorFlow (see ``Padding``).
///
/// Forward: im2col into an `M × K` matrix (`M = OH·OW` rows per item, `K = KH·KW·Cin` columns in kernel
/// order) and `sgemm` with the kernel viewed as `K × Cout`, then bias + activation fused on the fresh
/// rows. A 1×1, stride-1 convolution skips im2col; so, on AVX-512, does a first layer (1–4 input
/// channels, no padding), which sums straight from the images in `sgemm`'s order (``VectorKernels``),
/// a 3×3 stride-1 or 5×5/6×6 stride-2 layer where Winograd F(4×4, 3×3) saves enough multiplies
/// (``WinogradConvolution``, rounded differently from `sgemm`), and a layer whose output rows fill 16-pixel
/// vectors, which sums from a planar copy of its input in `sgemm`'s order and depth blocks
/// (``PixelConvolution``). Backward to
/// the input: `dZ = dY ⊙ act′(Y)`, `dCols = dZ · Wᵀ` (`sgemm`) then col2im (scatter-add); a direct first
/// layer adds `dZ · Wᵀ` onto the input gradient without the column matrix. Both walk the batch in small
/// chunks of items whose scratch fits in cache, split over ``Parallelism/laneCount`` lanes; the per-lane
/// scratch is kept between calls and only grows. See https://keras.io/api/layers/convolution_layers/convolution2d/.
public final class Conv2D: UnaryLayer {
    public let name: String
    public let kernel: Tensor
    public let bias: Tensor?
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public let activation: ActivationKind
    public var typeName: String { "Conv2D" }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }

    public var kernelSize: (height: Int, width: Int) { (kernel.shape[0], kernel.shape[1]) }
    public var inputChannels: Int { kernel.shape[2] }
    public var filters: Int { kernel.shape[3] }

    /// Called on a lane right after it activated a chunk's output rows, while they are in cache: `rows`
    /// holds items `first ..< first + count` of the output (`[count, OH, OW, Cout]`). Lanes call it
    /// concurrently for disjoint items. For consumers that reduce the output during the pass
    /// (VisualBackProp's channel means); `nil` by default.
    public var outputChunkObserver: ((_ rows: UnsafePointer<Float>, _ first: Int, _ count: Int) -> Void)?

    // Forward cache: the activated output (for the activation backward; also the storage the next
    // forward writes into) and the geometry.
    private var output: Tensor?
    private var cachedGeometry: (rows: AxisGeometry, columns: AxisGeometry, batch: Int)?
    private var pixelPlan: (geometry: (AxisGeometry, AxisGeometry), plan: PixelConvolution?)?
    private var winogradPlan: (geometry: (AxisGeometry, AxisGeometry), plan: WinogradConvolution?)?
    // Scratch per lane: a chunk's im2col columns (forward), dZ and the column gradient (backward).
    private let scratch = LaneScratch()
    /// Bytes of scratch per chunk of items (tests lower it to exercise many chunks per lane).
    var scratchBudget = BatchPlan.defaultScratchBudget
    /// Whether the passes may skip the column matrix where the CPU and the shape allow it
    /// (``VectorKernels/convolvesDirectly(rows:columns:channels:filters:)`` forward,
    /// ``VectorKernels/convolvesBackwardDirectly(rows:columns:channels:filters:)`` backward); tests turn
    /// it off to get im2col, `sgemm` and col2im.
    var allowsDirectConvolution = true
    /// Whether the forward pass may sum by Winograd where ``WinogradConvolution`` takes the shape; tests turn
    /// it off to reach the pixel path.
    var allowsWinograd = true
    // The input gradient returned last time, whose storage the next backward reuses when nobody holds it.
    private var recycledInputGradient: Tensor?

    /// - Parameters:
    ///   - kernel: `[KH, KW, Cin, Cout]`.
    ///   - bias: `[Cout]`, or `nil` for `use_bias=False`.
    public init(
        name: String = "conv2d", kernel: Tensor, bias: Tensor? = nil,
        strides: (Int, Int) = (1, 1), padding: Padding = .valid, activation: ActivationKind = .linear
    ) throws {
        guard kernel.shape.count == 4, kernel.count > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "kernel must be [KH, KW, Cin, Cout], got \(describe(kernel.shape))")
        }
        if let bias, bias.count != kernel.shape[3] {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "bias has \(bias.count) values for \(kernel.shape[3]) filters")
        }
        guard strides.0 >= 1, strides.1 >= 1 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "strides must be positive, got \(strides)")
        }
        if let problem = activation.fusionProblem {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: problem)
        }
        self.name = name
        self.kernel = kernel
        self.bias = bias
        self.strides = (strides.0, strides.1)
        self.padding = padding
        self.activation = activation
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        let (rows, columns) = try windowGeometry(
            layer: name, inputShape: shape, kernel: (kernel.shape[0], kernel.shape[1]),
            strides: (strides.height, strides.width), padding: padding)
        guard shape[2] == inputChannels else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "kernel expects \(inputChannels) input channels, input \(describe(shape)) has \(shape[2])")
        }
        return [rows.output, columns.output, filters]
    }

    /// The validated geometry for an input shape; a mismatch here is a programming error (the model
    /// checks shapes at construction).
    private func geometry(forInputShape shape: [Int]) -> (rows: AxisGeometry, columns: AxisGeometry) {
        do {
            _ = try outputShape(forInputShape: shape)
            return try windowGeometry(
                layer: name, inputShape: shape, kernel: (kernel.shape[0], kernel.shape[1]),
                strides: (strides.height, strides.width), padding: padding)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// The plan `make` builds for this geometry, kept in `cache` while the input shape stays (the pixel and
    /// Winograd plans), or nil where it does not run.
    private func cachedPlan<Plan>(_ cache: inout (geometry: (AxisGeometry, AxisGeometry), plan: Plan?)?, rows: AxisGeometry, columns: AxisGeometry,
                                  _ make: (AxisGeometry, AxisGeometry, Tensor) -> Plan?) -> Plan? {
        if let cached = cache, cached.geometry == (rows, columns) { return cached.plan }
        let plan = make(rows, columns, kernel)
        cache = ((rows, columns), plan)
        return plan
    }

    /// Whether the input itself is the column matrix (1×1 kernel, stride 1, no padding).
    private func isPointwise(_ rows: AxisGeometry, _ columns: AxisGeometry) -> Bool {
        rows.kernel == 1 && columns.kernel == 1 && rows.stride == 1 && columns.stride == 1
    }

    // MARK: Forward and backward

    /// `output = act(im2col(input) · kernel + bias)`, one chunk of items at a time on each lane.
    ///
    /// Per chunk of `c` items (rows `R = c·OH·OW`): im2col into the lane's scratch (`[R, K]`, skipped for
    /// pointwise), `sgemm` straight into the output rows (`[R, Cout]`), then bias + activation on those
    /// rows while they are in cache. Chunks own disjoint items (see ``Parallelism``).
    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        let (rows, cols) = geometry(forInputShape: Array(input.shape.dropFirst()))
        let batch = input.shape[0]
        let pixels = rows.output * cols.output                      // GEMM rows per item
        let k = kernel.shape[0] * kernel.shape[1] * inputChannels   // GEMM depth
        let n = filters
        let imageStride = rows.input * cols.input * inputChannels
        let pointwise = isPointwise(rows, cols)
        let direct = !pointwise && allowsDirectConvolution
            && VectorKernels.convolvesDirectly(rows: rows, columns: cols, channels: inputChannels, filters: n)
        let winograd = pointwise || direct || !allowsDirectConvolution || !allowsWinograd
            ? nil : cachedPlan(&winogradPlan, rows: rows, columns: cols) { WinogradConvolution(rows: $0, columns: $1, kernel: $2) }
        let byPixels = pointwise || direct || winograd != nil || !allowsDirectConvolution
            ? nil : cachedPlan(&pixelPlan, rows: rows, columns: cols) { PixelConvolution(rows: $0, columns: $1, kernel: $2) }
        // Scratch per item: the planes, the column matrix, or none (Winograd's is per lane).
        let columnFloats = byPixels?.itemFloats ?? (pointwise || direct || winograd != nil ? 0 : pixels * k)
        // Without columns, chunks are sized by their output rows (still cut small, so lanes take turns).
        let plan = BatchPlan(batch: batch, scratchPerItem: direct || winograd != nil ? pixels * n : columnFloats, scratchBudget: scratchBudget)
        scratch.reserve(lanes: plan.lanes, floatsPerLane: max(plan.chunkItems * columnFloats, winograd?.scratchFloats ?? 0))

        let result = Tensor(shape: [batch, rows.output, cols.output, n], recycling: &output) { out in
            input.scalars.withUnsafeBufferPointer { x in
                kernel.scalars.withUnsafeBufferPointer { w in
                    withBiasPointer { b in
                        plan.runChunks { lane, first, count in
                            let columns = scratch.region(lane)
                            let image = x.baseAddress! + first * imageStride
                            let target = out.baseAddress! + first * pixels * n
                            if let winograd {
                                winograd.run(image, into: target, batch: count, scratch: columns)
                            } else if let byPixels {
                                byPixels.run(image, into: target, batch: count, planes: columns)
                            } else if direct {
                                VectorKernels.convolve(image, kernel: w.baseAddress!, into: target, batch: count,
                                                       rows: rows, columns: cols, channels: inputChannels, filters: n)
                            } else {
                                if !pointwise {
                                    Conv2D.im2col(image, into: columns, batch: count, rows: rows, columns: cols, channels: inputChannels)
                                }
                                sgemm(m: count * pixels, n: n, k: k, a: pointwise ? image : UnsafePointer(columns), lda: k,
                                      b: w.baseAddress!, ldb: n, beta: 0, c: target, ldc: n, lane: lane)
                            }
                            activation.apply(target, count: count * pixels * n, addingBias: b, featureCount: n)
                            outputChunkObserver?(UnsafePointer(target), first, count)
                        }
                    }
                }
            }
        }
        cachedGeometry = (rows, cols, batch)
        return result
    }

    /// `dInput = col2im((dOutput ⊙ act′(output)) · kernelᵀ)`, one chunk of items at a time on each lane.
    ///
    /// Per chunk (`R = c·OH·OW` rows): `dZ = dY ⊙ act′(Y)` into the lane's scratch (`[R, Cout]`; for a
    /// linear activation `dY` is read in place, nothing is copied), `dCols = dZ · Wᵀ` (`[R, K]`, scratch),
    /// then the chunk's input gradient is zeroed and col2im scatter-adds into it. Receptive fields never
    /// cross items, so lanes write disjoint memory. Pointwise: `dX = dZ · Wᵀ` directly.
    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output, let (rows, cols, batch) = cachedGeometry else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == output.shape, "\(name): gradient shape \(outputGradient.shape) != \(output.shape)")
        let pixels = rows.output * cols.output
        let k = kernel.shape[0] * kernel.shape[1] * inputChannels
        let n = filters
        let imageStride = rows.input * cols.input * inputChannels
        let pointwise = isPointwise(rows, cols)
        let direct = !pointwise && allowsDirectConvolution
            && VectorKernels.convolvesBackwardDirectly(rows: rows, columns: cols, channels: inputChannels, filters: n)
        let columnFloats = pointwise || direct ? 0 : pixels * k
        let passThrough = activation == .linear  // modifiers only act at rectifiers
        // Direct chunks are sized by their output gradient rows (dZ at most), so lanes still take turns.
        let plan = BatchPlan(batch: batch, scratchPerItem: direct ? pixels * n : columnFloats + (passThrough ? 0 : pixels * n),
                             scratchBudget: scratchBudget)
        let gradientFloats = passThrough ? 0 : plan.chunkItems * pixels * n
        scratch.reserve(lanes: plan.lanes, floatsPerLane: gradientFloats + plan.chunkItems * columnFloats)
        let transposed = direct ? transposedKernel : []

        let inputGradient = Tensor(shape: [batch, rows.input, cols.input, inputChannels], recycling: &recycledInputGradient) { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                output.scalars.withUnsafeBufferPointer { y in
                    kernel.scalars.withUnsafeBufferPointer { w in
                        plan.runChunks { lane, first, count in
                            let region = scratch.region(lane)
                            let chunkOutputs = count * pixels * n, offset = first * pixels * n
                            let dz: UnsafePointer<Float>
                            if passThrough {
                                dz = dy.baseAddress! + offset
                            } else {
                                activation.backward(output: y.baseAddress! + offset, outputGradient: dy.baseAddress! + offset,
                                                    inputGradient: region, count: chunkOutputs, featureCount: n, modifier: modifier)
                                dz = UnsafePointer(region)
                            }
                            let chunkGradient = dx.baseAddress! + first * imageStride
                            if direct {
                                chunkGradient.update(repeating: 0, count: count * imageStride)
                                VectorKernels.convolveBackward(dz, transposedKernel: transposed, into: chunkGradient, batch: count,
                                                               rows: rows, columns: cols, channels: inputChannels, filters: n)
                                return
                            }
                            if pointwise {
                                sgemm(transposeB: true, m: count * pixels, n: k, k: n, a: dz, lda: n, b: w.baseAddress!, ldb: n,
                                      beta: 0, c: chunkGradient, ldc: k, lane: lane)
                                return
                            }
                            let columnGradient = region + gradientFloats
                            sgemm(transposeB: true, m: count * pixels, n: k, k: n, a: dz, lda: n, b: w.baseAddress!, ldb: n,
                                  beta: 0, c: columnGradient, ldc: k, lane: lane)
                            chunkGradient.update(repeating: 0, count: count * imageStride)
                            Conv2D.col2im(columnGradient, into: chunkGradient, batch: count, rows: rows, columns: cols, channels: inputChannels)
                        }
                    }
                }
            }
        }
        return inputGradient
    }

    /// The kernel as `[Cout, KH·KW·Cin]` (each filter's window in kernel order), for the direct input gradient.
    private lazy var transposedKernel: [Float] = {
        let taps = kernel.count / filters
        return (0..<kernel.count).map { index in kernel.scalars[(index % taps) * filters + index / taps] }
    }()

    /// Calls `body` with the bias as a pointer, or `nil` without bias.
    private func withBiasPointer<Result>(_ body: (UnsafePointer<Float>?) -> Result) -> Result {
        guard let bias else { return body(nil) }
        return bias.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    // MARK: im2col and its adjoint

    /// Gathers every receptive field of `batch` images (`[batch, H, W, C]` at `x`) into one row of
    /// `columns` (`[batch·OH·OW, KH·KW·C]`, kernel order), zeros for padding. AVX-512 where the CPU has
    /// it (``VectorKernels``), else ``portableIm2col(_:into:batch:rows:columns:channels:)``.
    static func im2col(
        _ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>,
        batch: Int, rows: AxisGeometry, columns cols: AxisGeometry, channels: Int
    ) {
        if VectorKernels.im2col(x, into: columns, batch: batch, rows: rows, columns: cols, channels: channels) { return }
        portableIm2col(x, into: columns, batch: batch, rows: rows, columns: cols, channels: channels)
    }

    /// ``im2col(_:into:batch:rows:columns:channels:)`` in portable Swift.
    static func portableIm2col(
        _ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>,
        batch: Int, rows: AxisGeometry, columns cols: AxisGeometry, channels: Int
    ) {
        let imageStride = rows.input * cols.input * channels
        let rowLength = cols.kernel * channels
        var target = columns
        for n in 0..<batch {
            let image = x + n * imageStride
            for oh in 0..<rows.output {
                let top = oh * rows.stride - rows.padBefore
                for ow in 0..<cols.output {
                    let left = ow * cols.stride - cols.padBefore
                    // Columns [left, left + KW) clipped to the image; the rest is zero padding.
                    let first = max(left, 0), last = min(left + cols.kernel, cols.input)
                    let before = (first - left) * channels
                    let copied = max(last - first, 0) * channels
                    for ky in 0..<rows.kernel {
                        let ih = top + ky
                        if ih < 0 || ih >= rows.input || copied == 0 {
                            target.update(repeating: 0, count: rowLength)
                        } else {
                            if before > 0 { target.update(repeating: 0, count: before) }
                            copy(image + (ih * cols.input + first) * channels, to: target + before, count: copied)
                            let after = rowLength - before - copied
                            if after > 0 { (target + before + copied).update(repeating: 0, count: after) }
                        }
                        target += rowLength
                    }
                }
            }
        }
    }

    /// Adds every row of `columns` (`[batch·OH·OW, KH·KW·C]`) back onto its receptive field in `x`
    /// (`[batch, H, W, C]`, not cleared): the adjoint of ``im2col(_:into:batch:rows:columns:channels:)``.
    /// AVX-512 where the CPU has it (``VectorKernels``), else ``portableCol2im(_:into:batch:rows:columns:channels:)``.
    static func col2im(
        _ columns: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>,
        batch: Int, rows: AxisGeometry, columns cols: AxisGeometry, channels: Int
    ) {
        if VectorKernels.col2im(columns, into: x, batch: batch, rows: rows, columns: cols, channels: channels) { return }
        portableCol2im(columns, into: x, batch: batch, rows: rows, columns: cols, channels: channels)
    }

    /// ``col2im(_:into:batch:rows:columns:channels:)`` in portable Swift.
    static func portableCol2im(
        _ columns: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>,
        batch: Int, rows: AxisGeometry, columns cols: AxisGeometry, channels: Int
    ) {
        let imageStride = rows.input * cols.input * channels
        let rowLength = cols.kernel * channels
        var source = columns
        for n in 0..<batch {
            let image = x + n * imageStride
            for oh in 0..<rows.output {
                let top = oh * rows.stride - rows.padBefore
                for ow in 0..<cols.output {
                    let left = ow * cols.stride - cols.padBefore
                    let first = max(left, 0), last = min(left + cols.kernel, cols.input)
                    let skipped = (first - left) * channels
                    let added = max(last - first, 0) * channels
                    for ky in 0..<rows.kernel {
                        let ih = top + ky
                        if ih >= 0 && ih < rows.input {
                            let from = source + skipped
                            let to = image + (ih * cols.input + first) * channels
                            for i in 0..<added { to[i] += from[i] }
                        }
                        source += rowLength
                    }
                }
            }
        }
    }

    /// A short copy (a kernel row of a few channels) without a `memmove` call for the common small sizes.
    @inline(__always)
    private static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        if count > 64 {
            target.update(from: source, count: count)
        } else {
            for i in 0..<count { target[i] = source[i] }
        }
    }
}
