#!/usr/bin/env python3
"""Reference maps for SteerLens' explanation methods (issue 20), made with real TensorFlow / SciPy /
tf-keras-vis. CI never runs this; it only reads the committed .npy files.

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py numpy scipy tf-keras-vis==0.8.7
    cd Tests/Fixtures/methods && python3 generate_method_fixtures.py

Inputs: the project-made fixture models and input batches of ../saliency/<case>/ (model.h5, input.npy;
N = 3 images of 16x32x3) and, when ../../../../shared/data exists, the real naokishibuya PilotNet
(Keras 1.2, rebuilt here layer by layer) on its reference inputs (the maps are written to shared/;
the model itself is never copied).

Per case, every file float32 (N, ...):
- gradcam_<kind>.npy: keras-vis 0.4 `visualize_cam` written out in TF/NumPy/SciPy (see gradcam_kerasvis):
  modifier on dy/dA, / (max + 1e-7), channel means, weighted sum, ReLU, scipy.ndimage.zoom (defaults:
  order 3, mode 'constant'), (x - min)/(max - min + 1e-7). Penultimate layer: keras-vis' rule.
- cam_activation.npy, cam_gradient.npy: A and dy/dA at that layer, so the ill-conditioned maintain
  CAM can be checked on the formula (gradcam_maintain.npy is made from exactly these).
- gradcam_tfkerasvis_increase.npy: tf-keras-vis 0.8.7 Gradcam (for the README's list of differences).
- visualbackprop.npy / visualbackprop_raw.npy: the paper's algorithm in NumPy, up-scaling with
  tf.nn.conv2d_transpose of an all-ones kernel (normalised without epsilon / unnormalised).
- smoothgrad_noise.npy (S, N, H, W, C) standard normals and smoothgrad_<kind>.npy: tf-keras-vis Saliency
  (smooth_samples=S, smooth_noise=0.2, gradient_modifier = the kind's modifier) with np.random.normal
  replaced by sigma * the supplied noise.
- ig_attribution.npy (N, H, W, C), ig_outputs.npy (N, 2) = f(x), f(baseline): integrated gradients from the
  black baseline (zeros) with 16 steps, trapezoid rule, in TF.
"""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import json
import sys
import zlib

import numpy as np
import scipy
import scipy.ndimage
import tensorflow as tf
import tf_keras

tf.config.experimental.enable_op_determinism()

HERE = os.path.dirname(os.path.abspath(__file__))
SALIENCY = os.path.join(HERE, "..", "saliency")
SHARED = os.path.join(HERE, "..", "..", "..", "..", "shared", "data")
EPS = np.float32(1e-7)
CASES = ["pilotnet_elu", "pilotnet_relu"]
MODIFIERS = {
    "increase": lambda g: g,
    "decrease": lambda g: -g,
    "maintain": lambda g: np.abs(np.float32(1) / (g + EPS)),
}
SMOOTH_SAMPLES, SMOOTH_NOISE, IG_STEPS = 4, 0.2, 16


def save(folder, name, array):
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(array, dtype=np.float32))


def penultimate_layer(model):
    """keras-vis utils `_find_penultimate_layer` with layer_idx = -1: walk back over model.layers[:-2]."""
    conv_or_pool = (tf_keras.layers.Conv1D, tf_keras.layers.Conv2D, tf_keras.layers.Conv3D,
                    tf_keras.layers.MaxPooling2D, tf_keras.layers.AveragePooling2D,
                    tf_keras.layers.MaxPooling1D, tf_keras.layers.AveragePooling1D)
    for layer in reversed(model.layers[:len(model.layers) - 2]):
        if isinstance(layer, conv_or_pool):
            return layer
    raise ValueError("no penultimate layer")


def layer_gradients(model, layer, x):
    """A and dy/dA (y = output 0, unit 0, summed over the batch: each item's own gradient)."""
    probe = tf_keras.Model(model.inputs, [layer.output, model.output])
    with tf.GradientTape() as tape:
        activation, output = probe(x)
        score = tf.reduce_sum(output[:, 0])
    return activation.numpy(), tape.gradient(score, activation).numpy()


def gradcam_kerasvis(activation, gradient, modifier, size):
    """keras-vis 0.4 visualize_cam_with_losses for one item (float32 NumPy like keras-vis)."""
    grads = modifier(gradient.astype(np.float32)).astype(np.float32)
    grads = grads / (np.max(grads) + EPS)
    weights = np.mean(grads, axis=(0, 1))
    heatmap = np.zeros(activation.shape[:2], dtype=np.float32)
    for i, w in enumerate(weights):
        heatmap += w * activation[..., i]
    heatmap = np.maximum(heatmap, 0)
    zoom = [i / (j * 1.0) for i, j in zip(size, heatmap.shape)]
    heatmap = scipy.ndimage.zoom(heatmap, zoom)
    return (heatmap - heatmap.min()) / (heatmap.max() - heatmap.min() + EPS)


def visualbackprop(model, x):
    """Bojarski et al. 2016: channel means of each conv's post-activation output, clipped at 0; from the
    deepest, up-scale by conv2d_transpose with an all-ones kernel (same size/strides/padding), multiply."""
    convs = [layer for layer in model.layers if isinstance(layer, tf_keras.layers.Conv2D)]
    probe = tf_keras.Model(model.inputs, [layer.output for layer in convs])
    outputs = [o.numpy() for o in probe(x)]
    means = [np.maximum(o.mean(axis=-1, dtype=np.float64), 0) for o in outputs]
    value = means[-1]
    for index in reversed(range(len(convs))):
        layer = convs[index]
        target = (layer.input.shape[1], layer.input.shape[2])
        kernel = tf.ones(layer.kernel_size + (1, 1), dtype=tf.float64)
        value = tf.nn.conv2d_transpose(value[..., None], kernel, output_shape=(x.shape[0],) + target + (1,),
                                       strides=(1,) + layer.strides + (1,), padding=layer.padding.upper()).numpy()[..., 0]
        if index > 0:
            value = value * means[index - 1]
    low = value.min(axis=(1, 2), keepdims=True)
    high = value.max(axis=(1, 2), keepdims=True)
    return value, np.where(high > low, (value - low) / np.where(high > low, high - low, 1), 0)


def smoothgrad(model, x, noise, modifier):
    """tf-keras-vis Saliency with the noise supplied (np.random.normal patched to sigma * noise)."""
    from tf_keras_vis.saliency import Saliency
    real_normal = np.random.normal

    def supplied(loc, scale, size):
        assert tuple(size) == noise.shape, (size, noise.shape)
        return (np.asarray(scale, dtype=np.float32) * noise).astype(np.float32) + np.float32(loc)

    np.random.normal = supplied
    try:
        saliency = Saliency(model, clone=True)
        return saliency(lambda output: output[:, 0], x, smooth_samples=noise.shape[0], smooth_noise=SMOOTH_NOISE,
                        gradient_modifier=lambda g: tf.convert_to_tensor(modifier(g.numpy())))
    finally:
        np.random.normal = real_normal


def integrated_gradients(model, x, baseline, steps):
    """Trapezoid rule over alpha = k/steps, k = 0..steps; attribution = (x - b) * mean gradient."""
    total = np.zeros_like(x, dtype=np.float64)
    for k in range(steps + 1):
        point = tf.constant(baseline + (k / steps) * (x - baseline), dtype=tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(point)
            score = tf.reduce_sum(model(point)[:, 0])
        weight = 0.5 if k in (0, steps) else 1.0
        total += weight * tape.gradient(score, point).numpy()
    attribution = (x - baseline) * total / steps
    outputs = np.stack([model(x).numpy()[:, 0], model(baseline).numpy()[:, 0]], axis=1)
    return attribution, outputs


def fixture_case(case):
    folder = os.path.join(HERE, case)
    model = tf_keras.models.load_model(os.path.join(SALIENCY, case, "model.h5"), compile=False, safe_mode=False)
    x = np.load(os.path.join(SALIENCY, case, "input.npy")).astype(np.float32)
    size = x.shape[1:3]
    layer = penultimate_layer(model)
    activation, gradient = layer_gradients(model, layer, x)
    save(folder, "cam_activation", activation)
    save(folder, "cam_gradient", gradient)
    for kind, modifier in MODIFIERS.items():
        save(folder, "gradcam_" + kind, np.stack([gradcam_kerasvis(a, g, modifier, size) for a, g in zip(activation, gradient)]))
    from tf_keras_vis.gradcam import Gradcam
    import tf_keras_vis.utils.model_modifiers as modifiers
    from tf_keras.src.layers.convolutional.base_conv import Conv
    modifiers.Conv = Conv  # tf-keras-vis 0.8.7 on TF >= 2.16 checks Keras 3's BaseConv; these models are tf_keras
    cam = Gradcam(model, clone=True)(lambda output: output[:, 0], x, penultimate_layer=layer.name)
    save(folder, "gradcam_tfkerasvis_increase", cam)
    raw, display = visualbackprop(model, x)
    save(folder, "visualbackprop_raw", raw)
    save(folder, "visualbackprop", display)
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    noise = rng.standard_normal((SMOOTH_SAMPLES,) + x.shape).astype(np.float32)
    save(folder, "smoothgrad_noise", noise)
    for kind, modifier in MODIFIERS.items():
        save(folder, "smoothgrad_" + kind, smoothgrad(model, x, noise, modifier))
    attribution, outputs = integrated_gradients(model, x, np.zeros_like(x), IG_STEPS)
    save(folder, "ig_attribution", attribution)
    save(folder, "ig_outputs", outputs)
    with open(os.path.join(folder, "case.json"), "w") as file:
        json.dump({"case": case, "penultimate_layer": layer.name, "smooth_samples": SMOOTH_SAMPLES, "smooth_noise": SMOOTH_NOISE,
                   "ig_steps": IG_STEPS, "ig_baseline": "black", "ig_rule": "trapezoid",
                   "completeness_error": np.abs(attribution.sum(axis=(1, 2, 3)) - (outputs[:, 0] - outputs[:, 1])).tolist(),
                   "versions": {"tensorflow": tf.__version__, "scipy": scipy.__version__, "numpy": np.__version__}}, file, indent=1)
    print(case, "penultimate", layer.name, "written")


def naokishibuya():
    """The real Keras 1.2 PilotNet rebuilt in tf_keras from its HDF5 weights (see shared/data/reference/*/notes.md)."""
    import h5py
    path = os.path.join(SHARED, "models", "naokishibuya-pilotnet-keras1.h5")
    if not os.path.exists(path):
        print("shared data absent: skipping the naokishibuya maps")
        return
    L = tf_keras.layers
    layers = [L.Lambda(lambda v: v / 127.5 - 1.0, input_shape=(66, 200, 3))]
    for filters, size, stride in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]:
        layers.append(L.Conv2D(filters, size, strides=stride, activation="elu"))
    layers += [L.Flatten(), L.Dense(100, activation="elu"), L.Dense(50, activation="elu"), L.Dense(10, activation="elu"), L.Dense(1)]
    model = tf_keras.Sequential(layers)
    with h5py.File(path, "r") as file:
        group = file["model_weights"]
        names = [f"convolution2d_{i}" for i in range(1, 6)] + [f"dense_{i}" for i in range(1, 5)]
        weighted = [layer for layer in model.layers if layer.weights]
        for layer, name in zip(weighted, names):
            layer.set_weights([group[name][f"{name}_W:0"][()], group[name][f"{name}_b:0"][()]])
    reference = np.load(os.path.join(SHARED, "reference", "naokishibuya-pilotnet-keras1", "reference.npz"))
    x = reference["x"][:2].astype(np.float32)
    assert np.allclose(model(x).numpy()[:, 0], reference["y"][:2], atol=1e-4), "rebuilt model differs from the reference"
    folder = os.path.join(HERE, "shared")
    raw, display = visualbackprop(model, x)
    save(folder, "naokishibuya_visualbackprop", display)
    layer = penultimate_layer(model)
    activation, gradient = layer_gradients(model, layer, x)
    save(folder, "naokishibuya_gradcam_increase", np.stack([gradcam_kerasvis(a, g, MODIFIERS["increase"], (66, 200)) for a, g in zip(activation, gradient)]))
    print("naokishibuya written (penultimate", layer.name + ")")


if __name__ == "__main__":
    for case in CASES:
        fixture_case(case)
    naokishibuya()
