import Foundation
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

    func apply(_ frame: Frame) -> [UInt8] {
        let width = frame.width, height = frame.height, radius = diameter / 2
        let colorCoefficient = -0.5 / (sigmaColor * sigmaColor), spaceCoefficient = -0.5 / (sigmaSpace * sigmaSpace)
        let colorWeight = (0..<(256 * 3)).map { Float(exp(Double($0 * $0) * colorCoefficient)) }
        var offsets: [(dx: Int, dy: Int, weight: Float)] = []
        for i in -radius...radius {
            for j in -radius...radius {
                let r = (Double(i * i + j * j)).squareRoot()
                if r > Double(radius) { continue }
                offsets.append((j, i, Float(exp(r * r * spaceCoefficient))))
            }
        }
        var output = [UInt8](repeating: 0, count: frame.pixels.count)
        frame.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    for x in 0..<width {
                        let center = (y * width + x) * 3
                        let r0 = Int(source[center]), g0 = Int(source[center + 1]), b0 = Int(source[center + 2])
                        var sumR: Float = 0, sumG: Float = 0, sumB: Float = 0, total: Float = 0
                        for offset in offsets {
                            let at = (reflect101(y + offset.dy, height) * width + reflect101(x + offset.dx, width)) * 3
                            let r = Int(source[at]), g = Int(source[at + 1]), b = Int(source[at + 2])
                            let weight = offset.weight * colorWeight[abs(r - r0) + abs(g - g0) + abs(b - b0)]
                            sumR += Float(r) * weight; sumG += Float(g) * weight; sumB += Float(b) * weight
                            total += weight
                        }
                        let scale = 1 / total
                        target[center] = saturatedByte(sumR * scale)
                        target[center + 1] = saturatedByte(sumG * scale)
                        target[center + 2] = saturatedByte(sumB * scale)
                    }
                }
            }
        }
        return output
    }
}
