/// Matching TensorFlow image-resize calls: signatures, methods and flags, TF1 and TF2.
///
/// Signatures (TF 1.15 / 2.x `tensorflow/python/ops/image_ops_impl.py`, `gen_image_ops.py`):
/// - TF1 `resize_images(images, size, method=BILINEAR(0), align_corners=False, preserve_aspect_ratio=False, name=None)`,
///   also `compat.v1.image.resize`; methods are ints 0 bilinear, 1 nearest, 2 bicubic, 3 area.
/// - TF2 `resize(images, size, method='bilinear', preserve_aspect_ratio=False, antialias=False, name=None)`.
/// - `resize_bilinear / resize_nearest_neighbor / resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False)`,
///   `resize_area(images, size, align_corners=False, name=None)`.
extension LambdaMatcher {
    private enum Kernel: String {
        case bilinear, nearest, bicubic, area
    }

    /// The operations of a `….image.resize…` call, or nil if `name` is not a resize function.
    func resizeOperation(_ name: String, _ parts: [String], _ arguments: [PythonExpression], _ keywords: [PythonKeywordArgument]) throws(LambdaMismatch) -> [LambdaOperation]? {
        let function = parts[parts.count - 1]
        let isV1 = parts.contains("v1")
        var kernel: Kernel
        var alignCorners = false, halfPixelCenters = false
        let bound: [String: PythonExpression]
        switch function {
        case _ where function == "resize_images" || (function == "resize" && isV1):
            bound = try bind(name, ["images", "size", "method", "align_corners", "preserve_aspect_ratio", "name"], arguments, keywords)
            kernel = try bound["method"].map { method throws(LambdaMismatch) in try self.kernel(method, tf2: false) } ?? .bilinear
            alignCorners = try flag(bound["align_corners"], "align_corners")
        case "resize":
            bound = try bind(name, ["images", "size", "method", "preserve_aspect_ratio", "antialias", "name"], arguments, keywords)
            kernel = try bound["method"].map { method throws(LambdaMismatch) in try self.kernel(method, tf2: true) } ?? .bilinear
            halfPixelCenters = true
            guard try !flag(bound["antialias"], "antialias") else {
                throw LambdaMismatch(reason: "\(name) with antialias=True is not supported")
            }
        case "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic":
            bound = try bind(name, ["images", "size", "align_corners", "name", "half_pixel_centers"], arguments, keywords)
            kernel = function == "resize_bilinear" ? .bilinear : function == "resize_bicubic" ? .bicubic : .nearest
            alignCorners = try flag(bound["align_corners"], "align_corners")
            halfPixelCenters = try flag(bound["half_pixel_centers"], "half_pixel_centers")
        case "resize_area":
            bound = try bind(name, ["images", "size", "align_corners", "name"], arguments, keywords)
            kernel = .area
            alignCorners = try flag(bound["align_corners"], "align_corners")
        default:
            return nil
        }
        guard try !flag(bound["preserve_aspect_ratio"], "preserve_aspect_ratio") else {
            throw LambdaMismatch(reason: "\(name) with preserve_aspect_ratio=True depends on the input size; declare the resulting size instead")
        }
        guard let images = bound["images"], let sizeExpression = bound["size"] else {
            throw LambdaMismatch(reason: "\(name) is called without images and size")
        }
        let (height, width) = try size(sizeExpression)
        let method = try resizeMethod(kernel, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters, name)
        return try operations(images) + [.resize(height: height, width: width, method: method)]
    }

    private func resizeMethod(_ kernel: Kernel, alignCorners: Bool, halfPixelCenters: Bool, _ name: String) throws(LambdaMismatch) -> ResizeMethod {
        if alignCorners, halfPixelCenters {
            throw LambdaMismatch(reason: "\(name) with both align_corners and half_pixel_centers is invalid in TensorFlow")
        }
        switch kernel {
        case .bilinear: return alignCorners ? .bilinearTF1AlignCorners : halfPixelCenters ? .bilinearHalfPixel : .bilinearTF1
        case .nearest: return alignCorners ? .nearestTF1AlignCorners : halfPixelCenters ? .nearestHalfPixel : .nearestTF1
        case .bicubic: return alignCorners ? .bicubicTF1AlignCorners : halfPixelCenters ? .bicubicHalfPixel : .bicubicTF1
        case .area:
            return alignCorners ? .areaTF1AlignCorners : .area
        }
    }

    /// A `method=` value: TF1 ints, TF2 strings, or `….ResizeMethod.NAME`.
    private func kernel(_ expression: PythonExpression, tf2: Bool) throws(LambdaMismatch) -> Kernel {
        var key: String?
        if let name = expression.dottedName, name.split(separator: ".").dropLast().last?.hasPrefix("ResizeMethod") == true {
            key = name.split(separator: ".").last.map { $0.lowercased() }
        } else {
            switch try constantValue(expression) {
            case .string(let text)?: key = text.lowercased()
            case .int(let index)? where !tf2: key = ["bilinear", "nearest_neighbor", "bicubic", "area"].indices.contains(index)
                ? ["bilinear", "nearest_neighbor", "bicubic", "area"][index] : nil
            default: key = nil
            }
        }
        if key == "nearest_neighbor" { key = "nearest" }
        guard let key, let kernel = Kernel(rawValue: key) else {
            throw LambdaMismatch(reason: "the resize method `\(expression.source)` is not supported (bilinear, nearest, bicubic, area are)")
        }
        return kernel
    }

    private func flag(_ expression: PythonExpression?, _ name: String) throws(LambdaMismatch) -> Bool {
        guard let expression else { return false }
        switch try constantValue(expression) {
        case .bool(let value)?: return value
        case .int(let value)? where value == 0 || value == 1: return value == 1
        case .none?: return false
        default: throw LambdaMismatch(reason: "\(name)=`\(expression.source)` is not a constant True/False")
        }
    }

    /// `(h, w)` / `[h, w]` of positive ints.
    private func size(_ expression: PythonExpression) throws(LambdaMismatch) -> (Int, Int) {
        let items: [PythonObject]
        switch try constantValue(expression) {
        case .tuple(let values)?, .list(let values)?: items = values
        default: throw LambdaMismatch(reason: "the size `\(expression.source)` is not a constant (height, width)")
        }
        guard items.count == 2, case .int(let height) = items[0], case .int(let width) = items[1], height > 0, width > 0 else {
            throw LambdaMismatch(reason: "the size `\(expression.source)` is not two positive integers")
        }
        return (height, width)
    }
}
