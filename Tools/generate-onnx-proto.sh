#!/usr/bin/env bash
# Regenerates Sources/ModelImport/ONNX/Generated/onnx.pb.swift, ONCE, by hand; CI never runs protoc.
#
# Inputs (pinned):
#   - onnx 1.23.2 from PyPI (`pip install onnx==1.23.2`): its onnx.proto, turned into onnx.proto3 with the
#     onnx project's own gen_proto.convert_to_proto3 (the function that writes the onnx.proto3 in the onnx
#     repository), so the field numbers are the official ones;
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
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import os, sys
import onnx
from onnx import gen_proto
assert onnx.__version__ == "1.23.2", f"pin onnx 1.23.2, found {onnx.__version__}"
source = os.path.join(os.path.dirname(onnx.__file__), "onnx.proto")
with open(source, encoding="utf-8") as fin:
    lines = list(gen_proto.convert_to_proto3(fin.read().splitlines()))
with open(os.path.join(sys.argv[1], "onnx.proto3"), "w", encoding="utf-8") as fout:
    fout.write("\n".join(lines) + "\n")
PY
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal \
    --swift_out="$work" -I "$work" "$work/onnx.proto3"
mv "$work/onnx.pb.swift" Sources/ModelImport/ONNX/Generated/onnx.pb.swift
echo "wrote Sources/ModelImport/ONNX/Generated/onnx.pb.swift ($(wc -l < Sources/ModelImport/ONNX/Generated/onnx.pb.swift) lines)"
