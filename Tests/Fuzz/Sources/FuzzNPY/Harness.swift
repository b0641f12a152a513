import FuzzSupport
import Foundation
import SteerLensSupport

/// `.npy` files (recorded saliency grids that `check` reads): any bytes either parse into an array whose
/// value count matches its shape, or throw.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = Data(FuzzInput.bytes(start, count))
    if let array = try? NPYArray(data: data) {
        precondition(array.values.count == array.shape.reduce(1, *), "NPY values do not match the shape \(array.shape)")
    }
    return 0
}
