#!/usr/bin/env python3
"""Peer for `steerlens-bench stress`: DeepTest's approach to the same job (ARiSE-Lab/deepTest, testgen/).

OpenCV decodes the demo clip; every frame goes through DeepTest's 70 transform settings with the OpenCV
calls DeepTest makes (warpAffine for translation/shear/rotation, resize INTER_CUBIC for scale, multiply/add
for contrast/brightness on all three channels, blur/GaussianBlur/medianBlur/bilateralFilter), is cropped
and resized the way the model's sidecar says (INTER_AREA), and the transformed frames of each setting go
through the Keras model in batches of 32 (`predict_on_batch`; DeepTest calls `model.predict` per image,
so batching only helps the peer).

Install: pip install tensorflow-cpu tf-keras opencv-python-headless
Prints `frames=<n> settings=<k> transformed=<n*k> seconds=<s> transformed_frames_per_s=<value>`.
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
import tf_keras as keras  # noqa: E402


def percent(value, extent):
    value = str(value)
    return round(float(value[:-1]) / 100 * extent) if value.endswith("%") else int(value)


def deeptest_settings():
    """DeepTest's grids, p = 1..10: 70 (name, function) pairs."""
    settings = []
    for p in range(1, 11):
        settings.append((f"translation:{10 * p},{10 * p}", lambda img, t=10 * p: cv2.warpAffine(img, np.float32([[1, 0, t], [0, 1, t]]), (img.shape[1], img.shape[0]))))
    for p in range(1, 11):
        settings.append((f"scale:{1 + 0.5 * p:g}", lambda img, s=1 + 0.5 * p: cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)))
    for p in range(1, 11):
        settings.append((f"shear:{p / 10:g}", lambda img, f=p / 10: cv2.warpAffine(img, np.float32([[1, -f, 0], [0, 1, 0]]), (img.shape[1], img.shape[0]))))
    for p in range(1, 11):
        settings.append((f"rotation:{3 * p}", lambda img, d=3 * p: cv2.warpAffine(img, cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), d, 1), (img.shape[1], img.shape[0]))))
    for p in range(1, 11):
        settings.append((f"contrast:{1 + 0.2 * p:g}", lambda img, a=1 + 0.2 * p: cv2.multiply(img, (a, a, a, 0))))
    for p in range(1, 11):
        settings.append((f"brightness:{10 * p}", lambda img, b=10 * p: cv2.add(img, (b, b, b, 0))))
    blurs = [lambda i: cv2.blur(i, (3, 3)), lambda i: cv2.blur(i, (4, 4)), lambda i: cv2.blur(i, (5, 5)), lambda i: cv2.blur(i, (6, 6)),
             lambda i: cv2.GaussianBlur(i, (3, 3), 0), lambda i: cv2.GaussianBlur(i, (5, 5), 0), lambda i: cv2.GaussianBlur(i, (7, 7), 0),
             lambda i: cv2.medianBlur(i, 3), lambda i: cv2.medianBlur(i, 5), lambda i: cv2.bilateralFilter(i, 9, 75, 75)]
    settings += [(f"blur:{k}", f) for k, f in zip(["mean3", "mean4", "mean5", "mean6", "gaussian3", "gaussian5", "gaussian7", "median3", "median5", "bilateral"], blurs)]
    return settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("model")
    parser.add_argument("--frames", type=int, default=64)
    args = parser.parse_args()

    sidecar = json.loads(pathlib.Path(args.model + ".steerlens.json").read_text())
    model = keras.models.load_model(args.model, compile=False)
    width, height = (int(v) for v in sidecar["resize"].split("x"))
    top, bottom, left, right = sidecar["crop"]

    def preprocess(frame):
        h, w = frame.shape[:2]
        t, b, l, r = percent(top, h), percent(bottom, h), percent(left, w), percent(right, w)
        return cv2.resize(frame[t:h - b, l:w - r], (width, height), interpolation=cv2.INTER_AREA)

    capture = cv2.VideoCapture(args.clip)
    frames = []
    while len(frames) < args.frames:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    settings = deeptest_settings()
    model.predict_on_batch(np.zeros((1, height, width, 3), np.float32))  # warm-up, not timed
    start = time.perf_counter()
    for _, transform in settings:
        for first in range(0, len(frames), 32):
            batch = np.stack([preprocess(transform(frame)) for frame in frames[first:first + 32]]).astype(np.float32)
            model.predict_on_batch(batch)
    seconds = time.perf_counter() - start
    count = len(frames) * len(settings)
    print(f"frames={len(frames)} settings={len(settings)} transformed={count} seconds={seconds:.2f} transformed_frames_per_s={count / seconds:.1f}")


if __name__ == "__main__":
    main()
