import CVectorKernels

/// `Conv2D`'s forward sums in AVX-512 with the lanes over output pixels: 16 neighbours of one output row
/// times a tile of filters whose weights are broadcast, read from a planar copy of the input
/// (`steerlens_conv_planes`, about the input's size, written by register transposes) instead of
/// im2col's column matrix (a copy `KH·KW / (SH·SW)` times the input's size that OpenBLAS then packs a
/// second time).
///
/// The sums are `sgemm`'s over im2col's columns: one FMA chain per value in column order, cut into
/// OpenBLAS's depth blocks (``BLAS/depthBlockEnds(_:)``) whose sums are added in order, so the output has
/// the im2col + `sgemm` path's bits where OpenBLAS runs its SkylakeX kernels (the ones it gets on every
/// AVX-512 CPU, see `COpenBLAS/openblas.c`), and is within rounding of them elsewhere.
///
/// Planar layout per item: `planeRows` padded input rows (`(OH − 1)·SH + KH`), each `C·SW` plane rows of
/// `planeWidth` floats; plane row `(r·C + c)·SW + φ` holds column `SW·j + φ` of padded row `r`, channel
/// `c`, at `j`. Tap `(ky, kx, c)` of output pixel `(oh, ow)` is then at plane row `((oh·SH + ky)·C + c)·SW
/// + kx mod SW`, column `ow + kx / SW`: 16 neighbouring pixels are 16 consecutive floats.
struct PixelConvolution {
    let rows: AxisGeometry
    let columns: AxisGeometry
    let channels: Int
    let filters: Int
    /// Filters that share each load of 16 pixels: 9, 8, 6 or 4, dividing `filters`.
    let filterTile: Int
    let planeRows: Int
    /// Floats per plane row: every 16-pixel vector of an output row, plus the taps' column reach.
    let planeWidth: Int
    /// For float `q = φ·C + c` of an input column, where its plane row `c·S + φ` starts in a padded row's planes.
    let planeRowOffsets: [Int]
    /// Tap `k = (ky·KW + kx)·C + c`'s offset from its output row's start in the planes.
    let tapOffsets: [Int32]
    /// OpenBLAS's depth blocks for `K = KH·KW·C`.
    let blockEnds: [Int]
    /// The kernel by filter tile, `[F / filterTile][K][filterTile]`: a tap's weights for a tile are
    /// consecutive, and a tile's taps follow each other.
    let packedKernel: [Float]

    /// Floats of planes per item.
    var itemFloats: Int { planeRows * channels * columns.stride * planeWidth }
    /// Floats between the planes of two consecutive output rows.
    var rowStep: Int { rows.stride * channels * columns.stride * planeWidth }

    /// Smallest share of the 16-pixel vectors' lanes that are real output pixels, so that at least three
    /// quarters of the multiplies count; narrower outputs (PilotNet's 3×3 layers, 18–22 pixels a row:
    /// 56–69 %) stay on im2col + `sgemm`.
    static let minimumLaneUse = 0.75

    /// The plan for `kernel` (`[KH, KW, C, F]`) on inputs of this geometry, or `nil` where it does not
    /// run: no AVX-512, a filter count without a tile, an output row too narrow to fill the lanes, or
    /// planes beyond 32-bit offsets.
    init?(rows: AxisGeometry, columns: AxisGeometry, kernel: Tensor, level: Int = VectorKernels.level) {
        let (channels, filters) = (kernel.shape[2], kernel.shape[3])
        guard level >= 2, let tile = [9, 8, 6, 4].first(where: { filters % $0 == 0 }) else { return nil }
        let vectors = (columns.output + 15) / 16
        guard Double(columns.output) / Double(16 * vectors) >= Self.minimumLaneUse else { return nil }
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.filters = filters
        self.filterTile = tile
        planeRows = (rows.output - 1) * rows.stride + rows.kernel
        planeWidth = 16 * vectors + (columns.kernel - 1) / columns.stride
        let phases = columns.stride, width = planeWidth
        guard planeRows * channels * phases * width < Int(Int32.max) else { return nil }
        planeRowOffsets = (0..<(phases * channels)).map { q in (q % channels * phases + q / channels) * width }
        var offsets: [Int32] = []
        offsets.reserveCapacity(rows.kernel * columns.kernel * channels)
        for ky in 0..<rows.kernel {
            for kx in 0..<columns.kernel {
                for c in 0..<channels {
                    offsets.append(Int32(((ky * channels + c) * phases + kx % phases) * width + kx / phases))
                }
            }
        }
        tapOffsets = offsets
        blockEnds = BLAS.depthBlockEnds(offsets.count)
        let taps = offsets.count, weights = kernel.scalars
        packedKernel = (0..<(taps * filters)).map { i in
            let (group, k, f) = (i / (taps * tile), i / tile % taps, i % tile)
            return weights[k * filters + group * tile + f]
        }
    }

    /// `output = x ∗ kernel` for `batch` items (`x` `[batch, H, W, C]`, `output` `[batch, OH, OW, F]` written
    /// whole, no bias or activation), through `planes` (`batch · itemFloats` floats of scratch).
    func run(_ x: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, batch: Int, planes: UnsafeMutablePointer<Float>) {
        planeRowOffsets.withUnsafeBufferPointer { offsets in
            steerlens_conv_planes(x, planes, batch, rows.vectorKernelAxis, columns.vectorKernelAxis, channels, planeRows, planeWidth, offsets.baseAddress!)
        }
        tapOffsets.withUnsafeBufferPointer { offsets in
            blockEnds.withUnsafeBufferPointer { ends in
                packedKernel.withUnsafeBufferPointer { weights in
                    steerlens_conv2d_planar_avx512(planes, output, batch, rows.output, columns.output, rowStep, itemFloats, offsets.baseAddress!,
                                                   offsets.count, ends.baseAddress!, ends.count, weights.baseAddress!, filters, filterTile)
                }
            }
        }
    }
}
