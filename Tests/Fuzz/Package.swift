// swift-tools-version:6.0
import PackageDescription

/// libFuzzer harnesses for every parser of untrusted bytes SteerLens owns. Not part of the main build:
/// `make fuzz` builds them with `--sanitize=fuzzer --sanitize=address` (libFuzzer supplies `main`, so
/// each harness is compiled with `-parse-as-library` and only defines `LLVMFuzzerTestOneInput`). They
/// link with lld: gold drops the coverage counters' sections, leaving libFuzzer blind.
let package = Package(
    name: "SteerLensFuzz",
    dependencies: [.package(name: "SteerLens", path: "../..")],
    targets: [
        .target(name: "FuzzSupport"),
        harness("FuzzKerasConfig", ["ModelImport", "NeuralNet"]),
        harness("FuzzMarshal", ["ModelImport"]),
        harness("FuzzNPY", ["SteerLensSupport"]),
        harness("FuzzLabels", ["Reporting", "VideoIO"]),
        harness("FuzzSettingsJSON", ["Analysis", "Saliency", "Reporting"]),
        harness("FuzzVideo", ["Analysis", "VideoIO", "Saliency"]),
        harness("FuzzONNX", ["ModelImport", "NeuralNet"]),
        harness("FuzzTransforms", ["Transforms", "VideoIO"]),
    ]
)

func harness(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "SteerLens") },
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])], linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
}
