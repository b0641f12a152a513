#!/usr/bin/env python3
"""Saliency reference fixtures for SteerLens (keras-vis / tf-keras-vis semantics), made with real TensorFlow.

Run by hand (CI never runs this; it only reads the committed fixtures):

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py==3.14.0 numpy==2.4.6 tf-keras-vis==0.8.7
    cd Tests/Fixtures/saliency
    python3 generate_saliency_fixtures.py            # rewrites every case folder + summary.json, then verifies
    python3 generate_saliency_fixtures.py --verify-only

tf-keras-vis is optional: without it the cross-check against the real library is skipped (reported).
Versions used for the committed files: Python 3.11.7, TensorFlow 2.21.0, tf-keras 2.21.0 (writer of every
model.h5), h5py 3.14.0, NumPy 2.4.6, tf-keras-vis 0.8.7, Linux x86_64 CPU, oneDNN off, op determinism on.

TF_USE_LEGACY_KERAS=1 is set before TensorFlow is imported, so tf.keras is tf_keras (Keras 2 API). That is
what tf-keras-vis needs, and it is the writer of the models here (Keras-2-style h5: `kernel:0` names).

Everything (weights, inputs) comes from numpy Generators seeded with crc32(case name); weights are set
with set_weights. See README.md for the exact definition of every map and backprop modifier.
"""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import argparse
import hashlib
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
import tf_keras

warnings.filterwarnings("ignore")
absl.logging.set_verbosity(absl.logging.ERROR)
tf.get_logger().setLevel("ERROR")
tf.config.experimental.enable_op_determinism()

try:  # optional cross-check with the real library
    import tf_keras_vis
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import GuidedBackpropagation, ExtractIntermediateLayer
    TFKV = tf_keras_vis.__version__
except Exception:  # noqa: BLE001
    TFKV = None

HERE = os.path.dirname(os.path.abspath(__file__))
N = 3
H, W = 16, 32
EPS = 1e-7  # Keras K.epsilon()
TL = tf_keras.layers
VERSIONS = {
    "python": platform.python_version(),
    "tensorflow": tf.__version__,
    "tf_keras": tf_keras.__version__,
    "h5py": h5py.__version__,
    "numpy": np.__version__,
    "tf_keras_vis": TFKV,
}
RECTIFIERS = ("relu", "elu", "leaky_relu")

GUIDED_SEMANTICS = (
    "guided: at every rectifying activation y = f(x) (ReLU, ELU, LeakyReLU; layer activation or standalone "
    "layer) the backward pass is dx = dy * 1[dy > 0] * 1[x > 0] (x = pre-activation; for these three f, "
    "1[x>0] == 1[y>0] and f'(x) = 1 for x > 0, so this is also 1[dy>0] * f'(x) * dy restricted to x > 0). "
    "All other ops (conv, dense, linear output, Lambda/Rescaling, flatten) keep their true gradient.")
RECTIFIED_SEMANTICS = (
    "rectified (= deconv): at every rectifying activation dx = dy * 1[dy > 0]; the forward input sign and "
    "f'(x) are ignored. All other ops keep their true gradient.")


def case_rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


# ----------------------------------------------------------------------------------------------
# models (tf_keras, so the h5 is the Keras-2 layout: model_weights/<layer>/<layer>/kernel:0)
# ----------------------------------------------------------------------------------------------

def pilotnet(name, act):
    """act in {'relu', 'elu', 'leaky'}; 'leaky' uses linear convs/dense followed by LeakyReLU(0.1) layers."""
    a = None if act == "leaky" else act
    layers = [TL.InputLayer((H, W, 3)), TL.Lambda(lambda x: x / 127.5 - 1.0, name="normalize")]

    def add(layer):
        layers.append(layer)
        if act == "leaky":
            layers.append(TL.LeakyReLU(alpha=0.1, name=layer.name + "_leaky"))

    add(TL.Conv2D(6, 5, strides=2, padding="same", activation=a, name="conv1"))
    add(TL.Conv2D(8, 3, strides=1, padding="valid", activation=a, name="conv2"))
    add(TL.Conv2D(12, 3, strides=2, padding="valid", activation=a, name="conv3"))
    layers.append(TL.Flatten(name="flatten"))
    add(TL.Dense(16, activation=a, name="fc1"))
    layers.append(TL.Dense(1, name="steering"))
    return tf_keras.Sequential(layers, name=name)


PILOTNET_SHAPES = "16x32x3 -> 8x16x6 (5x5 s2 same) -> 6x14x8 (3x3 valid) -> 2x6x12 (3x3 s2 valid) -> 144 -> 16 -> 1"


def two_outputs(name):
    inp = TL.Input((H, W, 3), name="image")
    h = TL.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(inp)
    h = TL.Conv2D(6, 5, strides=2, padding="valid", activation="relu", name="conv1")(h)
    h = TL.Conv2D(8, 3, strides=2, padding="valid", activation="relu", name="conv2")(h)
    h = TL.Flatten(name="flatten")(h)
    h = TL.Dense(12, activation="relu", name="fc1")(h)
    steer = TL.Dense(1, name="steering")(h)
    aux = TL.Dense(3, activation="tanh", name="aux")(h)
    return tf_keras.Model(inp, [steer, aux], name=name)


def init_weights(model, rng):
    """He-normal kernels, small positive biases (keeps the rectifiers alive); the last Dense layer(s) get
    gain 1 instead of sqrt(2)."""
    outs = set(model.output_names)
    for layer in model.layers:
        if not layer.weights:
            continue
        new = []
        for w in layer.weights:
            kind = w.name.split("/")[-1].split(":")[0]
            shape = tuple(int(d) for d in w.shape)
            if kind == "kernel":
                fan_in = int(np.prod(shape[:-1]))
                gain = 1.0 if layer.name in outs else np.sqrt(2.0)
                v = rng.normal(0.0, gain / np.sqrt(fan_in), shape)
            elif kind == "bias":
                v = rng.uniform(0.02, 0.1, shape)
            else:
                raise ValueError(w.name)
            new.append(v.astype(np.float32))
        layer.set_weights(new)


def pixels(rng):
    """Integer pixels 0..255 stored as float32: a smooth random colour ramp plus noise (image-like, so the
    maps have structure), rounded and clipped."""
    yy, xx = np.meshgrid(np.linspace(0, 1, H), np.linspace(0, 1, W), indexing="ij")
    out = []
    for _ in range(N):
        a = rng.uniform(40, 200, 3)
        b = rng.uniform(-80, 80, 3)
        c = rng.uniform(-80, 80, 3)
        img = a + b * yy[..., None] + c * xx[..., None] + rng.normal(0, 25, (H, W, 3))
        out.append(np.clip(np.rint(img), 0, 255))
    return np.stack(out).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# TF: forward with modified backward (tf.custom_gradient at every rectifier)
# ----------------------------------------------------------------------------------------------

def act_kind(layer):
    """Rectifier kind of a layer's activation (or of a standalone activation layer), else None."""
    if isinstance(layer, TL.LeakyReLU):
        return "leaky_relu"
    if isinstance(layer, TL.ELU):
        return "elu"
    if isinstance(layer, TL.ReLU):
        return "relu"
    f = getattr(layer, "activation", None)
    if f is tf_keras.activations.relu:
        return "relu"
    if f is tf_keras.activations.elu:
        return "elu"
    return None


def modified(f, mode):
    """f: forward activation. mode None -> f itself; 'guided' / 'rectified' -> same forward, new backward."""
    if mode is None:
        return f

    @tf.custom_gradient
    def g(x):
        y = f(x)

        def grad(dy):
            gate = tf.cast(dy > 0, dy.dtype)
            if mode == "guided":
                gate = gate * tf.cast(x > 0, dy.dtype)
            return gate * dy

        return y, grad

    return g


def run(model, x, mode=None, stop_at=None):
    """Forward pass of a Sequential or single-chain functional model layer by layer. Rectifying activations
    are applied through modified(); Conv2D/Dense are evaluated with their activation split off. Returns the
    model outputs (list) or, with stop_at, the output (after activation) of that layer."""
    tensors = {}
    if isinstance(model, tf_keras.Sequential):
        h = x
        for layer in model.layers:
            h = apply_layer(layer, h, mode)
            if layer.name == stop_at:
                return h
        return [h]
    # functional: layers are in topological order; every layer here has one inbound tensor.
    tensors[model.layers[0].name] = x
    for layer in model.layers[1:]:
        src = layer._inbound_nodes[0].inbound_layers
        src = src[0] if isinstance(src, list) else src
        tensors[layer.name] = apply_layer(layer, tensors[src.name], mode)
        if layer.name == stop_at:
            return tensors[layer.name]
    return [tensors[n] for n in model.output_names]


def apply_layer(layer, h, mode):
    kind = act_kind(layer)
    if isinstance(layer, (TL.Conv2D, TL.Dense)):
        f = layer.activation
        layer.activation = tf_keras.activations.linear
        try:
            z = layer(h, training=False)
        finally:
            layer.activation = f
        return modified(f, mode if kind else None)(z)
    if kind is not None:  # standalone activation layer
        return modified(lambda t: layer(t, training=False), mode)(h)
    return layer(h, training=False)


def grad_of(model, x, objective, mode=None):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        val = objective(model, xt, mode)
    return np.asarray(tape.gradient(val, xt), dtype=np.float32)


def output_objective(out_index, unit):
    # sum over the batch of y_n = output[n, unit]: samples are independent, so this is dy_n/dx_n per sample
    # (seed 1 per sample, no random projection).
    return lambda model, xt, mode: tf.reduce_sum(run(model, xt, mode)[out_index][:, unit])


def filter_objective(layer_name, k):
    # keras-vis ActivationMaximization on a conv layer: mean over the spatial positions of channel k of the
    # layer's output (after its activation); per sample (keras-vis runs a batch of 1).
    return lambda model, xt, mode: tf.reduce_sum(
        tf.reduce_mean(run(model, xt, mode, stop_at=layer_name)[..., k], axis=(1, 2)))


# ----------------------------------------------------------------------------------------------
# keras-vis grad modifiers + normalisation, in float32 NumPy exactly as keras-vis evaluates them
# ----------------------------------------------------------------------------------------------

GRAD_MODIFIERS = {
    "increase": lambda g: g,                                   # grad_modifier=None (identity)
    "decrease": lambda g: -g,                                  # 'negate'
    "maintain": lambda g: np.abs(1. / (g + EPS)),              # 'small_values' = absolute(invert(g))
    "absolute": lambda g: np.abs(g),                           # 'absolute'
    "relu": lambda g: np.where(g < 0., np.float32(0), g),      # 'relu': grads[grads < 0] = 0
    "invert": lambda g: 1. / (g + EPS),                        # 'invert' (no abs)
}


def saliency_map(g, modifier):
    """g float32 (N,H,W,C) -> float32 (N,H,W): modifier, max over channels, per-image min-max normalisation."""
    g = np.asarray(g, np.float32)
    m = np.max(GRAD_MODIFIERS[modifier](g), axis=-1)
    out = []
    for mi in m:  # keras-vis normalises its (batch of 1) array; tf-keras-vis normalises per sample
        out.append((mi - np.min(mi)) / (np.max(mi) - np.min(mi) + EPS))
    out = np.stack(out).astype(np.float32)
    assert np.all(np.isfinite(out))
    return out


# ----------------------------------------------------------------------------------------------
# case generation
# ----------------------------------------------------------------------------------------------

def activity(model, x):
    """Fraction of positive pre-activations at every rectifier (over the whole batch)."""
    fr = {}
    h = tf.constant(x)
    layers = model.layers if isinstance(model, tf_keras.Sequential) else model.layers[1:]
    for layer in layers:
        if isinstance(layer, (TL.Conv2D, TL.Dense)) and act_kind(layer):
            f = layer.activation
            layer.activation = tf_keras.activations.linear
            z = layer(h)
            layer.activation = f
            fr[layer.name] = float(np.mean(np.asarray(z) > 0))
            h = f(z)
        elif act_kind(layer):
            fr[layer.name] = float(np.mean(np.asarray(h) > 0))
            h = layer(h)
        else:
            h = layer(h)
        if isinstance(layer, TL.Dense) and layer.name in model.output_names:
            break
    return fr


def save(d, name, arr):
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    np.save(os.path.join(d, name), arr)
    return name


def make_case(spec):
    name = spec["name"]
    rng = case_rng(name)
    model = spec["build"](name)
    init_weights(model, rng)
    x = pixels(rng)
    d = os.path.join(HERE, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    model.save(os.path.join(d, "model.h5"), save_format="h5")
    files = ["model.h5", save(d, "input.npy", x)]

    outs = [np.asarray(o, np.float32) for o in
            (model(x, training=False) if isinstance(model.output, list) else [model(x, training=False)])]
    mine = [np.asarray(o, np.float32) for o in run(model, tf.constant(x))]
    fwd_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(outs, mine))
    assert fwd_diff == 0.0, f"{name}: layer-by-layer forward differs from model() by {fwd_diff}"
    oi, unit = spec["output_index"], spec["unit"]
    files.append(save(d, "output.npy", outs[oi]))
    if len(outs) > 1:
        for k, o in enumerate(outs):
            files.append(save(d, f"output_{k}.npy", o))

    obj = output_objective(oi, unit)
    g = grad_of(model, x, obj)
    files.append(save(d, "gradient.npy", g))
    maps = {}
    for m in spec["maps"]:
        maps[m] = saliency_map(g, m)
        files.append(save(d, f"{m}.npy", maps[m]))
    for mode in spec.get("backprop", []):
        gm = grad_of(model, x, obj, mode)
        files.append(save(d, f"{mode}_gradient.npy", gm))
        maps[f"{mode}_increase"] = saliency_map(gm, "increase")
        files.append(save(d, f"{mode}_increase.npy", maps[f"{mode}_increase"]))
    filt = spec.get("filter")
    if filt:
        gf = grad_of(model, x, filter_objective(filt["layer"], filt["k"]))
        files.append(save(d, "filter_gradient.npy", gf))
        maps["filter_increase"] = saliency_map(gf, "increase")
        files.append(save(d, "filter_increase.npy", maps["filter_increase"]))

    # sanity: alive rectifiers, non-degenerate gradients and maps
    act = activity(model, x)
    stats = {"active_fraction": act,
             "gradient_nonzero_fraction": float(np.mean(g != 0)),
             "map_std": {k: float(np.std(v)) for k, v in maps.items()}}
    for mode in spec.get("backprop", []):
        stats[f"{mode}_gradient_nonzero_fraction"] = float(np.mean(np.load(os.path.join(d, f"{mode}_gradient.npy")) != 0))
    assert min(act.values()) >= 0.3, (name, act)
    assert all(s > 0 for s in stats["map_std"].values()), (name, stats)
    for mode in spec.get("backprop", []):
        assert stats[f"{mode}_gradient_nonzero_fraction"] > 0.05, (name, stats)

    info = {
        "case": name,
        "description": spec["description"],
        "writer": "tf-keras2",
        "keras": tf_keras.__version__,
        "layers": [l.__class__.__name__ for l in model.layers],
        "layer_names": [l.name for l in model.layers],
        "output_index": oi,
        "output_name": model.output_names[oi],
        "unit": unit,
        "n_outputs": len(outs),
        "input_shape": list(x.shape),
        "output_shapes": [list(o.shape) for o in outs],
        "files": files,
        "epsilon": EPS,
        "gradient": "gradient.npy[n] = d output[output_index][n, unit] / d input[n] (seed 1 per sample, "
                    "no projection), tf.GradientTape, training=False",
        "maps": {m: MAP_DOC[m] for m in spec["maps"]},
        "normalisation": "S = (M - min M) / (max M - min M + 1e-7) per image, channel reduction max (keepdims=False), "
                         "float32",
        "backprop_modifiers": {m: (GUIDED_SEMANTICS if m == "guided" else RECTIFIED_SEMANTICS)
                               for m in spec.get("backprop", [])},
        "backprop_maps": {f"{m}_increase": f"increase map (identity grad modifier) of {m}_gradient.npy"
                          for m in spec.get("backprop", [])},
        "rectifiers": sorted({act_kind(l) for l in model.layers if act_kind(l)}),
        "sanity": stats,
        "generated_with": VERSIONS,
    }
    if filt:
        info["filter"] = {
            "layer": filt["layer"], "k": filt["k"],
            "layer_index_in_model_layers": [l.name for l in model.layers].index(filt["layer"]),
            "objective": f"mean over (h, w) of {filt['layer']} output (after its activation)[n, :, :, {filt['k']}]",
            "filter_gradient": "d objective_n / d input[n], plain backprop (no modifier)",
            "filter_increase": "increase map of filter_gradient.npy",
            "sign": "keras-vis: loss = -mean(A[..., k]), weight -1 => gradient of +mean(A[..., k]); the "
                    "increase map shows where raising pixels raises the filter's mean activation",
        }
    if spec.get("notes"):
        info["notes"] = spec["notes"]
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"  {name:15s} in {tuple(x.shape)} out {[tuple(o.shape) for o in outs]} active "
          + ", ".join(f"{k} {v:.2f}" for k, v in act.items()))
    return model, info


MAP_DOC = {
    "increase": "M = max_c g",
    "decrease": "M = max_c (-g)",
    "maintain": "M = max_c |1 / (g + 1e-7)|",
    "absolute": "M = max_c |g|",
    "relu": "M = max_c max(g, 0)",
    "invert": "M = max_c 1 / (g + 1e-7)   (no abs)",
}
ALL_MAPS = ["increase", "decrease", "maintain", "absolute", "relu", "invert"]

CASES = [
    dict(name="pilotnet_relu", build=lambda n: pilotnet(n, "relu"), output_index=0, unit=0, maps=ALL_MAPS,
         backprop=["guided", "rectified"], filter=dict(layer="conv2", k=3),
         description="PilotNet-like Sequential, ReLU: Lambda(x/127.5 - 1.0) -> Conv 5x5 s2 same relu 6 -> "
                     "Conv 3x3 valid relu 8 -> Conv 3x3 s2 valid relu 12 -> Flatten -> Dense 16 relu -> "
                     "Dense 1 linear. " + PILOTNET_SHAPES),
    dict(name="pilotnet_elu", build=lambda n: pilotnet(n, "elu"), output_index=0, unit=0, maps=ALL_MAPS,
         backprop=["guided", "rectified"],
         description="The pilotnet_relu architecture with activation='elu' (alpha 1) on the convs and fc1. "
                     + PILOTNET_SHAPES),
    dict(name="pilotnet_leaky", build=lambda n: pilotnet(n, "leaky"), output_index=0, unit=0, maps=["increase"],
         backprop=["guided", "rectified"],
         description="The pilotnet_relu architecture with linear convs/fc1, each followed by a standalone "
                     "LeakyReLU(alpha=0.1) layer (<name>_leaky). " + PILOTNET_SHAPES),
    dict(name="two_outputs", build=two_outputs, output_index=1, unit=2, maps=["increase", "decrease", "maintain"],
         description="Functional model: image -> Rescaling(1/127.5, offset -1) -> Conv 5x5 s2 VALID relu 6 -> "
                     "Conv 3x3 s2 valid relu 8 -> Flatten -> Dense 12 relu -> two heads: output 0 'steering' "
                     "Dense(1, linear), output 1 'aux' Dense(3, tanh). Target: output 1 ('aux'), unit 2. "
                     "16x32 -> 6x14 -> 2x6 -> 96 -> 12.",
         notes=["conv1 5x5 s2 valid (16x32 -> 6x14) never reads input row 15 / col 31, and conv2 3x3 s2 valid "
                "(6x14 -> 2x6) never reads conv1 row 5 / col 13, so input rows 13..15 and cols 29..31 have a "
                "gradient of exactly 0 (135 of 512 pixels). There increase/decrease are ordinary mid-range values, but maintain = "
                "|1/(0 + 1e-7)| = 1e7 (float32 10000000.0). Pixels with g in (-2e-7, 0) give even larger values "
                "(|1/(g + 1e-7)| > 1e7), so the map maximum is at g closest to -1e-7 (samples 0 and 1) or at a "
                "zero-gradient pixel (sample 2, maximum exactly 1e7). This is keras-vis behaviour, pinned on purpose."]),
]


# ----------------------------------------------------------------------------------------------
# verification
# ----------------------------------------------------------------------------------------------

def h5_weights(path):
    out = {}
    with h5py.File(path, "r") as f:
        g = f["model_weights"]
        for ln in g.attrs["layer_names"]:
            ln = ln.decode() if isinstance(ln, bytes) else str(ln)
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in g[ln].attrs["weight_names"]]
            out[ln] = [np.asarray(g[ln][n], np.float64) for n in names]
    return out


def np_conv(x, w, b, stride, padding):
    n, h, wd, c = x.shape
    kh, kw, _, co = w.shape
    pads = ((0, 0), (0, 0))
    if padding == "same":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - wd, 0)
        pads = ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2))
        x = np.pad(x, ((0, 0),) + pads + ((0, 0),))
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    y = np.zeros((n, oh, ow, co))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nhwc,co->nhwo", x[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride], w[i, j])
    return y + b, pads


def np_conv_back(dy, w, x_shape, stride, pads):
    n, h, wd, c = x_shape
    kh, kw, _, _ = w.shape
    _, oh, ow, _ = dy.shape
    dx = np.zeros((n, h + sum(pads[0]), wd + sum(pads[1]), c))
    for i in range(kh):
        for j in range(kw):
            dx[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride] += np.einsum("nhwo,co->nhwc", dy, w[i, j])
    return dx[:, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + wd]


NP_ACT = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
    "elu": (lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1), lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))),
    "leaky": (lambda z: np.where(z > 0, z, 0.1 * z), lambda z: np.where(z > 0, 1.0, 0.1)),
}
PILOT_CONVS = [("conv1", 2, "same"), ("conv2", 1, "valid"), ("conv3", 2, "valid")]


def np_pilotnet(ws, x, act, mode=None, filter_spec=None):
    """Independent float64 forward + hand-written backward for the pilotnet cases.
    Returns (y, dy/dx) or, with filter_spec=(layer, k), (objective, d objective/dx) per sample."""
    f, fp = NP_ACT[act]
    h = x / 127.5 - 1.0
    tape = []
    for lname, s, p in PILOT_CONVS:
        z, pads = np_conv(h, *ws[lname], s, p)
        tape.append(("conv", lname, h.shape, s, pads, z))
        h = f(z)
        if filter_spec and filter_spec[0] == lname:
            k = filter_spec[1]
            obj = h[..., k].mean(axis=(1, 2))
            dh = np.zeros_like(h)
            dh[..., k] = 1.0 / (h.shape[1] * h.shape[2])
            return obj, backward(ws, tape, dh, fp, mode)
    flat_shape = h.shape
    h = h.reshape(h.shape[0], -1)
    z = h @ ws["fc1"][0] + ws["fc1"][1]
    tape.append(("dense", "fc1", flat_shape, None, None, z))
    h = f(z)
    y = h @ ws["steering"][0] + ws["steering"][1]
    dh = np.repeat(ws["steering"][0][:, 0][None], x.shape[0], axis=0)
    return y, backward(ws, tape, dh, fp, mode)


def backward(ws, tape, dh, fp, mode):
    for kind, lname, in_shape, s, pads, z in reversed(tape):
        if mode is None:
            dz = dh * fp(z)
        elif mode == "guided":
            dz = dh * (dh > 0) * (z > 0)
        else:  # rectified
            dz = dh * (dh > 0)
        if kind == "dense":
            dh = (dz @ ws[lname][0].T).reshape(in_shape)
        else:
            dh = np_conv_back(dz, ws[lname][0], in_shape, s, pads)
    return dh / 127.5


def np_two_outputs(ws, x):
    h = x / 127.5 - 1.0
    h = np.maximum(np_conv(h, *ws["conv1"], 2, "valid")[0], 0)
    h = np.maximum(np_conv(h, *ws["conv2"], 2, "valid")[0], 0).reshape(x.shape[0], -1)
    h = np.maximum(h @ ws["fc1"][0] + ws["fc1"][1], 0)
    return h @ ws["steering"][0] + ws["steering"][1], np.tanh(h @ ws["aux"][0] + ws["aux"][1])


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(1e-30, float(np.max(np.abs(b)))))


def verify(names):
    print("\nverification:")
    ok = True
    rows = {}
    for name in names:
        d = os.path.join(HERE, name)
        info = json.load(open(os.path.join(d, "case.json")))
        L = lambda f: np.load(os.path.join(d, f))
        x = L("input.npy")
        x64 = x.astype(np.float64)
        r = {}
        # 1. reload with tf_keras and compare outputs + gradient
        m = tf_keras.models.load_model(os.path.join(d, "model.h5"), compile=False, safe_mode=False)
        outs = m(x, training=False)
        outs = outs if isinstance(outs, list) else [outs]
        r["reload_output_maxabs"] = float(np.max(np.abs(np.asarray(outs[info["output_index"]]) - L("output.npy"))))
        r["reload_gradient_maxabs"] = float(np.max(np.abs(
            grad_of(m, x, output_objective(info["output_index"], info["unit"])) - L("gradient.npy"))))
        # 2. maps recomputed from the stored gradients
        r["maps_recomputed_maxabs"] = max(float(np.max(np.abs(saliency_map(L("gradient.npy"), mm) - L(f"{mm}.npy"))))
                                          for mm in info["maps"])
        # 3. independent NumPy float64 (weights read from the .h5 by layer_names/weight_names)
        ws = h5_weights(os.path.join(d, "model.h5"))
        rng = np.random.default_rng(11)
        if name.startswith("pilotnet"):
            act = {"pilotnet_relu": "relu", "pilotnet_elu": "elu", "pilotnet_leaky": "leaky"}[name]
            y, g = np_pilotnet(ws, x64, act)
            r["numpy_output_maxabs"] = float(np.max(np.abs(y - L("output.npy"))))
            r["numpy_gradient_rel"] = rel(L("gradient.npy"), g)
            for mode in info["backprop_modifiers"]:
                r[f"numpy_{mode}_gradient_rel"] = rel(L(f"{mode}_gradient.npy"), np_pilotnet(ws, x64, act, mode)[1])
            if "filter" in info:
                fs = (info["filter"]["layer"], info["filter"]["k"])
                r["numpy_filter_gradient_rel"] = rel(L("filter_gradient.npy"), np_pilotnet(ws, x64, act, None, fs)[1])
            fwd = lambda z: np_pilotnet(ws, z, act)[0][:, 0]
        else:
            y0, y1 = np_two_outputs(ws, x64)
            r["numpy_output_maxabs"] = float(max(np.max(np.abs(y0 - L("output_0.npy"))), np.max(np.abs(y1 - L("output_1.npy")))))
            fwd = lambda z: np_two_outputs(ws, z)[1][:, info["unit"]]
        # central finite differences (pixel scale 0..255, step 1e-3) at 8 pixels of every sample
        gref = L("gradient.npy").astype(np.float64)
        worst = 0.0
        scale = float(np.max(np.abs(gref)))
        for _ in range(8):
            idx = tuple(int(rng.integers(0, s)) for s in x.shape[1:])
            xp, xm = x64.copy(), x64.copy()
            xp[(slice(None),) + idx] += 1e-3
            xm[(slice(None),) + idx] -= 1e-3
            num = (fwd(xp) - fwd(xm)) / 2e-3
            worst = max(worst, float(np.max(np.abs(num - gref[(slice(None),) + idx]))) / scale)
        r["finite_diff_rel_to_max_grad"] = worst
        # 4. tf-keras-vis cross-check
        if TFKV:
            r.update(cross_check_tfkv(m, x, info, L))
        rows[name] = r
        print(f"  {name}:")
        for k, v in r.items():
            print(f"    {k:38s} {v:.3e}")
        ok &= r["reload_output_maxabs"] == 0.0 and r["maps_recomputed_maxabs"] == 0.0
        ok &= all(v < 1e-5 for k, v in r.items() if k.startswith("numpy_") and k.endswith("_rel"))
        ok &= r["finite_diff_rel_to_max_grad"] < 1e-4
        ok &= all(v < 1e-5 for k, v in r.items() if k.startswith("tfkv_"))
    if not TFKV:
        print("  tf-keras-vis not installed: cross-check skipped")
    return ok, rows


def cross_check_tfkv(m, x, info, L):
    """The real tf-keras-vis: Saliency(normalize_map=True, keepdims=False) with the matching modifiers."""
    r = {}
    oi, unit = info["output_index"], info["unit"]
    n_out = info["n_outputs"]

    def score():
        if n_out == 1:
            return lambda out: out[:, unit]
        return [(lambda out: out[:, unit]) if k == oi else (lambda out: out * 0.0) for k in range(n_out)]

    tfkv_mod = {
        "increase": None,
        "decrease": lambda g: -g,
        "maintain": lambda g: tf.abs(1.0 / (g + tf_keras.backend.epsilon())),
        "absolute": lambda g: tf.abs(g),
        "relu": lambda g: tf.nn.relu(g),
        "invert": lambda g: 1.0 / (g + tf_keras.backend.epsilon()),
    }
    sal = Saliency(m, clone=False)
    for mm in info["maps"]:
        got = sal(score(), x, gradient_modifier=tfkv_mod[mm], keepdims=False, normalize_map=True)
        r[f"tfkv_{mm}_maxabs"] = float(np.max(np.abs(got - L(f"{mm}.npy"))))
    if "guided" in info["backprop_modifiers"] and "leaky_relu" not in info["rectifiers"]:
        # tf-keras-vis GuidedBackpropagation: dy * 1[dy>0] * 1[x>0] on layers whose .activation is a target
        targets = [tf_keras.activations.relu, tf_keras.activations.elu]
        gsal = Saliency(m, model_modifier=GuidedBackpropagation(target_activations=targets))
        got = gsal(score(), x, gradient_modifier=None, keepdims=False, normalize_map=True)
        r["tfkv_guided_increase_maxabs"] = float(np.max(np.abs(got - L("guided_increase.npy"))))
    if "filter" in info:
        k = info["filter"]["k"]
        fsal = Saliency(m, model_modifier=ExtractIntermediateLayer(info["filter"]["layer"]))
        got = fsal(lambda out: tf.reduce_mean(out[..., k], axis=(1, 2)), x, gradient_modifier=None,
                   keepdims=False, normalize_map=True)
        r["tfkv_filter_increase_maxabs"] = float(np.max(np.abs(got - L("filter_increase.npy"))))
    return r


# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify-only", action="store_true")
    args = ap.parse_args()
    names = [c["name"] for c in CASES]
    if not args.verify_only:
        print("generating:")
        cases = []
        for spec in CASES:
            _, info = make_case(spec)
            cases.append({k: info[k] for k in ("case", "writer", "keras", "output_index", "output_name", "unit",
                                               "input_shape", "output_shapes", "files", "rectifiers")}
                         | {"maps": list(info["maps"]), "backprop_modifiers": list(info["backprop_modifiers"]),
                            "filter": info.get("filter", {}).get("layer"),
                            "filter_k": info.get("filter", {}).get("k")})
        ok, rows = verify(names)
        summary = {
            "generated_with": VERSIONS,
            "batch": N,
            "epsilon": EPS,
            "normalisation": "S = (M - min M) / (max M - min M + 1e-7) per image; M = max over channels of "
                             "modifier(g) (keepdims=False); float32",
            "maps": MAP_DOC,
            "backprop_modifiers": {"guided": GUIDED_SEMANTICS, "rectified": RECTIFIED_SEMANTICS},
            "cases": cases,
            "verification": rows,
        }
        with open(os.path.join(HERE, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
    else:
        ok, _ = verify(names)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(HERE) for f in fs)
    print(f"\ntotal fixture size: {total / 1024:.0f} KiB")
    digest = hashlib.sha256()
    for n in names:
        for fn in sorted(os.listdir(os.path.join(HERE, n))):
            if fn.endswith(".npy"):
                digest.update(open(os.path.join(HERE, n, fn), "rb").read())
    print(f"sha256 of all .npy files: {digest.hexdigest()[:16]}")
    print("OK" if ok else "VERIFICATION FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
