import CVectorKernels
import SteerLensSupport

/// The widest of CVectorKernels' instruction sets this CPU and OS run (``VectorSupport``), and the
/// loops that use it. Each returns `false` when no vector kernel applies, so the caller runs its portable Swift loop,
/// which gives the same bits.
enum VectorKernels {
    /// 2: AVX-512F and VL, 1: AVX2, 0: neither (valgrind reports AVX2 at most).
    static let level = VectorSupport.level

    /// `values[i] = elu(values[i] + bias[i mod featureCount])` in place (see ``ActivationKind/apply(_:count:addingBias:featureCount:)``),
    /// with the kernels up to `level`.
    static func elu(_ values: UnsafeMutablePointer<Float>, count: Int, bias: UnsafePointer<Float>?, featureCount: Int,
                    alpha: Float, level: Int = VectorKernels.level) -> Bool {
        // The kernels keep a cyclic copy of the bias on the stack (a few KiB for real layers).
        guard bias == nil || featureCount <= 4_096 else { return false }
        switch min(level, Self.level) {
        case 2: steerlens_elu_avx512(values, count, featureCount, bias, alpha)
        case 1: steerlens_elu_avx2(values, count, featureCount, bias, alpha)
        default: return false
        }
        return true
    }

    /// `dx = y > 0 ? dy : dy·(y + α)` over `count` values (ELU's derivative from its output, see
    /// ``ActivationKind/backward(output:outputGradient:inputGradient:count:featureCount:modifier:)``), with the kernels up to `level`.
    static func eluBackward(output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                            count: Int, alpha: Float, level: Int = VectorKernels.level) -> Bool {
        switch min(level, Self.level) {
        case 2: steerlens_elu_backward_avx512(y, dy, dx, count, alpha)
        case 1: steerlens_elu_backward_avx2(y, dy, dx, count, alpha)
        default: return false
        }
        return true
    }

    /// `dx = x > 0 ? dy : dy·αeˣ` over `count` values (the stand-alone ``ELU`` layer's derivative from its
    /// input, ``ActivationKind/eluDerivativeNegativeBranch(_:alpha:)``), in AVX-512.
    static func eluInputBackward(input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                                 count: Int, alpha: Float, level: Int = VectorKernels.level) -> Bool {
        guard min(level, Self.level) >= 2 else { return false }
        steerlens_elu_input_backward_avx512(x, dy, dx, count, alpha)
        return true
    }

    /// ``Conv2D/im2col(_:into:batch:rows:columns:channels:)`` with AVX-512 masked moves (the same bytes).
    static func im2col(_ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, batch: Int,
                       rows: AxisGeometry, columns cols: AxisGeometry, channels: Int) -> Bool {
        guard level >= 2 else { return false }
        steerlens_im2col_avx512(x, columns, batch, rows.vectorKernelAxis, cols.vectorKernelAxis, channels)
        return true
    }

    /// Whether ``convolve(_:kernel:into:batch:rows:columns:channels:filters:)`` runs a convolution of
    /// this shape: AVX-512, a first layer's few input channels (1–4: where im2col + `sgemm` copies more
    /// than it multiplies), 1–64 filters and no padding (every window inside the image).
    static func convolvesDirectly(rows: AxisGeometry, columns cols: AxisGeometry, channels: Int, filters: Int) -> Bool {
        level >= 2 && (1...4).contains(channels) && (1...64).contains(filters) && rows.isUnpadded && cols.isUnpadded
    }

    /// `Conv2D`'s forward sums straight from the images (`[batch, H, W, C]` → `[batch, OH, OW, filters]`,
    /// no bias or activation), each value one fused multiply-add chain in kernel order: `sgemm`'s chain
    /// over the im2col columns. Only for shapes ``convolvesDirectly(rows:columns:channels:filters:)`` accepts.
    static func convolve(_ x: UnsafePointer<Float>, kernel: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, batch: Int,
                         rows: AxisGeometry, columns cols: AxisGeometry, channels: Int, filters: Int) {
        precondition(convolvesDirectly(rows: rows, columns: cols, channels: channels, filters: filters), "no direct convolution for this shape")
        steerlens_conv2d_direct_avx512(x, output, batch, rows.vectorKernelAxis, cols.vectorKernelAxis, channels, kernel, filters)
    }

    /// Whether ``convolveBackward(_:transposedKernel:into:batch:rows:columns:channels:filters:)`` runs
    /// this shape: one ``convolvesDirectly(rows:columns:channels:filters:)`` accepts, with a kernel row of
    /// at most 16 taps (`KW·C`: 5×5 RGB is 15).
    static func convolvesBackwardDirectly(rows: AxisGeometry, columns cols: AxisGeometry, channels: Int, filters: Int) -> Bool {
        convolvesDirectly(rows: rows, columns: cols, channels: channels, filters: filters) && cols.kernel * channels <= 16
    }

    /// `Conv2D`'s input gradient straight onto the images: adds `dOutput · Wᵀ` (`[batch, OH, OW, filters]`
    /// times the kernel, given transposed as `[filters, KH·KW·C]`) onto each window of `inputGradient`
    /// (`[batch, H, W, C]`, zeroed by the caller): `sgemm`'s values, added in col2im's order.
    static func convolveBackward(_ outputGradient: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>,
                                 into inputGradient: UnsafeMutablePointer<Float>, batch: Int,
                                 rows: AxisGeometry, columns cols: AxisGeometry, channels: Int, filters: Int) {
        precondition(convolvesBackwardDirectly(rows: rows, columns: cols, channels: channels, filters: filters), "no direct gradient for this shape")
        steerlens_conv2d_input_gradient_avx512(outputGradient, transposedKernel, inputGradient, batch,
                                               rows.vectorKernelAxis, cols.vectorKernelAxis, channels, filters)
    }

    /// ``Conv2D/col2im(_:into:batch:rows:columns:channels:)`` with AVX-512 adds (the same sums).
    static func col2im(_ columns: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, batch: Int,
                       rows: AxisGeometry, columns cols: AxisGeometry, channels: Int) -> Bool {
        guard level >= 2 else { return false }
        steerlens_col2im_avx512(columns, x, batch, rows.vectorKernelAxis, cols.vectorKernelAxis, channels)
        return true
    }
}

extension AxisGeometry {
    /// The same geometry for CVectorKernels.
    var vectorKernelAxis: steerlens_axis {
        steerlens_axis(input: input, output: output, kernel: kernel, stride: stride, padBefore: padBefore)
    }
}
