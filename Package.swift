// swift-tools-version:6.0
import PackageDescription

/// SteerLens: saliency maps and regression tests for steering-angle CNNs on dashcam video.
/// Targets by concern, C wrappers at the bottom (see Sources/README.md).
let package = Package(
    name: "SteerLens",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "steerlens", targets: ["SteerLensCLI"]),
        .executable(name: "steerlens-bench", targets: ["SteerLensBench"]),
        .executable(name: "steerlens-datagen", targets: ["SteerLensDatagen"]),
        // The modules as libraries, for the fuzz harnesses in Tests/Fuzz (a package of their own).
        .library(name: "SteerLensSupport", targets: ["SteerLensSupport"]),
        .library(name: "VideoIO", targets: ["VideoIO"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "ModelImport", targets: ["ModelImport"]),
        .library(name: "Saliency", targets: ["Saliency"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "Analysis", targets: ["Analysis"]),
        .library(name: "Transforms", targets: ["Transforms"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        // ONNX models: the runtime library only; ONNX/Generated/*.pb.swift are committed (Tools/generate-onnx-proto.sh).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C libraries from Debian, found with pkg-config; shim headers wrap macros Swift cannot import.
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat", providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // No library: AVX2/AVX-512 loops as `static inline` functions the Swift compiler builds into NeuralNet.
        .systemLibrary(name: "CVectorKernels"),
        // OpenBLAS (Debian libopenblas0), loaded with dlopen after choosing its kernels for this CPU (openblas.c).
        // DWARF 4: Debian's valgrind 3.19 cannot read clang's DWARF 5 (make memcheck).
        .target(name: "COpenBLAS", cSettings: [.unsafeFlags(["-gdwarf-4"])], linkerSettings: [.linkedLibrary("dl")]),

        .target(name: "SteerLensSupport", dependencies: ["CVectorKernels"]),
        .target(name: "VideoIO", dependencies: ["CFFmpeg", "CDeflate", "CVectorKernels", "SteerLensSupport"]),
        .target(name: "NeuralNet", dependencies: ["COpenBLAS", "CVectorKernels", "SteerLensSupport"]),
        .target(name: "ModelImport", dependencies: [
            "CHDF5", "CZlib", "NeuralNet", "SteerLensSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "Saliency", dependencies: ["CVectorKernels", "NeuralNet", "SteerLensSupport"]),
        .target(name: "Reporting", dependencies: [
            "Saliency", "VideoIO", "CVectorKernels", "SteerLensSupport", .product(name: "Mustache", package: "swift-mustache"),
        ]),
        // Metamorphic image transformations of decoded frames (DeepTest's, weather, re-compression).
        .target(name: "Transforms", dependencies: ["CVectorKernels", "VideoIO", "SteerLensSupport"]),
        // The analysis pipeline as a library: model sessions, frame stages, clip analysis and comparison.
        .target(name: "Analysis", dependencies: ["Transforms", "VideoIO", "NeuralNet", "ModelImport", "Saliency", "Reporting", "SteerLensSupport"]),
        .executableTarget(
            name: "SteerLensCLI",
            dependencies: [
                "Analysis", "Transforms", "VideoIO", "NeuralNet", "ModelImport", "Saliency", "Reporting", "SteerLensSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "SteerLensBench", dependencies: ["VideoIO", "SteerLensSupport", "NeuralNet", "ModelImport", "Saliency", "Transforms", "Analysis"]),
        .target(name: "DemoData", dependencies: ["VideoIO", "SteerLensSupport"]),
        .executableTarget(name: "SteerLensDatagen", dependencies: ["DemoData", "VideoIO", "SteerLensSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .target(name: "TestSupport", dependencies: ["VideoIO", "ModelImport", "SteerLensSupport"], path: "Tests/TestSupport"),
        .testTarget(name: "SteerLensSupportTests", dependencies: ["SteerLensSupport"]),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "CVectorKernels", "SteerLensSupport", "TestSupport", "CZlib"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "SteerLensSupport", "TestSupport"]),
        .testTarget(name: "ModelImportTests", dependencies: ["ModelImport", "NeuralNet", "SteerLensSupport", "TestSupport"]),
        .testTarget(name: "SaliencyTests", dependencies: ["Saliency", "CVectorKernels", "NeuralNet", "ModelImport", "VideoIO", "SteerLensSupport", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Saliency", "VideoIO", "SteerLensSupport", "TestSupport"]),
        .testTarget(name: "DemoDataTests", dependencies: ["Analysis", "Reporting", "DemoData", "VideoIO", "NeuralNet", "ModelImport", "Saliency", "SteerLensSupport"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Transforms", "Reporting", "Saliency", "NeuralNet", "ModelImport", "VideoIO", "SteerLensSupport", "TestSupport"]),
        .testTarget(name: "TransformsTests", dependencies: ["Transforms", "CVectorKernels", "VideoIO", "SteerLensSupport", "TestSupport"]),
        .testTarget(name: "SteerLensCLITests", dependencies: ["Analysis", "VideoIO", "NeuralNet", "ModelImport", "SteerLensSupport", "TestSupport"]),
    ]
)
