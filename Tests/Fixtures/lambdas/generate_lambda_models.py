#!/usr/bin/env python3
"""TensorFlow parity models for Lambda bodies: models/<case>/ with a Keras 1.2.1-layout model.h5.

Each model is  Lambda -> Convolution2D 3x3 valid tanh (4) -> MaxPooling2D 2x2 -> Flatten -> Dense 1,
written with h5py in the Keras 1.2.1 layout (the writer of ../keras/generate_fixtures.py). The Lambda's
`function` is the marshalled code of one `model_*` case of lambdas.json, compiled by a chosen Python
version (3.5 ... 3.12) and stored the way that Keras stored it (raw_unicode_escape text for the
Python 3.5/3.6 cases, as Keras 1 did; base64 otherwise, as Keras >= 2.1.2 did).

The references never run that bytecode: each case writes the Lambda's meaning out explicitly in
TensorFlow (MEANINGS below), applied to each image on its own (SteerLens treats frames independently;
for whole-tensor reductions such as K.min(x) this is TensorFlow's value on a batch of one), followed
by the same conv/pool/dense layers in plain TensorFlow:
  input.npy     float32 (2, H, W, 3) integer pixels 0..255 (model_minmax: clipped to 20..230, so the
                extremes are tied)
  output.npy    float32 (2, 1)
  seed.npy      float32 (2, 1), a fixed random projection r
  gradient.npy  float32 (2, H, W, 3) = d(sum(r * output))/d(input), tf.GradientTape; through
                ResizeArea (no TF gradient) it is the area resize's exact Jacobian transpose, from
                pushing unit images through tf.image.resize (linear map).
  case.json     python version, encoding, lambda source, meaning, shapes.
  weights.h5 + architecture.json   for the WEIGHTS_ONLY cases: the same model as a Keras 1 save_weights
                file and its model.to_json() text.

    pip install tensorflow-cpu==2.21.0 h5py==3.14.0 numpy==2.4.6
    python3 generate_lambda_fixtures.py   # first, if MODEL_CASES changed
    python3 generate_lambda_models.py

It also writes resize_kernels.json: each of SteerLens' eleven resize kernels (TF1 legacy / align_corners,
TF2 half-pixel; bilinear, nearest, bicubic; area) against the TensorFlow op it stands for.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import json
import shutil
import sys
import zlib

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "keras"))
from generate_fixtures import write_keras1_h5, k1_conv, k1_dense  # noqa: E402

tf.config.experimental.enable_op_determinism()
OUT = os.path.join(HERE, "models")
N = 2
v1 = tf.compat.v1.image


def area_then(post, size):
    """An AREA resize (no TF gradient) followed by `post`: forward, and the gradient hook below."""
    def meaning(x):
        return post(v1.resize_images(x, size, method=v1.ResizeMethod.AREA))
    meaning.area = (size, post)
    return meaning


# case -> (python version, encoding, input (H, W), meaning of the Lambda on ONE image batch [1,H,W,3])
CASES = {
    "model_normalize_area": ("3.5.0", "raw_unicode_escape", (12, 16),
                             area_then(lambda r: r / 127.5 - 1.0, (8, 10))),
    "model_crop_import": ("3.6.15", "raw_unicode_escape", (12, 16), lambda x: x[:, 3:-2, 1:15]),
    "model_resize_align_corners": ("3.7.16", "base64", (12, 16),
                                   lambda x: v1.resize_images(x, (9, 11), align_corners=True) / 255.0 - 0.5),
    "model_minmax": ("3.8.18", "base64", (10, 12),
                     lambda x: (x - tf.reduce_min(x)) / (tf.reduce_max(x) - tf.reduce_min(x))),
    "model_bicubic_standardize": ("3.9.18", "base64", (12, 16),
                                  lambda x: tf.image.per_image_standardization(
                                      tf.image.resize(x[:, 2:, :, :], (7, 9), method="bicubic"))),
    "model_nearest_yuv": ("3.10.13", "base64", (12, 16),
                          lambda x: tf.image.rgb_to_yuv(v1.resize_images(x, (10, 12), method=v1.ResizeMethod.NEAREST_NEIGHBOR) / 255.0)),
    "model_per_channel": ("3.11.7", "base64", (10, 12),
                          lambda x: (x - tf.constant([123.68, 116.78, 103.94], tf.float32)) / 58.0),
    "model_concat_expand": ("3.11.7", "raw_unicode_escape", (10, 12),
                            lambda x: tf.concat([x / 255.0, tf.expand_dims(tf.reduce_mean(x, axis=-1), -1) / 255.0 - 0.5], axis=-1)),
    "model_hsv": ("3.9.18", "raw_unicode_escape", (10, 12), lambda x: tf.image.rgb_to_hsv(x / 255.0) * 2.0 - 1.0),
    "model_bgr_std_clip": ("3.10.13", "raw_unicode_escape", (10, 12),
                           lambda x: tf.clip_by_value((x[..., ::-1] - tf.reduce_mean(x[..., ::-1])) / tf.math.reduce_std(x[..., ::-1]), -1.5, 1.5)),
    "model_gray_tanh": ("3.12.1", "base64", (10, 12),
                        lambda x: tf.tanh(tf.image.rgb_to_grayscale(x) / 127.5 - 1.0)),
}

MEANING_TEXT = {
    "model_normalize_area": "tf.compat.v1.image.resize_images(x, (8, 10), method=AREA) / 127.5 - 1.0",
    "model_crop_import": "x[:, 3:-2, 1:15]",
    "model_resize_align_corners": "tf.compat.v1.image.resize_images(x, (9, 11), align_corners=True) / 255.0 - 0.5",
    "model_minmax": "(x - tf.reduce_min(x)) / (tf.reduce_max(x) - tf.reduce_min(x)), per image",
    "model_bicubic_standardize": "tf.image.per_image_standardization(tf.image.resize(x[:, 2:], (7, 9), method='bicubic'))",
    "model_nearest_yuv": "tf.image.rgb_to_yuv(tf.compat.v1.image.resize_images(x, (10, 12), method=NEAREST_NEIGHBOR) / 255.0)",
    "model_per_channel": "(x - [123.68, 116.78, 103.94]) / 58.0",
    "model_concat_expand": "tf.concat([x / 255.0, tf.expand_dims(tf.reduce_mean(x, axis=-1), -1) / 255.0 - 0.5], axis=-1)",
    "model_hsv": "tf.image.rgb_to_hsv(x / 255.0) * 2.0 - 1.0 (TF's registered RGBToHSV gradient)",
    "model_bgr_std_clip": "tf.clip_by_value((x[..., ::-1] - reduce_mean) / reduce_std, -1.5, 1.5), per image",
    "model_gray_tanh": "tf.tanh(tf.image.rgb_to_grayscale(x) / 127.5 - 1.0)",
}


# Cases also written as a Keras 1 `save_weights` file plus the `model.to_json()` architecture.
WEIGHTS_ONLY = {"model_crop_import"}


def write_keras1_weights_only(d, config, layers):
    """weights.h5 in Keras 1.2 `save_weights` layout (the model_weights group's content at the root)
    and architecture.json = `model.to_json()` (the model_config with keras_version and backend)."""
    import h5py
    with h5py.File(os.path.join(d, "weights.h5"), "w") as f:
        f.attrs["layer_names"] = np.array([n.encode("utf8") for n, _ in layers])
        for lname, weights in layers:
            g = f.create_group(lname)
            g.attrs["weight_names"] = np.array([wn.encode("utf8") for wn, _ in weights]) if weights \
                else np.array([], dtype=np.float64)
            for wn, arr in weights:
                g.create_dataset(wn, data=np.asarray(arr, np.float32))
    with open(os.path.join(d, "architecture.json"), "w") as f:
        json.dump(dict(config, keras_version="1.2.1", backend="tensorflow"), f)


def per_image(meaning, x):
    return tf.concat([meaning(x[i:i + 1]) for i in range(x.shape[0])], axis=0)


def network(weights, z):
    w, b, dw, db = weights
    y = tf.tanh(tf.nn.conv2d(z, w, strides=1, padding="VALID") + b)
    y = tf.nn.max_pool2d(y, 2, 2, "VALID")
    y = tf.reshape(y, [y.shape[0], -1])
    return y @ dw + db


def area_adjoint(size, x_shape, g, align_corners=False):
    """J^T g for the (linear) AREA resize of one [H, W, C] image, per batch item."""
    _, h, w, c = x_shape
    basis = np.eye(h * w * c, dtype=np.float32).reshape(h * w * c, h, w, c)
    jacobian = np.asarray(v1.resize_area(basis, size, align_corners=align_corners), np.float64).reshape(h * w * c, -1)
    return np.stack([(jacobian @ g[i].reshape(-1).astype(np.float64)).reshape(h, w, c) for i in range(g.shape[0])]).astype(np.float32)


# ModelImport ResizeMethod raw value -> the TensorFlow call it stands for (resize_kernels.json).
RESIZE_KERNELS = {
    "bilinear_tf1": lambda x, s: v1.resize_bilinear(x, s),
    "bilinear_tf1_align_corners": lambda x, s: v1.resize_bilinear(x, s, align_corners=True),
    "bilinear": lambda x, s: tf.image.resize(x, s, method="bilinear"),
    "nearest_tf1": lambda x, s: v1.resize_nearest_neighbor(x, s),
    "nearest_tf1_align_corners": lambda x, s: v1.resize_nearest_neighbor(x, s, align_corners=True),
    "nearest": lambda x, s: tf.image.resize(x, s, method="nearest"),
    "bicubic_tf1": lambda x, s: v1.resize_bicubic(x, s),
    "bicubic_tf1_align_corners": lambda x, s: v1.resize_bicubic(x, s, align_corners=True),
    "bicubic": lambda x, s: tf.image.resize(x, s, method="bicubic"),
    "area": lambda x, s: v1.resize_area(x, s),
    "area_tf1_align_corners": lambda x, s: v1.resize_area(x, s, align_corners=True),
}


def resize_kernels():
    """resize_kernels.json: every resize kernel on one small batch, down- and upscaling, with the input
    gradient of sum(seed * output) (ResizeArea: its exact Jacobian transpose, see area_adjoint)."""
    rng = np.random.default_rng(zlib.crc32(b"resize_kernels"))
    x = rng.normal(0, 1, (1, 5, 7, 2)).astype(np.float32)
    short = lambda a: [float("%.9g" % v) for v in np.asarray(a, np.float32).reshape(-1)]  # float32 round-trips
    cases = []
    for method, function in RESIZE_KERNELS.items():
        for size in ((3, 4), (8, 11)):
            xt = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(xt)
                y = function(xt, size)
            seed = rng.normal(0, 1, y.shape).astype(np.float32)
            if method.startswith("area"):
                gradient = area_adjoint(size, x.shape, seed, align_corners=method != "area")
            else:
                gradient = np.asarray(tape.gradient(y, xt, output_gradients=tf.constant(seed)), np.float32)
            cases.append({"method": method, "height": size[0], "width": size[1],
                          "output": short(y), "seed": short(seed), "gradient": short(gradient)})
    with open(os.path.join(HERE, "resize_kernels.json"), "w") as f:
        json.dump({"generator": "Tests/Fixtures/lambdas/generate_lambda_models.py", "tensorflow": tf.__version__,
                   "input_shape": list(x.shape), "input": short(x), "cases": cases}, f)
        f.write("\n")


def main():
    resize_kernels()
    with open(os.path.join(HERE, "lambdas.json")) as f:
        fixtures = json.load(f)["cases"]
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for name, (version, encoding, (h, w), meaning) in CASES.items():
        entry = next(c for c in fixtures if c["name"] == name and c["python_version"] == version and c["encoding"] == encoding)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        x = rng.integers(0, 256, size=(N, h, w, 3)).astype(np.float32)
        if name == "model_minmax":
            x = np.clip(x, 20, 230)  # a saturated frame: tied extremes share the min/max gradient
        if name == "model_hsv":
            x = np.floor(x / 32) * 32  # 8 levels per channel: many pixels with tied channels (TF's tie rules)
        z_shape = per_image(meaning, tf.constant(x[:1])).shape[1:]
        zc = z_shape[-1]
        conv_w = rng.normal(0, 1 / np.sqrt(9 * zc), (3, 3, zc, 4)).astype(np.float32)
        conv_b = rng.normal(0, 0.1, (4,)).astype(np.float32)
        flat = ((z_shape[0] - 2) // 2) * ((z_shape[1] - 2) // 2) * 4
        dense_w = rng.normal(0, 1 / np.sqrt(flat), (flat, 1)).astype(np.float32)
        dense_b = rng.normal(0, 0.1, (1,)).astype(np.float32)
        seed = rng.normal(0, 1, (N, 1)).astype(np.float32)
        weights = [tf.constant(a) for a in (conv_w, conv_b, dense_w, dense_b)]

        xt = tf.constant(x)
        area = getattr(meaning, "area", None)
        with tf.GradientTape() as tape:
            if area:
                r = tf.concat([v1.resize_images(xt[i:i + 1], area[0], method=v1.ResizeMethod.AREA) for i in range(N)], 0)
                tape.watch(r)
                z = per_image(area[1], r)
            else:
                tape.watch(xt)
                z = per_image(meaning, xt)
            y = network(weights, z)
            loss = tf.reduce_sum(y * seed)
        if area:
            gradient = area_adjoint(area[0], x.shape, np.asarray(tape.gradient(loss, r)))
        else:
            gradient = np.asarray(tape.gradient(loss, xt), np.float32)

        config = {"class_name": "Sequential", "config": [
            {"class_name": "Lambda", "config": {
                "name": "lambda_1", "trainable": True, "function": entry["function"], "function_type": "lambda",
                "output_shape": None, "output_shape_type": "raw", "arguments": {},
                "batch_input_shape": [None, h, w, 3], "input_dtype": "float32"}},
            k1_conv("convolution2d_1", 4, 3, (1, 1), "valid", "tanh"),
            {"class_name": "MaxPooling2D", "config": {
                "name": "maxpooling2d_1", "trainable": True, "dim_ordering": "tf", "pool_size": [2, 2],
                "strides": [2, 2], "border_mode": "valid"}},
            {"class_name": "Flatten", "config": {"trainable": True, "name": "flatten_1"}},
            k1_dense("dense_1", flat, 1, "linear"),
        ]}
        layers = [("lambda_1", []), ("convolution2d_1", [("convolution2d_1_W:0", conv_w), ("convolution2d_1_b:0", conv_b)]),
                  ("maxpooling2d_1", []), ("flatten_1", []), ("dense_1", [("dense_1_W:0", dense_w), ("dense_1_b:0", dense_b)])]
        d = os.path.join(OUT, name)
        os.makedirs(d)
        write_keras1_h5(os.path.join(d, "model.h5"), config, layers)
        if name in WEIGHTS_ONLY:
            write_keras1_weights_only(d, config, layers)
        for file, array in (("input", x), ("output", np.asarray(y, np.float32)), ("seed", seed), ("gradient", gradient)):
            np.save(os.path.join(d, file + ".npy"), array)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump({"python_version": version, "encoding": encoding, "lambda": entry["lambda"],
                       "expected_operations": entry["expected_operations"], "meaning_in_tensorflow": MEANING_TEXT[name],
                       "lambda_output_shape": list(z_shape), "input_shape": list(x.shape),
                       "generated_with": {"tensorflow": tf.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}},
                      f, indent=1, sort_keys=True)
            f.write("\n")
        print("%-28s Python %-8s %-18s lambda -> %s" % (name, version, encoding, list(z_shape)), file=sys.stderr)


if __name__ == "__main__":
    main()
