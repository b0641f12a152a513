/// In-place colour conversion of packed 8-bit RGB pixels.
enum ColorConversion {
    static func convert(_ pixels: inout [UInt8], to space: ColorSpace) {
        switch space {
        case .rgb: return
        case .bgr: swapRedBlue(&pixels)
        case .yuv: rgbToYUV(&pixels)
        case .gray: pixels = rgbToGray(pixels)
        }
    }

    /// OpenCV `cv::COLOR_RGB2GRAY` for 8-bit images, one byte per pixel: OpenCV 4/5 compute it in 15-bit
    /// fixed point, `Y = (R·9798 + G·19235 + B·3735 + 2^14) >> 15` (0.299, 0.587, 0.114 rounded to 2^-15;
    /// checked against cv2.cvtColor on all 2^24 colours, see Tests/Fixtures/onnx/gray). It differs from
    /// the 14-bit luma of ``rgbToYUV(_:)`` on a few colours.
    static func rgbToGray(_ pixels: [UInt8]) -> [UInt8] {
        let count = pixels.count / 3
        return [UInt8](unsafeUninitializedCapacity: count) { gray, initialized in
            pixels.withUnsafeBufferPointer { rgb in
                for index in 0..<count {
                    let red = Int(rgb[3 * index]), green = Int(rgb[3 * index + 1]), blue = Int(rgb[3 * index + 2])
                    gray[index] = UInt8(truncatingIfNeeded: (red * 9798 + green * 19235 + blue * 3735 + (1 << 14)) >> 15)
                }
            }
            initialized = count
        }
    }

    static func swapRedBlue(_ pixels: inout [UInt8]) {
        pixels.withUnsafeMutableBufferPointer { buffer in
            for index in stride(from: 0, to: buffer.count, by: 3) { buffer.swapAt(index, index + 2) }
        }
    }

    /// OpenCV `cv::COLOR_RGB2YUV` for 8-bit images (`RGB2YUV_i`, 14-bit fixed point):
    /// `Y = (R·4899 + G·9617 + B·1868 + 2^13) >> 14`, `U = ((B − Y)·8061 + 128·2^14 + 2^13) >> 14`,
    /// `V = ((R − Y)·14369 + 128·2^14 + 2^13) >> 14`, each saturated to 0…255.
    static func rgbToYUV(_ pixels: inout [UInt8]) {
        let shift = 14, half = 1 << 13, delta = 128 << 14
        pixels.withUnsafeMutableBufferPointer { buffer in
            for index in stride(from: 0, to: buffer.count, by: 3) {
                let red = Int(buffer[index]), green = Int(buffer[index + 1]), blue = Int(buffer[index + 2])
                let luma = (red * 4899 + green * 9617 + blue * 1868 + half) >> shift
                let u = ((blue - luma) * 8061 + delta + half) >> shift
                let v = ((red - luma) * 14369 + delta + half) >> shift
                buffer[index] = UInt8(clamping: luma)
                buffer[index + 1] = UInt8(clamping: u)
                buffer[index + 2] = UInt8(clamping: v)
            }
        }
    }
}
