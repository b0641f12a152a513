import CVectorKernels
import Foundation
import SteerLensSupport
import VideoIO

/// `cv2.bilateralFilter(image, d, σColor, σSpace)` for 8-bit RGB (DeepTest's `blur:bilateral`: d 9, σ 75, 75).
///
/// The window is the disk of radius `d/2` (points with `√(i² + j²) ≤ d/2`), borders
/// `BORDER_REFLECT_101`; weights `exp(−r²/2σs²) · exp(−Δ²/2σc²)` where Δ is the L1 colour distance
/// `|ΔR| + |ΔG| + |ΔB|`; the result `Σ w·v / Σ w` in Float32 rounded ties to even. Parity with OpenCV 5.0:
/// within 1 (the Float32 sums run in another order).
struct BilateralFilter {
    let diameter: Int
    let sigmaColor: Double
    let sigmaSpace: Double

    /// The output rows `rows` (within the frame), packed. The source is first copied with a reflected
    /// margin of `d/2` pixels, so the window loop has no border cases.
    /// In AVX-512 when `vectorized`, reading 16 pixels by byte permutes where the CPU has them
    /// (`byteShuffles`), else by gathers: the same bytes.
    func apply(_ frame: Frame, rows: Range<Int>, vectorized: Bool = VectorSupport.avx512, byteShuffles: Bool = VectorSupport.avx512vbmi) -> [UInt8] {
        let width = frame.width, height = frame.height, radius = diameter / 2
        guard !rows.isEmpty else { return [] }
        let colorCoefficient = -0.5 / (sigmaColor * sigmaColor), spaceCoefficient = -0.5 / (sigmaSpace * sigmaSpace)
        let colorWeight = (0..<(256 * 3)).map { Float(exp(Double($0 * $0) * colorCoefficient)) }
        let paddedWidth = width + 2 * radius, paddedRows = rows.count + 2 * radius
        // Window offsets in bytes from the centre (Int32: the AVX-512 loop's gather indices).
        var offsets: [Int32] = [], spaceWeights: [Float] = []
        for i in -radius...radius {
            for j in -radius...radius {
                let r = (Double(i * i + j * j)).squareRoot()
                if r > Double(radius) { continue }
                offsets.append(Int32((i * paddedWidth + j) * 3))
                spaceWeights.append(Float(exp(r * r * spaceCoefficient)))
            }
        }
        // One byte more: the AVX-512 loop reads each pixel as a 4-byte word.
        var padded = [UInt8](repeating: 0, count: paddedRows * paddedWidth * 3 + 1)
        frame.pixels.withUnsafeBufferPointer { source in
            padded.withUnsafeMutableBufferPointer { target in
                for row in 0..<paddedRows {
                    let y = reflect101(rows.lowerBound - radius + row, height)
                    for column in 0..<paddedWidth {
                        let from = (y * width + reflect101(column - radius, width)) * 3, to = (row * paddedWidth + column) * 3
                        target[to] = source[from]; target[to + 1] = source[from + 1]; target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        var output = [UInt8](repeating: 0, count: rows.count * width * 3)
        padded.withUnsafeBufferPointer { sourceBuffer in
            output.withUnsafeMutableBufferPointer { target in
                colorWeight.withUnsafeBufferPointer { colorWeight in
                    offsets.withUnsafeBufferPointer { offsets in
                        spaceWeights.withUnsafeBufferPointer { spaceWeights in
                            for row in 0..<rows.count {
                                var first = 0
                                if vectorized, width >= 16 {
                                    let centres = sourceBuffer.baseAddress! + ((row + radius) * paddedWidth + radius) * 3, out = target.baseAddress! + row * width * 3
                                    first = byteShuffles
                                        ? steerlens_bilateral_vbmi(centres, offsets.baseAddress!, spaceWeights.baseAddress!, offsets.count, colorWeight.baseAddress!, 0, width / 16, out)
                                        : steerlens_bilateral_avx512(centres, offsets.baseAddress!, spaceWeights.baseAddress!, offsets.count, colorWeight.baseAddress!, 0, width / 16, out)
                                }
                                for x in first..<width {
                                    let center = sourceBuffer.baseAddress! + ((row + radius) * paddedWidth + x + radius) * 3
                                    let r0 = Int(center[0]), g0 = Int(center[1]), b0 = Int(center[2])
                                    var sumR: Float = 0, sumG: Float = 0, sumB: Float = 0, total: Float = 0
                                    for k in 0..<offsets.count {
                                        let at = center + Int(offsets[k])
                                        let r = Int(at[0]), g = Int(at[1]), b = Int(at[2])
                                        let weight = spaceWeights[k] * colorWeight[abs(r - r0) + abs(g - g0) + abs(b - b0)]
                                        sumR += Float(r) * weight; sumG += Float(g) * weight; sumB += Float(b) * weight
                                        total += weight
                                    }
                                    let scale = 1 / total, out = (row * width + x) * 3
                                    target[out] = saturatedByte(sumR * scale)
                                    target[out + 1] = saturatedByte(sumG * scale)
                                    target[out + 2] = saturatedByte(sumB * scale)
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
