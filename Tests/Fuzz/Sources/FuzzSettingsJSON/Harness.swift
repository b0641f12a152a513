import Analysis
import Foundation
import FuzzSupport
import Reporting
import Saliency

/// The JSON files users hand SteerLens besides models: the model sidecar (`<model>.steerlens.json`),
/// comparison thresholds and a recorded `run.json` (what `check` reads). Each decodes or throws, and a
/// decoded sidecar's preprocessing must be usable or rejected.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSettingsJSON(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = Data(FuzzInput.bytes(start, count))
    let decoder = JSONDecoder()
    if let sidecar = try? decoder.decode(ModelSidecar.self, from: data), let preprocess = try? sidecar.preprocess() {
        _ = try? ModelInput(inputShape: [66, 200, 3], preprocess: preprocess)
    }
    _ = try? decoder.decode(ComparisonThresholds.self, from: data)
    _ = try? decoder.decode(RunReport.self, from: data)
    return 0
}
