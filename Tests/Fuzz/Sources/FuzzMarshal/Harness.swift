import Foundation
import FuzzSupport
import ModelImport

/// Lambda layers: the marshal reader, the bytecode decompiler for every Python version and the Lambda
/// matcher. An even first byte: the rest is raw `marshal.dumps(code)` bytes (mutations reach deep into
/// the bytecode); odd: the rest is a Lambda layer config as JSON (`function` as Keras 1 text, Keras 2
/// base64 or a Keras 3 dictionary, with `arguments`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMarshal(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    guard let mode = bytes.first else { return 0 }
    let payload = Array(bytes.dropFirst())
    if mode % 2 == 0 {
        if let function = try? LambdaFunction(marshalledCode: payload) {
            _ = try? LambdaResolver.resolution(layerName: "fuzz", function: function)
        }
    } else if let config = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] {
        _ = try? LambdaResolver.resolution(layerName: "fuzz", config: config)
    }
    return 0
}
