#!/usr/bin/env python3
"""Reference fixtures for SteerLens' Keras importer and numerics engine, made with real TensorFlow.

Run by hand (CI never runs this; it only reads the committed fixtures):

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py==3.14.0 numpy==2.4.6
    cd Tests/Fixtures/keras && python3 generate_fixtures.py          # regenerate + verify
    python3 generate_fixtures.py --verify-only                        # only re-check what is on disk

Versions used for the committed files: Python 3.11.7, TensorFlow 2.21.0, Keras 3.15.1,
tf-keras 2.21.0, h5py 3.14.0, NumPy 2.4.6, Linux x86_64 CPU (oneDNN disabled).

Every case gets a folder <case>/ with
  model.h5         full model (model_config + model_weights) -- or weights.h5 + architecture.json
  input.npy        float32 (N,H,W,C), N = 2
  output.npy       float32, model output 0 for input.npy, model(x, training=False)
  seed.npy         float32, same shape as output.npy: a fixed random projection r
  gradient.npy     float32 (N,H,W,C) = d(sum(r * output))/d(input), tf.GradientTape, training=False
  output_1.npy, seed_1.npy, gradient_1.npy   the same for output 1 of multi-output models
  case.json        keras version, writer, description, layer class names, shapes, notes
and summary.json lists all cases. See README.md for what every case exercises.

Determinism: every case draws its weights, inputs and seeds from its own numpy Generator seeded
with a fixed number (CASE_SEEDS), so cases do not depend on each other or on run order. Weights
are set explicitly with set_weights (no Keras initialisers involved). TF runs with oneDNN off and
op determinism on; re-running on another CPU may still differ in the last float32 bit, so tests
must compare with a tolerance (see README.md).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import argparse
import json
import platform
import shutil
import sys
import warnings
import zlib

import absl.logging
import h5py
import numpy as np
import tensorflow as tf
import keras
import tf_keras

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format_cases  # noqa: E402  (issue 12: .keras zip, tf.keras 2.6, categorical head, unsupported models)
import layer_cases  # noqa: E402  (issue 12: BatchNormalization axes/modes, layers, activations)

warnings.filterwarnings("ignore")
absl.logging.set_verbosity(absl.logging.ERROR)
tf.get_logger().setLevel("ERROR")
tf.config.experimental.enable_op_determinism()

HERE = os.path.dirname(os.path.abspath(__file__))
N = 2
PY = platform.python_version()
VERSIONS = {
    "python": PY,
    "tensorflow": tf.__version__,
    "keras": keras.__version__,
    "tf_keras": tf_keras.__version__,
    "h5py": h5py.__version__,
    "numpy": np.__version__,
}


def case_rng(name):
    # Stable per-case seed (crc32 of the case name), independent of Python's hash randomisation.
    return np.random.default_rng(zlib.crc32(name.encode()))


# ----------------------------------------------------------------------------------------------
# weights and inputs
# ----------------------------------------------------------------------------------------------

def init_weights(model, rng, kernel_gain=1.0):
    """Sets every weight explicitly from rng. Works for Keras 3 and tf_keras layers."""
    for layer in model.layers:
        if not layer.weights:
            continue
        new = []
        for w in layer.weights:
            kind = w.name.split("/")[-1].split(":")[0]
            shape = tuple(int(d) for d in w.shape)
            if kind == "kernel":
                fan_in = int(np.prod(shape[:-1]))
                v = rng.normal(0.0, kernel_gain / np.sqrt(fan_in), shape)
            elif kind == "bias":
                v = rng.normal(0.0, 0.1, shape)
            elif kind == "gamma":
                v = rng.uniform(0.5, 1.5, shape)
            elif kind == "beta":
                v = rng.normal(0.0, 0.3, shape)
            elif kind == "moving_mean":
                v = rng.normal(0.0, 0.5, shape)
            elif kind == "moving_variance":
                v = rng.uniform(0.3, 2.5, shape)
            else:
                raise ValueError(f"unexpected weight {w.name}")
            new.append(v.astype(np.float32))
        layer.set_weights(new)


def pixels(rng, h, w, c=3):
    """Integer-valued pixel intensities 0..255 stored as float32 (what a decoded frame gives)."""
    return rng.integers(0, 256, size=(N, h, w, c)).astype(np.float32)


def normal_input(rng, h, w, c=3, scale=1.0):
    return (rng.normal(0.0, scale, size=(N, h, w, c))).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# reference computation and writing
# ----------------------------------------------------------------------------------------------

def as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def reference(model, x, seeds):
    """Outputs and input gradients of sum(r_k * output_k) for every output k, training=False."""
    xt = tf.constant(x)
    grads, outs = [], None
    for k in range(len(seeds)):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            ys = as_list(model(xt, training=False))
            loss = tf.reduce_sum(tf.cast(ys[k], tf.float32) * tf.constant(seeds[k]))
        try:
            g = tape.gradient(loss, xt)
        except LookupError:  # op without a registered gradient (ResizeArea)
            g = None
        if outs is None:
            outs = [np.asarray(y, dtype=np.float32) for y in ys]
        grads.append(None if g is None else np.asarray(g, dtype=np.float32))
    return outs, grads


def linear_jacobian_transpose(model, x, seed):
    """For a LINEAR map without a registered TF gradient (ResizeArea): J^T r exactly, by pushing
    the unit basis of one sample through the model (the map acts on each sample independently)."""
    n, h, w, c = x.shape
    basis = np.eye(h * w * c, dtype=np.float32).reshape(h * w * c, h, w, c)
    cols = []
    for start in range(0, basis.shape[0], 256):
        cols.append(np.asarray(model(basis[start:start + 256], training=False), dtype=np.float64))
    J = np.concatenate(cols, axis=0).reshape(h * w * c, -1)  # row i = f(e_i)
    f0 = np.asarray(model(np.zeros((1, h, w, c), np.float32), training=False), np.float64).reshape(-1)
    J = J - f0[None, :]  # affine part removed (zero for resize)
    g = np.stack([(J @ seed[i].reshape(-1).astype(np.float64)).reshape(h, w, c) for i in range(n)])
    return g.astype(np.float32)


def layer_classes(model):
    out = []
    for layer in model.layers:
        out.append(layer.__class__.__name__)
    return out


def write_case(name, model, x, writer, description, rng, save, extra=None, grad_fallback=None):
    d = os.path.join(HERE, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    # seeds: draw after weights/inputs so they are stable for the case.
    probe = as_list(model(tf.constant(x), training=False))
    seeds = [rng.normal(0.0, 1.0, size=tuple(int(s) for s in y.shape)).astype(np.float32) for y in probe]
    outs, grads = reference(model, x, seeds)
    notes = []
    for k, g in enumerate(grads):
        if g is None:
            if grad_fallback is None:
                raise RuntimeError(f"{name}: no gradient for output {k}")
            grads[k] = grad_fallback(model, x, seeds[k])
            notes.append(" ".join(grad_fallback.__doc__.split()))
    saved = save(model, d)
    np.save(os.path.join(d, "input.npy"), x)
    for k, (y, r, g) in enumerate(zip(outs, seeds, grads)):
        sfx = "" if k == 0 else f"_{k}"
        np.save(os.path.join(d, f"output{sfx}.npy"), y)
        np.save(os.path.join(d, f"seed{sfx}.npy"), r)
        np.save(os.path.join(d, f"gradient{sfx}.npy"), g)
    keras_version = {"keras3-legacy-h5": keras.__version__, "keras3-zip": keras.__version__,
                     "tf-keras2": tf_keras.__version__}.get(writer)
    info = {
        "keras": keras_version,
        "writer": writer,
        "description": description,
        "layers": layer_classes(model),
        "files": saved,
        "input_shape": list(x.shape),
        "output_shapes": [list(y.shape) for y in outs],
        "n_outputs": len(outs),
        "gradient": "d(sum(seed * output))/d(input), tf.GradientTape, model(x, training=False)",
        "generated_with": VERSIONS,
    }
    if notes:
        info["gradient_note"] = notes
    if extra:
        info.update(extra)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"  {name:22s} {writer:17s} in {tuple(x.shape)} out {[tuple(y.shape) for y in outs]}")
    return info


def save_keras3(model, d):
    model.save(os.path.join(d, "model.h5"))  # .h5 suffix => Keras 3 legacy HDF5 writer
    return ["model.h5"]


def save_tfkeras(model, d):
    model.save(os.path.join(d, "model.h5"), save_format="h5")
    return ["model.h5"]


def save_tfkeras_weights_only(model, d):
    model.save_weights(os.path.join(d, "weights.h5"), save_format="h5")
    with open(os.path.join(d, "architecture.json"), "w") as f:
        f.write(model.to_json())
    return ["weights.h5", "architecture.json"]


# ----------------------------------------------------------------------------------------------
# Keras 3 cases (writer keras3-legacy-h5)
# ----------------------------------------------------------------------------------------------

L = keras.layers


def seq3(input_shape, layers, name):
    return keras.Sequential([keras.Input(input_shape)] + layers, name=name)


def k3_case(name, input_shape, layers, description, make_input, kernel_gain=1.0, extra=None,
            grad_fallback=None):
    rng = case_rng(name)
    model = seq3(input_shape, layers, name)
    init_weights(model, rng, kernel_gain)
    x = make_input(rng)
    return write_case(name, model, x, "keras3-legacy-h5", description, rng, save_keras3,
                      extra=extra, grad_fallback=grad_fallback)


def keras3_cases():
    infos = []
    nrm = lambda h, w, s=1.0: (lambda rng: normal_input(rng, h, w, 3, s))
    pix = lambda h, w: (lambda rng: pixels(rng, h, w))

    # --- convolutions
    infos.append(k3_case("conv_valid_stride", (12, 16, 3),
        [L.Conv2D(4, 5, strides=2, padding="valid", use_bias=True, activation="elu", name="conv")],
        "Conv2D 5x5 stride 2 valid, bias, elu. 12x16 -> 4x6 (last input row/col unused).", nrm(12, 16)))
    infos.append(k3_case("conv_same_odd", (12, 15, 3),
        [L.Conv2D(5, 3, strides=2, padding="same", use_bias=False, activation="relu", name="conv")],
        "Conv2D 3x3 stride 2 same, no bias, relu. 12x15 -> 6x8; rows need 1 pad (0 top, 1 bottom: "
        "TF puts the odd pad at the end), cols need 2 (1/1).", nrm(12, 15)))
    infos.append(k3_case("conv_1x1", (12, 16, 3),
        [L.Conv2D(6, 1, strides=1, padding="valid", use_bias=True, activation=None, name="conv")],
        "Conv2D 1x1 stride 1, bias, linear.", nrm(12, 16)))

    # --- dense
    infos.append(k3_case("dense_stack", (4, 5, 3),
        [L.Flatten(name="flatten"), L.Dense(8, activation="tanh", name="d_tanh"),
         L.Dense(6, activation="sigmoid", name="d_sigmoid"), L.Dense(5, activation="softplus", name="d_softplus"),
         L.Dense(1, activation=None, name="d_linear")],
        "Flatten (NHWC order) + Dense tanh 8 + Dense sigmoid 6 + Dense softplus 5 + Dense linear 1.", nrm(4, 5),
        kernel_gain=1.5))
    infos.append(k3_case("softmax_head", (4, 5, 3),
        [L.Flatten(name="flatten"), L.Dense(3, activation="softmax", name="probs")],
        "Flatten + Dense(3, softmax). Gradient uses a random seed, so the softmax Jacobian matters.",
        nrm(4, 5), kernel_gain=2.0))

    # --- activations (alone, on N(0, 3^2) data so every branch of each function is hit)
    infos.append(k3_case("act_elu_layer", (12, 16, 3), [L.ELU(alpha=0.7, name="elu")],
        "ELU layer, alpha 0.7.", nrm(12, 16, 3.0)))
    infos.append(k3_case("act_leaky_relu", (12, 16, 3), [L.LeakyReLU(negative_slope=0.2, name="leaky")],
        "LeakyReLU, negative_slope 0.2 (Keras 2 called it alpha).", nrm(12, 16, 3.0)))
    infos.append(k3_case("act_relu_layer", (12, 16, 3),
        [L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="relu6")],
        "ReLU layer max_value 6, negative_slope 0.1, threshold 0.5: f = 6 for x >= 6, x for 0.5 <= x < 6, "
        "0.1*(x - 0.5) below; input N(0, 3^2)+1 so all three branches occur.",
        lambda rng: normal_input(rng, 12, 16, 3, 3.0) + np.float32(1.0)))
    infos.append(k3_case("act_relu", (12, 16, 3), [L.Activation("relu", name="act")],
        "Activation('relu').", nrm(12, 16, 3.0)))
    infos.append(k3_case("act_elu", (12, 16, 3), [L.Activation("elu", name="act")],
        "Activation('elu') (alpha 1).", nrm(12, 16, 3.0)))

    # --- pooling (13x16 input: 'same' 3x3 s2 pads rows 1/1 and cols 0/1)
    infos.append(k3_case("pool_max_valid", (12, 16, 3), [L.MaxPooling2D(2, padding="valid", name="pool")],
        "MaxPooling2D 2x2 stride 2 valid. 12x16 -> 6x8. Continuous random input: no ties.", nrm(12, 16)))
    infos.append(k3_case("pool_max_same", (13, 16, 3),
        [L.MaxPooling2D(3, strides=2, padding="same", name="pool")],
        "MaxPooling2D 3x3 stride 2 same. 13x16 -> 7x8; pads rows 1/1, cols 0/1 (padding never wins).",
        nrm(13, 16)))
    infos.append(k3_case("pool_avg_same", (13, 16, 3),
        [L.AveragePooling2D(3, strides=2, padding="same", name="pool")],
        "AveragePooling2D 3x3 stride 2 same. 13x16 -> 7x8. TF divides each window by the number of "
        "VALID (non-padding) elements it covers, not by 9.", nrm(13, 16)))
    infos.append(k3_case("pool_global_avg", (12, 16, 3), [L.GlobalAveragePooling2D(name="gap")],
        "GlobalAveragePooling2D -> (N, C).", nrm(12, 16)))

    # --- batch norm (inference: (x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta)
    infos.append(k3_case("bn_conv", (12, 16, 3),
        [L.Conv2D(4, 3, padding="valid", name="conv"), L.BatchNormalization(epsilon=0.001, name="bn")],
        "Conv2D 3x3 valid (bias, linear) -> BatchNormalization(eps 1e-3) with random non-trivial gamma, beta, "
        "moving_mean, moving_variance.", nrm(12, 16)))
    infos.append(k3_case("bn_dense", (4, 5, 3),
        [L.Flatten(name="flatten"), L.Dense(6, name="dense"), L.BatchNormalization(epsilon=0.001, name="bn")],
        "Flatten -> Dense 6 (linear) -> BatchNormalization(eps 1e-3) on (N, 6).", nrm(4, 5)))

    # --- geometry / preprocessing layers
    infos.append(k3_case("crop", (12, 16, 3), [L.Cropping2D(((2, 1), (3, 0)), name="crop")],
        "Cropping2D(((2,1),(3,0))): rows [2:-1], cols [3:]. 12x16 -> 9x13.", nrm(12, 16)))
    infos.append(k3_case("zeropad", (12, 16, 3), [L.ZeroPadding2D((1, 2), name="pad")],
        "ZeroPadding2D((1,2)): 1 row top and bottom, 2 cols left and right. 12x16 -> 14x20.", nrm(12, 16)))
    infos.append(k3_case("rescaling", (12, 16, 3), [L.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")],
        "Rescaling(scale=1/127.5, offset=-1) on 0..255 pixels.", pix(12, 16)))
    infos.append(k3_case("resizing_bilinear", (12, 16, 3),
        [L.Resizing(8, 10, interpolation="bilinear", crop_to_aspect_ratio=False, name="resize")],
        "Keras 3 Resizing(8, 10, bilinear): tf.image.resize = half-pixel-centre bilinear, antialias False, "
        "crop_to_aspect_ratio False (the default) so the aspect ratio is not preserved. 12x16 -> 8x10.",
        pix(12, 16)))
    infos.append(k3_case("resizing_area", (12, 16, 3),
        [L.Resizing(8, 10, interpolation="area", name="resize")],
        "Keras 3 Resizing(8, 10, area) = tf.image.resize(method='area') (TF ResizeArea: box filter with "
        "fractional pixel coverage). ResizeArea has no TF gradient; the map is linear, so gradient.npy is "
        "J^T r computed exactly from the unit basis.", pix(12, 16), grad_fallback=linear_jacobian_transpose))

    # --- merge: functional, two branches, Add + Concatenate, two outputs
    name = "merge_two_heads"
    rng = case_rng(name)
    inp = keras.Input((12, 16, 3), name="image")
    a = L.Conv2D(4, 3, padding="same", activation="relu", name="branch_a")(inp)
    b = L.Conv2D(4, 1, activation="elu", name="branch_b")(inp)
    s = L.Add(name="add")([a, b])
    c = L.Concatenate(axis=-1, name="concat")([s, a])
    p = L.MaxPooling2D(2, name="pool")(c)
    f = L.Flatten(name="flatten")(p)
    steer = L.Dense(1, name="steering")(f)
    aux = L.Dense(2, activation="tanh", name="aux")(f)
    model = keras.Model(inp, [steer, aux], name=name)
    init_weights(model, rng)
    x = normal_input(rng, 12, 16)
    infos.append(write_case(name, model, x, "keras3-legacy-h5",
        "Functional model: image -> Conv 3x3 same relu (branch_a) and Conv 1x1 elu (branch_b) -> Add -> "
        "Concatenate(axis=-1)([add, branch_a]) -> MaxPool 2x2 -> Flatten -> two heads: output 0 "
        "'steering' Dense(1), output 1 'aux' Dense(2, tanh).", rng, save_keras3,
        extra={"outputs": ["steering", "aux"]}))
    return infos


# ----------------------------------------------------------------------------------------------
# tf_keras cases (writer tf-keras2): Lambda bytecode, PilotNet-like end to end, weights-only
# ----------------------------------------------------------------------------------------------

TL = tf_keras.layers


def tk_case(name, input_shape, layers, description, make_input, extra=None, save=save_tfkeras,
            kernel_gain=1.0, rng_name=None):
    rng = case_rng(rng_name or name)
    model = tf_keras.Sequential([TL.InputLayer(input_shape)] + layers, name=name)
    init_weights(model, rng, kernel_gain)
    x = make_input(rng)
    e = {"lambda_marshal_python": PY if any(isinstance(l, TL.Lambda) for l in model.layers) else None}
    if extra:
        e.update(extra)
    if e["lambda_marshal_python"] is None:
        del e["lambda_marshal_python"]
    return write_case(name, model, x, "tf-keras2", description, rng, save, extra=e)


def pilotnet_layers():
    return [
        TL.Lambda(lambda x: x / 127.5 - 1.0, name="normalize"),
        TL.Conv2D(4, 5, strides=2, activation="elu", name="conv1"),
        TL.Conv2D(6, 5, strides=2, activation="elu", name="conv2"),
        TL.Conv2D(8, 3, activation="elu", name="conv3"),
        TL.Dropout(0.5, name="dropout"),
        TL.Flatten(name="flatten"),
        TL.Dense(10, activation="elu", name="fc1"),
        TL.Dense(1, name="steering"),
    ]


PILOTNET_DESC = ("PilotNet-like Sequential on 32x64x3 pixels 0..255: Lambda(x/127.5 - 1.0) -> Conv 5x5 s2 elu 4 "
                 "-> Conv 5x5 s2 elu 6 -> Conv 3x3 elu 8 -> Dropout 0.5 (identity at inference) -> Flatten "
                 "-> Dense 10 elu -> Dense 1. Shapes 32x64 -> 14x30 -> 5x13 -> 3x11 -> 264 -> 10 -> 1.")


def tfkeras_cases():
    infos = []
    pix = lambda h, w: (lambda rng: pixels(rng, h, w))
    infos.append(tk_case("lambda_norm127", (12, 16, 3), [TL.Lambda(lambda x: x / 127.5 - 1.0, name="normalize")],
        "Lambda(lambda x: x / 127.5 - 1.0); base64 marshal of a Python 3.11 code object in the config.",
        pix(12, 16)))
    infos.append(tk_case("lambda_norm255", (12, 16, 3), [TL.Lambda(lambda x: x / 255.0 - 0.5, name="normalize")],
        "Lambda(lambda x: x / 255.0 - 0.5).", pix(12, 16)))
    infos.append(tk_case("lambda_resize", (12, 16, 3),
        [TL.Lambda(lambda x: tf.compat.v1.image.resize_images(x, (8, 10)), name="resize")],
        "Lambda(lambda x: tf.compat.v1.image.resize_images(x, (8, 10))): TF1 bilinear, align_corners=False, "
        "half_pixel_centers=False (src = dst * in/out, no half-pixel shift). 12x16 -> 8x10.", pix(12, 16)))
    infos.append(tk_case("lambda_crop", (12, 16, 3), [TL.Lambda(lambda x: x[:, 2:-1, 1:, :], name="crop")],
        "Lambda(lambda x: x[:, 2:-1, 1:, :]) slice crop. 12x16 -> 9x15.", pix(12, 16)))
    infos.append(tk_case("pilotnet_small", (32, 64, 3), pilotnet_layers(), PILOTNET_DESC, pix(32, 64)))
    infos.append(tk_case("weights_only", (32, 64, 3), pilotnet_layers(),
        "The pilotnet_small network (same random stream => identical weights, and input/output/seed/gradient "
        "files byte-identical to pilotnet_small's) saved with tf_keras "
        "save_weights to weights.h5 (layer groups at the file root, no model_config) plus architecture.json "
        "from model.to_json().", lambda rng: pixels(rng, 32, 64), save=save_tfkeras_weights_only,
        extra={"same_network_as": "pilotnet_small"}, rng_name="pilotnet_small"))
    return infos


# ----------------------------------------------------------------------------------------------
# Keras 1.2 files synthesised with h5py (writer keras1-synth)
# ----------------------------------------------------------------------------------------------
#
# Layout learned from a real Keras 1.2.1 file (not copied): root attrs keras_version, model_config,
# training_config = scalar variable-length ASCII strings; model_weights group with attr layer_names
# (fixed-length null-padded byte strings, every layer incl. weightless ones, in model order); one
# group per layer with attr weight_names (fixed-length byte strings '<layer>_W:0', '<layer>_b:0', or
# an EMPTY float64 array for weightless layers); datasets directly in the layer group, named like the
# weight; optimizer_weights group (ignored by importers). Layer configs follow keras 1.2.1 get_config.

K1_VERSION = "1.2.1"


def vlen_ascii(obj, key, text):
    obj.attrs.create(key, text, dtype=h5py.string_dtype("ascii"))


def write_keras1_h5(path, model_config, layers):
    """layers: list of (layer_name, [(weight_name, array), ...]) in model order."""
    with h5py.File(path, "w") as f:
        vlen_ascii(f, "keras_version", K1_VERSION)
        vlen_ascii(f, "model_config", json.dumps(model_config))
        vlen_ascii(f, "training_config", json.dumps({
            "metrics": None, "sample_weight_mode": None, "loss": "mean_squared_error", "loss_weights": None,
            "optimizer_config": {"class_name": "Adam", "config": {
                "beta_1": 0.8999999761581421, "lr": 0.0010000000474974513, "decay": 0.0,
                "beta_2": 0.9990000128746033, "epsilon": 1e-08}}}))
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([n.encode("utf8") for n, _ in layers])
        opt_names, opt_arrays = [b"Variable:0"], [np.zeros((), np.float32)]
        for lname, weights in layers:
            g = mw.create_group(lname)
            if weights:
                g.attrs["weight_names"] = np.array([wn.encode("utf8") for wn, _ in weights])
                for wn, arr in weights:
                    g.create_dataset(wn, data=np.asarray(arr, np.float32))
                    opt_names.append(f"Variable_{len(opt_names)}:0".encode())
                    opt_arrays.append(np.zeros(np.shape(arr), np.float32))
            else:
                g.attrs["weight_names"] = np.array([], dtype=np.float64)  # what Keras 1 / h5py 2 wrote
        # Adam state placeholders (zeros): real Keras 1 files carry them; importers must ignore them.
        og = f.create_group("optimizer_weights")
        og.attrs["weight_names"] = np.array(opt_names)
        for n, a in zip(opt_names, opt_arrays):
            og.create_dataset(n.decode(), data=a)


def k1_conv(name, nb_filter, k, subsample, border_mode, activation, bias=True, first_shape=None):
    cfg = {"dim_ordering": "tf", "W_regularizer": None, "activity_regularizer": None, "activation": activation,
           "init": "glorot_uniform", "name": name, "border_mode": border_mode, "b_regularizer": None,
           "subsample": list(subsample), "b_constraint": None, "nb_filter": nb_filter, "W_constraint": None,
           "trainable": True, "nb_row": k, "bias": bias, "nb_col": k}
    if first_shape is not None:
        cfg["batch_input_shape"] = [None] + list(first_shape)
        cfg["input_dtype"] = "float32"
    return {"class_name": "Convolution2D", "config": cfg}


def k1_dense(name, input_dim, output_dim, activation):
    return {"class_name": "Dense", "config": {
        "input_dim": input_dim, "W_constraint": None, "W_regularizer": None, "name": name, "init": "glorot_uniform",
        "activity_regularizer": None, "activation": activation, "b_regularizer": None, "b_constraint": None,
        "trainable": True, "bias": True, "output_dim": output_dim}}


def keras1_synth_case():
    """Keras 1.2.1 Sequential with BatchNormalization (mode 0)."""
    name = "keras1_synth"
    rng = case_rng(name)
    H, W = 16, 20
    # Reference network in Keras 3 (same maths). Keras 1 BN: running_std holds the VARIANCE (README).
    ref = keras.Sequential([
        keras.Input((H, W, 3)),
        L.Conv2D(4, 3, strides=2, padding="valid", activation="elu", name="c1"),        # 7x9x4
        L.BatchNormalization(epsilon=1e-3, name="bn"),
        L.Activation("relu", name="act"),
        L.Conv2D(6, 3, strides=1, padding="same", activation="linear", name="c2"),      # 7x9x6
        L.MaxPooling2D(2, padding="valid", name="pool"),                                 # 3x4x6
        L.Dropout(0.5, name="drop"),
        L.Flatten(name="flat"),                                                          # 72
        L.Dense(8, activation="tanh", name="d1"),
        L.Dense(1, activation="linear", name="d2"),
    ], name=name)
    init_weights(ref, rng)
    x = normal_input(rng, H, W)
    wt = {l.name: l.get_weights() for l in ref.layers}
    c1w, c1b = wt["c1"]
    gamma, beta, mmean, mvar = wt["bn"]
    c2w, c2b = wt["c2"]
    d1w, d1b = wt["d1"]
    d2w, d2b = wt["d2"]
    config = {"class_name": "Sequential", "config": [
        k1_conv("convolution2d_1", 4, 3, (2, 2), "valid", "elu", first_shape=(H, W, 3)),
        {"class_name": "BatchNormalization", "config": {
            "gamma_regularizer": None, "name": "batchnormalization_1", "epsilon": 0.001, "trainable": True,
            "mode": 0, "beta_regularizer": None, "momentum": 0.99, "axis": -1}},
        {"class_name": "Activation", "config": {"activation": "relu", "trainable": True, "name": "activation_1"}},
        k1_conv("convolution2d_2", 6, 3, (1, 1), "same", "linear"),
        {"class_name": "MaxPooling2D", "config": {
            "name": "maxpooling2d_1", "trainable": True, "dim_ordering": "tf", "pool_size": [2, 2],
            "strides": [2, 2], "border_mode": "valid"}},
        {"class_name": "Dropout", "config": {"p": 0.5, "trainable": True, "name": "dropout_1"}},
        {"class_name": "Flatten", "config": {"trainable": True, "name": "flatten_1"}},
        k1_dense("dense_1", 72, 8, "tanh"),
        k1_dense("dense_2", 8, 1, "linear"),
    ]}
    layers = [
        ("convolution2d_1", [("convolution2d_1_W:0", c1w), ("convolution2d_1_b:0", c1b)]),
        ("batchnormalization_1", [("batchnormalization_1_gamma:0", gamma), ("batchnormalization_1_beta:0", beta),
                                  ("batchnormalization_1_running_mean:0", mmean),
                                  ("batchnormalization_1_running_std:0", mvar)]),
        ("activation_1", []),
        ("convolution2d_2", [("convolution2d_2_W:0", c2w), ("convolution2d_2_b:0", c2b)]),
        ("maxpooling2d_1", []),
        ("dropout_1", []),
        ("flatten_1", []),
        ("dense_1", [("dense_1_W:0", d1w), ("dense_1_b:0", d1b)]),
        ("dense_2", [("dense_2_W:0", d2w), ("dense_2_b:0", d2b)]),
    ]

    def save(model, d):
        write_keras1_h5(os.path.join(d, "model.h5"), config, layers)
        return ["model.h5"]

    info = write_case(name, ref, x, "keras1-synth",
        "Keras 1.2.1-layout Sequential synthesised with h5py: Convolution2D 3x3 s2 valid elu (4) -> "
        "BatchNormalization mode 0 (eps 1e-3; weights gamma, beta, running_mean, running_std where "
        "running_std HOLDS THE VARIANCE) -> Activation relu -> Convolution2D 3x3 s1 same linear (6) -> "
        "MaxPooling2D 2x2 -> Dropout p 0.5 -> Flatten -> Dense 8 tanh -> Dense 1. 16x20 -> 7x9 -> 7x9 -> 3x4 "
        "-> 72 -> 8 -> 1. References computed with TF (Keras 3 twin, BN moving_variance = running_std).",
        rng, save, extra={"keras_version_in_file": K1_VERSION,
                          "keras1_layers": [c["class_name"] for c in config["config"]],
                          "reference_layers_tf": layer_classes(ref)})
    info["keras"] = K1_VERSION
    _rewrite_case_json(name, info)
    return info


def keras1_merge_case():
    """Keras 1.2.1 functional 'Model' with a Merge(mode='sum') layer."""
    name = "keras1_merge"
    rng = case_rng(name)
    H, W = 10, 12
    inp = keras.Input((H, W, 3), name="input_1")
    a = L.Conv2D(4, 3, padding="same", activation="relu", name="ca")(inp)
    b = L.Conv2D(4, 1, padding="valid", activation="linear", name="cb")(inp)
    s = L.Add(name="merge")([a, b])
    f = L.Flatten(name="flat")(s)
    out = L.Dense(1, name="d")(f)
    ref = keras.Model(inp, out, name=name)
    init_weights(ref, rng)
    x = normal_input(rng, H, W)
    wt = {l.name: l.get_weights() for l in ref.layers}
    merge_cfg = {"name": "merge_1", "mode": "sum", "mode_type": "raw", "concat_axis": -1, "dot_axes": -1,
                 "output_shape": None, "output_shape_type": "raw", "output_mask": None,
                 "output_mask_type": "raw", "arguments": {}}
    config = {"class_name": "Model", "config": {
        "name": "model_1",
        "layers": [
            {"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, H, W, 3], "input_dtype": "float32", "sparse": False,
                        "name": "input_1"}},
            dict(name="convolution2d_1", inbound_nodes=[[["input_1", 0, 0]]],
                 **k1_conv("convolution2d_1", 4, 3, (1, 1), "same", "relu")),
            dict(name="convolution2d_2", inbound_nodes=[[["input_1", 0, 0]]],
                 **k1_conv("convolution2d_2", 4, 1, (1, 1), "valid", "linear")),
            {"name": "merge_1", "class_name": "Merge", "config": merge_cfg,
             "inbound_nodes": [[["convolution2d_1", 0, 0], ["convolution2d_2", 0, 0]]]},
            {"name": "flatten_1", "class_name": "Flatten", "config": {"trainable": True, "name": "flatten_1"},
             "inbound_nodes": [[["merge_1", 0, 0]]]},
            dict(name="dense_1", inbound_nodes=[[["flatten_1", 0, 0]]],
                 **k1_dense("dense_1", H * W * 4, 1, "linear")),
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["dense_1", 0, 0]],
    }}
    layers = [
        ("input_1", []),
        ("convolution2d_1", [("convolution2d_1_W:0", wt["ca"][0]), ("convolution2d_1_b:0", wt["ca"][1])]),
        ("convolution2d_2", [("convolution2d_2_W:0", wt["cb"][0]), ("convolution2d_2_b:0", wt["cb"][1])]),
        ("merge_1", []),
        ("flatten_1", []),
        ("dense_1", [("dense_1_W:0", wt["d"][0]), ("dense_1_b:0", wt["d"][1])]),
    ]

    def save(model, d):
        write_keras1_h5(os.path.join(d, "model.h5"), config, layers)
        return ["model.h5"]

    info = write_case(name, ref, x, "keras1-synth",
        "Keras 1.2.1-layout functional 'Model' synthesised with h5py: input_1 -> Convolution2D 3x3 same relu (4) "
        "and Convolution2D 1x1 linear (4) -> Merge(mode='sum') -> Flatten -> Dense 1. Keras 1 inbound_nodes "
        "entries are [layer_name, node_index, tensor_index] (3 items, no kwargs dict).", rng, save,
        extra={"keras_version_in_file": K1_VERSION,
               "keras1_layers": [l["class_name"] for l in config["config"]["layers"]],
               "reference_layers_tf": layer_classes(ref)})
    info["keras"] = K1_VERSION
    _rewrite_case_json(name, info)
    return info


def _rewrite_case_json(name, info):
    info["layers"] = info.get("keras1_layers", info["layers"])
    with open(os.path.join(HERE, name, "case.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# verification
# ----------------------------------------------------------------------------------------------

def h5_weights(path):
    """Reads weights by layer_names / weight_names (Keras 1, 2 and 3 layouts, full model or weights-only)."""
    out = {}
    with h5py.File(path, "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        for ln in g.attrs["layer_names"]:
            ln = ln.decode() if isinstance(ln, bytes) else str(ln)
            lg = g[ln]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in lg.attrs["weight_names"]]
            vals = []
            for n in names:
                # Keras 1: dataset at <layer>/<name>; Keras 2: <layer>/<name> with '/' nesting;
                # Keras 3 legacy h5: <layer>/<name> where name is 'model/layer/kernel'.
                vals.append(np.asarray(lg[n], dtype=np.float64))
            out[ln] = vals
    return out


def np_conv(x, w, b, stride, padding):
    n, h, wd, c = x.shape
    kh, kw, _, co = w.shape
    if padding == "same":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    y = np.zeros((n, oh, ow, co))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride, :]
            y += np.einsum("nhwc,co->nhwo", patch, w[i, j])
    return y + (0 if b is None else b)


def elu(x, a=1.0):
    return np.where(x > 0, x, a * (np.exp(np.minimum(x, 0)) - 1))


def np_pilotnet(ws, x):
    h = x / 127.5 - 1.0
    h = elu(np_conv(h, *ws["conv1"], 2, "valid"))
    h = elu(np_conv(h, *ws["conv2"], 2, "valid"))
    h = elu(np_conv(h, *ws["conv3"], 1, "valid"))
    h = h.reshape(h.shape[0], -1)
    h = elu(h @ ws["fc1"][0] + ws["fc1"][1])
    return h @ ws["steering"][0] + ws["steering"][1]


def np_keras1_synth(ws, x):
    w, b = ws["convolution2d_1"]
    h = elu(np_conv(x, w, b, 2, "valid"))
    gamma, beta, mean, running_std = ws["batchnormalization_1"]
    h = (h - mean) / np.sqrt(running_std + 1e-3) * gamma + beta    # running_std is the variance
    h = np.maximum(h, 0)
    h = np_conv(h, *ws["convolution2d_2"], 1, "same")
    n, hh, ww, c = h.shape
    h = h[:, :hh // 2 * 2, :ww // 2 * 2].reshape(n, hh // 2, 2, ww // 2, 2, c).max(axis=(2, 4))
    h = h.reshape(n, -1)
    h = np.tanh(h @ ws["dense_1"][0] + ws["dense_1"][1])
    return h @ ws["dense_2"][0] + ws["dense_2"][1]


def np_keras1_merge(ws, x):
    a = np.maximum(np_conv(x, *ws["convolution2d_1"], 1, "same"), 0)
    b = np_conv(x, *ws["convolution2d_2"], 1, "valid")
    h = (a + b).reshape(x.shape[0], -1)
    return h @ ws["dense_1"][0] + ws["dense_1"][1]


def np_bilinear(x, oh, ow, half_pixel):
    """TF2 tf.image.resize bilinear (half_pixel=True) or TF1 resize_images / resize_bilinear with
    align_corners=False, half_pixel_centers=False (half_pixel=False)."""
    n, h, w, c = x.shape

    def coords(o, i):
        s = i / o
        src = (np.arange(o) + 0.5) * s - 0.5 if half_pixel else np.arange(o) * s
        src = np.maximum(src, 0.0) if half_pixel else src
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, i - 1)
        lo = np.minimum(lo, i - 1)
        return lo, hi, src - np.floor(src)

    y0, y1, fy = coords(oh, h)
    x0, x1, fx = coords(ow, w)
    top = x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y0][:, :, x1] * fx[None, None, :, None]
    bot = x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y1][:, :, x1] * fx[None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bot * fy[None, :, None, None]


def np_area(x, oh, ow):
    """TF ResizeArea (align_corners=False): output pixel i covers input [i*s, (i+1)*s), s = in/out; each
    input pixel is weighted by its overlap length; the sum is divided by s_h * s_w."""
    def weights(o, i):
        s = i / o
        m = np.zeros((o, i))
        for k in range(o):
            a, b = k * s, (k + 1) * s
            for j in range(int(np.floor(a)), min(int(np.ceil(b)), i)):
                m[k, j] = max(0.0, min(b, j + 1) - max(a, j))
        return m / s
    return np.einsum("ph,nhwc,qw->npqc", weights(oh, x.shape[1]), x, weights(ow, x.shape[2]))


def np_avgpool_same(x, k, s):
    n, h, w, c = x.shape
    oh, ow = -(-h // s), -(-w // s)
    ph, pw = max((oh - 1) * s + k - h, 0), max((ow - 1) * s + k - w, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    ones = np.pad(np.ones((1, h, w, 1)), ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    tot, cnt = np.zeros((n, oh, ow, c)), np.zeros((1, oh, ow, 1))
    for i in range(k):
        for j in range(k):
            tot += xp[:, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s]
            cnt += ones[:, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s]
    return tot / cnt


def np_relu_layer(x):
    return np.where(x >= 6.0, 6.0, np.where(x >= 0.5, x, 0.1 * (x - 0.5)))


def np_bn_conv(ws, x):
    h = np_conv(x, *ws["conv"], 1, "valid")
    gamma, beta, mean, var = ws["bn"]
    return (h - mean) / np.sqrt(var + 1e-3) * gamma + beta


NUMPY_REFERENCES = {
    "pilotnet_small": np_pilotnet,
    "weights_only": np_pilotnet,
    "keras1_synth": np_keras1_synth,
    "keras1_merge": np_keras1_merge,
    "bn_conv": np_bn_conv,
    "lambda_resize": lambda ws, x: np_bilinear(x, 8, 10, half_pixel=False),
    "resizing_bilinear": lambda ws, x: np_bilinear(x, 8, 10, half_pixel=True),
    "pool_avg_same": lambda ws, x: np_avgpool_same(x, 3, 2),
    "resizing_area": lambda ws, x: np_area(x, 8, 10),
    "act_relu_layer": lambda ws, x: np_relu_layer(x),
}


def fd_check(f, x, r, g, rng, count=12, eps=1e-4):
    """Central finite differences of sum(r * f(x)) in float64 at random input coordinates."""
    worst = 0.0
    for _ in range(count):
        idx = tuple(int(rng.integers(0, s)) for s in x.shape)
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        num = (np.sum(r * f(xp)) - np.sum(r * f(xm))) / (2 * eps)
        worst = max(worst, abs(num - g[idx]) / max(1.0, abs(num)))
    return worst


def tf_keras_unsafe():
    from tf_keras.src.saving import serialization_lib
    serialization_lib.enable_unsafe_deserialization()


def load(d, name):
    return np.load(os.path.join(d, name))


def verify(case_names):
    print("\nverification (max |difference| vs the committed float32 reference):")
    ok = True
    for name in case_names:
        d = os.path.join(HERE, name)
        info = json.load(open(os.path.join(d, "case.json")))
        x = load(d, "input.npy")
        ys = [load(d, "output.npy")] + [load(d, f"output_{k}.npy") for k in range(1, info["n_outputs"])]
        msg = []
        try:
            if info["writer"] in ("keras3-legacy-h5", "keras3-zip"):
                m = keras.models.load_model(os.path.join(d, info["files"][0]), compile=False)
                got = as_list(m(x, training=False))
                diff = max(float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(got, ys))
                msg.append(f"keras3 reload {diff:.2e}")
                ok &= diff < 1e-5 * max(1.0, float(np.max(np.abs(ys[0]))))
            elif info["writer"] == "tf-keras2":
                tf_keras_unsafe()  # Lambda bytecode (our own files)
                if "weights.h5" in info["files"]:
                    m = tf_keras.models.model_from_json(open(os.path.join(d, "architecture.json")).read(),
                                                        custom_objects={"tf": tf})
                    m.load_weights(os.path.join(d, "weights.h5"))
                else:
                    m = tf_keras.models.load_model(os.path.join(d, "model.h5"), compile=False,
                                                   custom_objects={"tf": tf}, safe_mode=False)
                got = as_list(m(x, training=False))
                diff = max(float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(got, ys))
                msg.append(f"tf_keras reload {diff:.2e}")
                ok &= diff < 1e-5 * max(1.0, float(np.max(np.abs(ys[0]))))
        except Exception as e:  # noqa: BLE001 -- report, the Swift side only reads the file
            msg.append(f"reload FAILED: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
            ok = False
        npf = NUMPY_REFERENCES.get(name)
        if npf is not None:
            fname = "weights.h5" if "weights.h5" in info["files"] else "model.h5"
            ws = h5_weights(os.path.join(d, fname))
            y64 = npf(ws, x.astype(np.float64))
            diff = float(np.max(np.abs(y64 - ys[0])))
            fd = fd_check(lambda z: npf(ws, z), x.astype(np.float64), load(d, "seed.npy").astype(np.float64),
                          load(d, "gradient.npy").astype(np.float64), np.random.default_rng(7))
            msg.append(f"numpy f64 forward {diff:.2e}, finite-diff grad rel {fd:.2e}")
            ok &= diff < 1e-4 * max(1.0, float(np.max(np.abs(ys[0])))) and fd < 1e-3
        print(f"  {name:22s} " + "; ".join(msg))
    return ok


# ----------------------------------------------------------------------------------------------

def size_report():
    total = 0
    for root, _, files in os.walk(HERE):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify-only", action="store_true")
    ap.add_argument("--groups", default="all",
                    help="comma-separated case groups to (re)generate: base, bn, layers, formats (default: all)")
    args = ap.parse_args()
    groups = {"base", "bn", "layers", "formats"} if args.groups == "all" else set(args.groups.split(","))
    if args.verify_only:
        names = [c["name"] for c in json.load(open(os.path.join(HERE, "summary.json")))["cases"]]
        sys.exit(0 if verify(names) else 1)
    keras.utils.set_random_seed(0)
    print("generating:")
    this = sys.modules[__name__]
    if "base" in groups:
        keras3_cases()
        tfkeras_cases()
        keras1_synth_case()
        keras1_merge_case()
    if "bn" in groups:
        layer_cases.bn_cases(this)
    if "layers" in groups:
        layer_cases.layer_cases(this)
    if "formats" in groups:
        format_cases.format_cases(this)
    names = sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "case.json")))
    cases = []
    for n in names:
        info = json.load(open(os.path.join(HERE, n, "case.json")))
        cases.append({"name": n, "writer": info["writer"], "keras": info["keras"], "files": info["files"],
                      "input_shape": info["input_shape"], "output_shapes": info["output_shapes"],
                      "layers": info["layers"]})
    with open(os.path.join(HERE, "summary.json"), "w") as f:
        json.dump({"generated_with": VERSIONS, "batch": N, "cases": cases}, f, indent=1)
        f.write("\n")
    good = verify(names)
    print(f"\ntotal fixture size: {size_report() / 1024:.0f} KiB")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
