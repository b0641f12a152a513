#!/usr/bin/env bash
# Writes docs/transforms/<name>.png: demo frame 738 (24.6 s, a right curve) under one setting of every
# transform, 320 px wide, with the release binary's `frames --transform` (run from the repository root
# after `swift build -c release --product steerlens`).
set -euo pipefail
binary=${STEERLENS:-.build/release/steerlens}
out=docs/transforms
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while read -r name setting crop; do
    # scale enlarges the frame (DeepTest's semantics): its picture shows the centre 640x360 of the larger frame.
    "$binary" frames Datasets/demo/drive.mp4 --start 24.6 --max-frames 1 --transform "$setting" --resize 320x180 \
        ${crop:+--crop "$crop"} --out "$work/$name" --overwrite 2>/dev/null
    mv "$work/$name"/*.png "$out/$name.png"
done <<'LIST'
original brightness:0
translation translation:50,50
scale scale:2.5 270,270,480,480
shear shear:0.3
rotation rotation:9
contrast contrast:1.6
brightness brightness:60
blur-mean6 blur:mean6
blur-gaussian7 blur:gaussian7
blur-median5 blur:median5
blur-bilateral blur:bilateral
fog fog:0.6
rain rain:0.6
night night:3
dirt dirt:6
jpeg jpeg:31
h264 h264:51
roll roll:3
pitch pitch:20
flip flip
LIST
echo "wrote $(ls "$out"/*.png | wc -l) pictures to $out"
