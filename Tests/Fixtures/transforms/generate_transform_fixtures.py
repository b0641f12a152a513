#!/usr/bin/env python3
"""Writes the OpenCV parity fixtures for SteerLens's DeepTest transforms (Tests/Fixtures/transforms).

Run from the repository root with `pip install opencv-python-headless` (fixtures committed with
OpenCV 5.0.0): python3 Tests/Fixtures/transforms/generate_transform_fixtures.py

source.png is demo frame 738 (Datasets/demo/drive.mp4 at 24.6 s) shrunk to 96x54 with
`ffmpeg -vf scale=96:54:flags=area`; every other PNG is `<transform>_<value>.png`, the RGB result of
the OpenCV call DeepTest makes (ARiSE-Lab/deepTest, testgen/*), with DeepTest's contrast and
brightness accidents fixed: the scalar is given for all three channels (see issue 14).
`scale_<S>_without_ipp.png` is the same resize with Intel IPP turned off (`cv2.ipp.setUseIPP(False)`).
"""
import os
import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def rgb_read(name):
    return cv2.cvtColor(cv2.imread(os.path.join(HERE, name), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def rgb_write(name, image):
    assert cv2.imwrite(os.path.join(HERE, name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def main():
    image = rgb_read("source.png")
    rows, cols = image.shape[:2]
    cases = {}
    for tx, ty in [(10, 10), (30, 30), (-20, 5)]:
        cases[f"translation_{tx},{ty}"] = cv2.warpAffine(image, np.float32([[1, 0, tx], [0, 1, ty]]), (cols, rows))
    for s in [1.5, 2.5, 4.0]:
        cases[f"scale_{s:g}"] = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
    # OpenCV's own cubic resize: the wheels' default above is Intel IPP's, which rounds its weights
    # differently (up to 1 apart on some values); SteerLens computes OpenCV's.
    cv2.ipp.setUseIPP(False)
    for s in [1.5, 2.5, 4.0]:
        cases[f"scale_{s:g}_without_ipp"] = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
    cv2.ipp.setUseIPP(True)
    for f in [0.1, 0.3, 0.7]:
        cases[f"shear_{f:g}"] = cv2.warpAffine(image, np.float32([[1, -f, 0], [0, 1, 0]]), (cols, rows))
    for deg in [3, 9, 27]:
        cases[f"rotation_{deg}"] = cv2.warpAffine(image, cv2.getRotationMatrix2D((cols / 2, rows / 2), deg, 1), (cols, rows))
    for alpha in [1.2, 2.0, 3.0]:
        out = cv2.multiply(image, (alpha, alpha, alpha, 0))
        assert np.array_equal(out, np.clip(np.rint(image.astype(np.float32) * np.float32(alpha)), 0, 255).astype(np.uint8))
        cases[f"contrast_{alpha:g}"] = out
    for beta in [10, 50, 100]:
        out = cv2.add(image, (beta, beta, beta, 0))
        assert np.array_equal(out, np.clip(image.astype(int) + beta, 0, 255).astype(np.uint8))
        cases[f"brightness_{beta}"] = out
    for k in [3, 4, 5, 6]:
        cases[f"blur_mean{k}"] = cv2.blur(image, (k, k))
    for k in [3, 5, 7]:
        cases[f"blur_gaussian{k}"] = cv2.GaussianBlur(image, (k, k), 0)
    for k in [3, 5]:
        cases[f"blur_median{k}"] = cv2.medianBlur(image, k)
    cases["blur_bilateral"] = cv2.bilateralFilter(image, 9, 75, 75)
    cases["flip_horizontal"] = cv2.flip(image, 1)
    for name, out in cases.items():
        rgb_write(name + ".png", out)
    print(f"wrote {len(cases)} fixtures with OpenCV {cv2.__version__}")


if __name__ == "__main__":
    main()
