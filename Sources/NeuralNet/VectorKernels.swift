import CVectorKernels
import SteerLensSupport

/// The widest of CVectorKernels' instruction sets this CPU and OS run (``VectorSupport``), and the
/// loops that use it. Each returns `false` when no vector kernel applies, so the caller runs its portable Swift loop,
/// which gives the same bits.
enum VectorKernels {
    /// 2: AVX-512F, 1: AVX2, 0: neither (valgrind reports AVX2 at most).
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

    /// ``Conv2D/im2col(_:into:batch:rows:columns:channels:)`` with AVX-512 masked moves (the same bytes).
    static func im2col(_ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, batch: Int,
                       rows: AxisGeometry, columns cols: AxisGeometry, channels: Int) -> Bool {
        guard level >= 2 else { return false }
        steerlens_im2col_avx512(x, columns, batch, rows.vectorKernelAxis, cols.vectorKernelAxis, channels)
        return true
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
