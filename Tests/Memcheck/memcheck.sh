#!/usr/bin/env bash
# valgrind memcheck over the C boundary: every clip of the decode sweep (DecodeSweepTests) decoded
# and converted by `steerlens probe --count`, one short `analyze` with overlays, panels and video, and
# JPEG frames of an odd size. AddressSanitizer cannot see these: the writes happen inside the
# uninstrumented FFmpeg libraries. Fails (exit 99) on any invalid read or write, use of an
# uninitialised value or bad free; leaks are not checked.
#   Tests/Memcheck/memcheck.sh BUILD_DIR   (BUILD_DIR holds the debug steerlens and test bundle)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-.build/debug}
work=.build/memcheck
rm -rf "$work" && mkdir -p "$work"
clips=$PWD/$work/clips

echo "memcheck: generating the decode-sweep clips"
STEERLENS_SWEEP_CLIPS=$clips "$build/SteerLensPackageTests.xctest" VideoIOTests.DecodeSweepTests > "$work/sweep.log" 2>&1 \
    || { tail -20 "$work/sweep.log"; exit 1; }

memcheck() {
    valgrind --quiet --error-exitcode=99 --leak-check=no --suppressions=Tests/Memcheck/swift.supp "$build/steerlens" "$@"
}

inputs=()
while IFS= read -r -d '' file; do inputs+=("$file"); done < <(find "$clips" -maxdepth 1 -type f ! -name '*.rgb' -print0 | sort -z)
while IFS= read -r -d '' folder; do inputs+=("$folder/%03d.png"); done < <(find "$clips" -mindepth 1 -maxdepth 1 -type d -print0 | sort -z)
echo "memcheck: decoding ${#inputs[@]} sweep clips"
memcheck probe --count --json "${inputs[@]}" > "$work/probe.json"

model=Tests/Fixtures/keras/pilotnet_small/model.h5
odd=$(find "$clips" -name '97x61-libx264-yuv444p-*' | head -1)
awkward=$(find "$clips" -name '202x66-libx264-yuv420p-*.mp4' | head -1)
echo "memcheck: analyze with overlays, panels and video"
memcheck analyze "$odd" "$awkward" --model "$model" --max-frames 3 --panel --video --png-width 101 --out "$work/analyze" --quiet > /dev/null
echo "memcheck: JPEG frames"
memcheck frames "$odd" --format jpeg --resize 61x37 --out "$work/frames" > /dev/null
echo "memcheck: clean"
