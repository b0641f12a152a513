import CVectorKernels

/// `Conv2D`'s forward sums by Winograd F(4×4, 3×3) in AVX-512 (`winograd_kernels.h`): a stride-1 3×3 layer,
/// or a stride-2 layer with a 5×5 or 6×6 kernel as the 3×3 convolution of its input's four polyphase
/// components (each axis on its own: 3 taps at stride 1, 5–6 at stride 2). Per 4×4 tile of output pixels it multiplies 36·C'·F times (`C' = SY·SX·C` phase channels)
/// where the direct sum multiplies 16·KH·KW·C·F times: 2.4× fewer for PilotNet's second layer
/// (24 → 36 filters, 5×5 stride 2) and 3× for its fourth, counting the edge tiles' unused pixels.
///
/// The sums are rounded differently from im2col + `sgemm`'s: within a few units of rounding of the sum of
/// the products' magnitudes (``WinogradConvolutionTests``), and an image's outputs are the same bits in any
/// batch.
///
/// The transformed kernel `U = G g Gᵀ` (computed in `Double`, stored as `Float`) is `[36][C'][FP]`:
/// transform position `ξ·6 + ν`, phase channel `q = (φy·SX + φx)·C + c` (phase kernel `g[p][r] =
/// kernel[SY·p + φy][SX·r + φx][c][f]`, 0 past the kernel), filter `f`, rows of `FP` (F rounded up to 4,
/// zero past F).
struct WinogradConvolution {
    let rows: AxisGeometry
    let columns: AxisGeometry
    let channels: Int
    let filters: Int
    /// `F` rounded up to a multiple of 4.
    let paddedFilters: Int
    let transformedKernel: [Float]

    /// Phase channels `C' = SY·SX·C`.
    var phaseChannels: Int { rows.stride * columns.stride * channels }
    /// Floats of scratch per lane, whatever the batch: a pass's transformed inputs and products and the
    /// zero-padded copy of one edge tile's input.
    var scratchFloats: Int {
        36 * Int(STEERLENS_WINOGRAD_TILES) * (phaseChannels + paddedFilters)
            + steerlens_winograd_region_floats(rows.stride, columns.stride, channels)
    }

    /// Largest share of the direct sum's multiplies Winograd may take, counting the edge tiles' unused
    /// pixels, for it to run: tiles hanging far over a small output (PilotNet's fifth layer, one row of 18
    /// pixels: 111 %) or a tall kernel's zero taps cost more than the transforms win.
    static let maximumMultiplyShare = 0.7

    /// The plan for `kernel` (`[KH, KW, C, F]`) on inputs of this geometry, or `nil` where it does not run: no
    /// AVX-512, a kernel/stride other than 3/1 or 5–6/2 on either axis, or too few multiplies saved.
    init?(rows: AxisGeometry, columns: AxisGeometry, kernel: Tensor, level: Int = VectorKernels.level) {
        func fits(_ axis: AxisGeometry) -> Bool {
            (axis.stride == 1 && axis.kernel == 3) || (axis.stride == 2 && (5...6).contains(axis.kernel))
        }
        guard level >= 2, fits(rows), fits(columns) else { return nil }
        let (channels, filters) = (kernel.shape[2], kernel.shape[3])
        let tiles = (rows.output + 3) / 4 * ((columns.output + 3) / 4)
        let winogradMultiplies = Double(tiles * 36 * rows.stride * columns.stride * channels)
        let directMultiplies = Double(rows.output * columns.output * rows.kernel * columns.kernel * channels)
        guard winogradMultiplies <= Self.maximumMultiplyShare * directMultiplies else { return nil }
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.filters = filters
        paddedFilters = (filters + 3) / 4 * 4
        transformedKernel = Self.transform(kernel, rows: rows, columns: columns, paddedFilters: paddedFilters)
    }

    /// `G` of F(4×4, 3×3) for the points 0, ±1, ±2, ∞ (6×3).
    private static let g: [[Double]] = [
        [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
    ]

    /// `U = G g Gᵀ` per phase, channel and filter, laid out as the type's doc comment says.
    private static func transform(_ kernel: Tensor, rows: AxisGeometry, columns: AxisGeometry, paddedFilters: Int) -> [Float] {
        let (kh, kw, channels, filters) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        let (sy, sx) = (rows.stride, columns.stride)
        let phaseChannels = sy * sx * channels
        let weights = kernel.scalars
        var u = [Float](repeating: 0, count: 36 * phaseChannels * paddedFilters)
        for phaseY in 0..<sy {
            for phaseX in 0..<sx {
                for c in 0..<channels {
                    let q = (phaseY * sx + phaseX) * channels + c
                    for f in 0..<filters {
                        let phaseKernel = (0..<3).map { p in
                            (0..<3).map { r -> Double in
                                let (ky, kx) = (sy * p + phaseY, sx * r + phaseX)
                                return ky < kh && kx < kw ? Double(weights[((ky * kw + kx) * channels + c) * filters + f]) : 0
                            }
                        }
                        for (position, value) in transformed(phaseKernel).enumerated() {
                            u[(position * phaseChannels + q) * paddedFilters + f] = Float(value)
                        }
                    }
                }
            }
        }
        return u
    }

    /// `G g Gᵀ` of a 3×3 kernel `g`, the 36 positions row by row.
    private static func transformed(_ kernel: [[Double]]) -> [Double] {
        let left = g.map { row in (0..<3).map { r in (0..<3).reduce(0.0) { $0 + row[$1] * kernel[$1][r] } } }  // G g, 6×3
        return left.flatMap { row in g.map { column in (0..<3).reduce(0.0) { $0 + row[$1] * column[$1] } } }
    }

    /// `output = x ∗ kernel` for `batch` items (`x` `[batch, H, W, C]`, `output` `[batch, OH, OW, F]` written
    /// whole, no bias or activation), through `scratch` (``scratchFloats`` floats).
    func run(_ x: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, batch: Int, scratch: UnsafeMutablePointer<Float>) {
        transformedKernel.withUnsafeBufferPointer { u in
            steerlens_winograd_conv(x, output, batch, rows.vectorKernelAxis, columns.vectorKernelAxis, channels, filters, paddedFilters,
                                    u.baseAddress!, scratch)
        }
    }
}
