#!/usr/bin/env bash
# Regenerates Sources/ModelImport/ONNX/Generated/*.pb.swift, ONCE, by hand; CI never runs protoc.
#
# Inputs (pinned):
#   - onnx 1.23.2 from PyPI (`pip install onnx==1.23.2`): Tools/onnx/subset_proto.py writes the messages and
#     fields SteerLens reads (Tools/onnx/*.proto, committed for review) from the descriptors of its
#     onnx-ml.proto, so every field number and type is the official one; fields left out are skipped by the
#     parser as unknown fields;
#   - protoc from Debian (`apt-get install protobuf-compiler`, libprotoc 3.21.12);
#   - protoc-gen-swift built from the swift-protobuf 1.39.0 package checkout SwiftPM resolves for this
#     package (the generated code must match the SwiftProtobuf runtime it is compiled against):
#       swift package resolve
#       (cd .build/checkouts/swift-protobuf && swift build --product protoc-gen-swift)   # ~4-10 min
#
# Usage: Tools/generate-onnx-proto.sh [/path/to/protoc-gen-swift]
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${1:-.build/checkouts/swift-protobuf/.build/debug/protoc-gen-swift}"
rm -f Tools/onnx/*.proto
python3 Tools/onnx/subset_proto.py Tools/onnx
rm -f Sources/ModelImport/ONNX/Generated/*.pb.swift
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal \
    --swift_out=Sources/ModelImport/ONNX/Generated -I Tools/onnx Tools/onnx/*.proto
wc -l Sources/ModelImport/ONNX/Generated/*.pb.swift
