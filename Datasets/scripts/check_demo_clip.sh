#!/bin/sh
# Regenerates the whole demo clip (seed 7, 45 s) with a release build and checks it against the
# committed files: drive.mp4, labels.csv and scene.csv byte for byte, the masks pixel for pixel (PNG
# bytes depend on the libavcodec PNG encoder's settings, the pixels do not). Run from the repository
# root; takes about a minute. The unit tests check a 1.5 s prefix in every CI run.
set -eu
scratch=${SCRATCH_PATH:-.build-demo}
swift build -c release --product steerlens-datagen --scratch-path "$scratch" >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$scratch/release/steerlens-datagen" clip --seed 7 --seconds 45 --masks-every 30 --out "$out"
status=0
for file in drive.mp4 labels.csv scene.csv; do
    if cmp -s "Datasets/demo/$file" "$out/$file"; then echo "same: $file"; else echo "DIFFERENT: $file"; status=1; fi
done
for mask in Datasets/demo/masks/*.png; do
    name=$(basename "$mask")
    a=$(ffmpeg -loglevel error -i "$mask" -f framemd5 - | tail -1 | awk '{print $NF}')
    b=$(ffmpeg -loglevel error -i "$out/masks/$name" -f framemd5 - | tail -1 | awk '{print $NF}')
    if [ "$a" != "$b" ]; then echo "DIFFERENT: masks/$name"; status=1; fi
done
[ $status -eq 0 ] && echo "the committed demo clip, labels and masks are reproduced exactly"
exit $status
