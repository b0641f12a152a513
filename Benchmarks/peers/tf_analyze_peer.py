#!/usr/bin/env python3
"""End-to-end peer for `steerlens-bench analyze`: what a user does today to get saliency overlays for a clip.

OpenCV decodes the clip; each frame is cropped and resized the way the model's sidecar says (INTER_AREA);
batches of 32 go through the Keras model; the three keras-vis steering maps (increase / decrease /
maintain) come from tf-keras-vis `Saliency` (one call per map) or, with --tape, from one hand-written
tf.GradientTape gradient; each map is drawn over the full frame with matplotlib's jet
(uint8(0.7·frame + 0.3·jet)) and saved as a full-resolution PNG with Pillow — three PNG streams.

Install: pip install tensorflow-cpu tf-keras tf-keras-vis opencv-python-headless pillow matplotlib
Prints `<variant> frames=<n> seconds=<s> frames_per_s=<value>`.
"""
import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from PIL import Image  # noqa: E402

EPS = 1e-7
JET = (colormaps["jet"](np.arange(256))[:, :3] * 255).astype(np.uint8)


def percent(value, extent):
    value = str(value)
    return round(float(value[:-1]) / 100 * extent) if value.endswith("%") else int(value)


def normalise(m):
    low = m.min(axis=(1, 2), keepdims=True)
    high = m.max(axis=(1, 2), keepdims=True)
    return (m - low) / (high - low + EPS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("model")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--out", default="/tmp/steerlens-peer")
    parser.add_argument("--tape", action="store_true")
    args = parser.parse_args()

    sidecar = json.loads(pathlib.Path(args.model + ".steerlens.json").read_text())
    model = keras.models.load_model(args.model, compile=False)
    width, height = (int(v) for v in sidecar["resize"].split("x"))
    out = pathlib.Path(args.out)
    for name in ("increase", "decrease", "maintain"):
        (out / name).mkdir(parents=True, exist_ok=True)

    if args.tape:
        @tf.function
        def gradient(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = model(x, training=False)[:, 0]
            return tape.gradient(y, x)

        def maps(batch):
            g = gradient(tf.constant(batch)).numpy()
            return [normalise(g.max(-1)), normalise((-g).max(-1)), normalise(np.abs(1 / (g + EPS)).max(-1))]
    else:
        from tf_keras_vis.saliency import Saliency
        saliency = Saliency(model, clone=False)
        modifiers = [lambda g: g, lambda g: -g, lambda g: tf.abs(1.0 / (g + EPS))]

        def maps(batch):
            return [np.asarray(saliency(lambda o: o[:, 0], batch, gradient_modifier=m, normalize_map=True, keepdims=False)) for m in modifiers]

    capture = cv2.VideoCapture(args.clip)
    start = time.perf_counter()
    done = 0
    while done < args.frames:
        frames = []
        while len(frames) < 32 and done + len(frames) < args.frames:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if not frames:
            break
        h, w = frames[0].shape[:2]
        top, bottom = percent(sidecar["crop"][0], h), percent(sidecar["crop"][1], h)
        left, right = percent(sidecar["crop"][2], w), percent(sidecar["crop"][3], w)
        crops = [f[top:h - bottom, left:w - right] for f in frames]
        batch = np.stack([cv2.resize(c, (width, height), interpolation=cv2.INTER_AREA) for c in crops]).astype(np.float32)
        for name, kind in zip(("increase", "decrease", "maintain"), maps(batch)):
            for index, (frame, m) in enumerate(zip(frames, kind)):
                crop_h, crop_w = h - top - bottom, w - left - right
                heat = JET[np.minimum((cv2.resize(m, (crop_w, crop_h), interpolation=cv2.INTER_LINEAR) * 256).astype(np.int32), 255)]
                overlay = frame.copy()
                overlay[top:h - bottom, left:w - right] = (0.7 * frame[top:h - bottom, left:w - right] + 0.3 * heat).astype(np.uint8)
                Image.fromarray(overlay).save(out / name / f"{done + index:06d}.png")
        done += len(frames)
    seconds = time.perf_counter() - start
    variant = "tf.GradientTape" if args.tape else "tf-keras-vis"
    print(f"{variant} frames={done} seconds={seconds:.2f} frames_per_s={done / seconds:.2f}", flush=True)


if __name__ == "__main__":
    main()
