/// Matching the TensorFlow / Keras calls that crop or scale images by whole pixels.
///
/// Signatures (TF 2.x `image_ops_impl.py`, `array_ops.py`; Keras 2 `backend.py`, Keras 1 `tensorflow_backend.py`):
/// - `tf.image.crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width)`;
/// - `tf.slice(input_, begin, size, name=None)` with `begin = [0, top, left, 0]`, `size = [-1, h, w, -1]`
///   (−1: to the end);
/// - `K.resize_images(x, height_factor, width_factor, data_format, interpolation='nearest')` (Keras 1:
///   `dim_ordering`), channels-last only. Nearest upscaling by whole factors repeats pixels, which is
///   what both the TF1 (`resize_nearest_neighbor`) and TF2 (`resize(method='nearest')`) backends do;
///   bilinear differs between them, so it is not guessed.
extension LambdaMatcher {
    /// The operations of a geometry call, or nil if `name` is not one.
    func geometryOperations(_ name: String, _ arguments: [PythonExpression], _ keywords: [PythonKeywordArgument]) throws(LambdaMismatch) -> [LambdaOperation]? {
        let parts = name.split(separator: ".").map(String.init)
        switch parts.last {
        case "crop_to_bounding_box" where parts.count >= 2 && parts[parts.count - 2] == "image":
            let bound = try bind(name, ["image", "offset_height", "offset_width", "target_height", "target_width"], arguments, keywords)
            var values: [Int] = []
            for key in ["offset_height", "offset_width", "target_height", "target_width"] {
                guard let expression = bound[key], case .int(let value)? = try constantValue(expression), value >= 0 else {
                    throw LambdaMismatch(reason: "\(name) needs constant non-negative integer `\(key)`")
                }
                values.append(value)
            }
            guard let image = bound["image"] else { throw LambdaMismatch(reason: "\(name) is called without an image") }
            return try operations(image) + [.crop(rows: PythonSlice(start: values[0], stop: values[0] + values[2]),
                                                  columns: PythonSlice(start: values[1], stop: values[1] + values[3]))]
        case "slice" where parts.count >= 2:
            let bound = try bind(name, ["input_", "begin", "size", "name"], arguments, keywords)
            guard let input = bound["input_"], let begin = try bound["begin"].flatMap(integers), let size = try bound["size"].flatMap(integers),
                  begin.count == 4, size.count == 4 else {
                throw LambdaMismatch(reason: "\(name) needs constant four-element begin and size")
            }
            guard begin[0] == 0, size[0] == -1, begin[3] == 0, size[3] == -1 else {
                throw LambdaMismatch(reason: "\(name) with begin \(begin) and size \(size) slices the batch or the channels")
            }
            func axis(_ start: Int, _ length: Int) -> PythonSlice {
                PythonSlice(start: start == 0 ? nil : start, stop: length == -1 ? nil : start + length)
            }
            let rows = axis(begin[1], size[1]), columns = axis(begin[2], size[2])
            return try operations(input) + (rows == .all && columns == .all ? [] : [.crop(rows: rows, columns: columns)])
        case "resize_images" where !parts.contains("image"):
            let bound = try bind(name, ["x", "height_factor", "width_factor", "data_format", "interpolation"], arguments, keywords)
            guard let input = bound["x"], case .int(let rows)? = try bound["height_factor"].flatMap(constantValue),
                  case .int(let columns)? = try bound["width_factor"].flatMap(constantValue), rows > 0, columns > 0 else {
                throw LambdaMismatch(reason: "\(name) needs constant positive integer height and width factors")
            }
            if let format = try bound["data_format"].flatMap(constantValue), format != .none,
               format != .string("channels_last"), format != .string("tf") {
                throw LambdaMismatch(reason: "\(name) with data_format \(format.pythonRepr) is not channels-last")
            }
            if let method = try bound["interpolation"].flatMap(constantValue), method != .string("nearest") {
                throw LambdaMismatch(reason: "\(name) with interpolation \(method.pythonRepr) differs between Keras backends; declare the resize instead")
            }
            return try operations(input) + [.upsample(rows: rows, columns: columns)]
        default:
            return nil
        }
    }

    /// A constant tuple/list of ints.
    private func integers(_ expression: PythonExpression) throws(LambdaMismatch) -> [Int]? {
        switch try constantValue(expression) {
        case .tuple(let items)?, .list(let items)?:
            var values: [Int] = []
            for item in items {
                guard case .int(let value) = item else { return nil }
                values.append(value)
            }
            return values
        default:
            return nil
        }
    }
}
