#!/usr/bin/env python3
"""Peer figures for `steerlens-bench saliency`: what a user does today with TensorFlow.

Builds NVIDIA PilotNet (66x200x3, ELU, random weights) with tf-keras and measures, at the given batch
sizes, frames per second for the three keras-vis steering maps (increase / decrease / maintain):

* tf-keras-vis `Saliency`, one call per map with the keras-vis gradient modifiers `default`
  (identity), `negate` and `small_values` (|1/(g+eps)|) as `gradient_modifier`, normalize_map=True,
  keepdims=False — the keras-vis steering notebook ported to TF2;
* a hand-written `tf.GradientTape`: one gradient per batch, the three maps in NumPy.

Install: pip install tensorflow-cpu tf-keras tf-keras-vis
Prints one line per figure: `<name> batch=<N> frames_per_s=<value>`.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

EPS = 1e-7


def pilotnet():
    layers = keras.layers
    model = keras.Sequential([
        layers.Lambda(lambda x: x / 127.5 - 1.0, input_shape=(66, 200, 3)),
        layers.Conv2D(24, 5, strides=2, activation="elu"),
        layers.Conv2D(36, 5, strides=2, activation="elu"),
        layers.Conv2D(48, 5, strides=2, activation="elu"),
        layers.Conv2D(64, 3, activation="elu"),
        layers.Conv2D(64, 3, activation="elu"),
        layers.Flatten(),
        layers.Dense(100, activation="elu"),
        layers.Dense(50, activation="elu"),
        layers.Dense(10, activation="elu"),
        layers.Dense(1),
    ])
    return model


def normalise(m):
    low = m.min(axis=(1, 2), keepdims=True)
    high = m.max(axis=(1, 2), keepdims=True)
    return (m - low) / (high - low + EPS)


def three_maps(g):
    return [normalise(g.max(axis=-1)), normalise((-g).max(axis=-1)), normalise(np.abs(1 / (g + EPS)).max(axis=-1))]


def timed(function, frames, repeats):
    function()  # warm-up (graph tracing)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return frames / best


def main():
    batches = [int(b) for b in (sys.argv[1:] or ["1", "32"])]
    model = pilotnet()
    rng = np.random.default_rng(0)
    for batch in batches:
        x = rng.integers(0, 256, size=(batch, 66, 200, 3)).astype(np.float32)
        repeats = 3 if batch > 1 else 10

        @tf.function
        def gradient(inputs):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                y = model(inputs, training=False)[:, 0]
            return tape.gradient(y, inputs)

        def tape_run():
            three_maps(gradient(tf.constant(x)).numpy())

        print(f"tf.GradientTape batch={batch} frames_per_s={timed(tape_run, batch, repeats):.1f}", flush=True)
        try:
            from tf_keras_vis.saliency import Saliency
        except ImportError:
            print("tf-keras-vis unavailable: pip install tf-keras-vis", flush=True)
            continue
        saliency = Saliency(model, clone=False)
        score = lambda output: output[:, 0]  # noqa: E731

        modifiers = [lambda g: g, lambda g: -g, lambda g: tf.abs(1.0 / (g + EPS))]

        def vis_run():
            # One call per map, as the keras-vis steering notebook does.
            for modifier in modifiers:
                saliency(score, x, gradient_modifier=modifier, normalize_map=True, keepdims=False)

        print(f"tf-keras-vis batch={batch} frames_per_s={timed(vis_run, batch, repeats):.1f}", flush=True)


if __name__ == "__main__":
    main()
