#!/usr/bin/env python3
"""Faithfulness and map-similarity reference fixtures for SteerLens, made with real TensorFlow, SciPy and
scikit-image (CI never runs this; it only reads the committed files).

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 numpy scipy scikit-image
    cd Tests/Fixtures/faithfulness && python3 generate_faithfulness_fixtures.py

Deletion / insertion (the RISE family, Petsiuk et al. 2018) on the saliency fixture model
`../saliency/pilotnet_elu/model.h5` (16x32x3 -> 1) and its three inputs, baseline = zeros (black):
- ranking = np.argsort(-map, kind="stable") over the H*W pixels of a map (ties keep pixel order);
- point k = 0..20 changes the k*P//20 top-ranked pixels (all channels): deletion sets them to the baseline
  in the item, insertion copies them from the item onto the baseline;
- the 42 perturbed items go through tf.keras `model(x, training=False)` in one batch (float32);
- normalised curve n_k = |f(x_k) - f(b)| / |f(x) - f(b)|; area = trapezoid over [0, 1] (np.trapezoid).
The random comparison ranking is a Fisher-Yates shuffle driven by SplitMix64 (SteerLens' SeededRandom,
ported below with exact 64-bit integer arithmetic), seed 7 + item.

Similarity of map pairs (the sanity check): scipy.stats.spearmanr (average ranks for ties) and
skimage.metrics.structural_similarity(a, b, data_range=1) (7x7 uniform window, K1 0.01, K2 0.03,
sample covariance, mean over the interior (pad 3)).

Files: faithfulness.npz-free layout, plain .npy and JSON:
  maps.npy [3,16,32] float32; deletion.npy / insertion.npy [3,21] float32 model outputs;
  random_ranking.npy [3,512] (pixel indices as float32); random_deletion.npy / random_insertion.npy [3,21];
  similarity_a.npy / similarity_b.npy [4,16,32] float32; reference.json (areas, spearman, ssim).
"""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import json

import numpy as np
import scipy
import scipy.stats
import skimage
import skimage.metrics
import tensorflow as tf
import tf_keras

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "saliency", "pilotnet_elu")
STEPS = 20
M64 = (1 << 64) - 1


class SplitMix64:
    """SteerLens SeededRandom (SplitMix64) with exact integer arithmetic."""

    def __init__(self, seed):
        self.state = ((seed * 0x9E3779B97F4A7C15) & M64) ^ 0xD1B54A32D192ED03

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)


def random_ranking(pixels, seed):
    g = SplitMix64(seed)
    order = list(range(pixels))
    for i in range(pixels - 1, 0, -1):
        j = g.next() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int32)


def perturbed(item, baseline, ranking):
    h, w, c = item.shape
    p = h * w
    flat_item, flat_base = item.reshape(p, c), baseline.reshape(p, c)
    out = []
    for mode in ("deletion", "insertion"):
        for k in range(STEPS + 1):
            chosen = ranking[: k * p // STEPS]
            x = (flat_item if mode == "deletion" else flat_base).copy()
            x[chosen] = (flat_base if mode == "deletion" else flat_item)[chosen]
            out.append(x.reshape(h, w, c))
    return np.stack(out).astype(np.float32)


def area(curve):
    return float(np.trapezoid(curve, dx=1.0 / (len(curve) - 1)))


def normalised(curve, original, base):
    return np.abs(curve.astype(np.float64) - base) / abs(original - base)


def main():
    model = tf_keras.models.load_model(os.path.join(MODEL, "model.h5"), compile=False, safe_mode=False)
    x = np.load(os.path.join(MODEL, "input.npy")).astype(np.float32)
    n, h, w, c = x.shape
    rng = np.random.default_rng(20)
    # Quantised maps: many ties, so the stable tie order is exercised.
    maps = np.round(rng.random((n, h, w)) * 8).astype(np.float32) / 8
    baseline = np.zeros((h, w, c), np.float32)
    ref = {"items": []}
    outs = {"deletion": [], "insertion": [], "random_deletion": [], "random_insertion": []}
    rankings = []
    for i in range(n):
        entry = {}
        for prefix, ranking in (("", np.argsort(-maps[i].reshape(-1), kind="stable")), ("random_", random_ranking(h * w, 7 + i))):
            y = model(perturbed(x[i], baseline, ranking), training=False).numpy()[:, 0].astype(np.float64)
            deletion, insertion = y[: STEPS + 1], y[STEPS + 1:]
            original, base = deletion[0], insertion[0]
            outs[prefix + "deletion"].append(deletion)
            outs[prefix + "insertion"].append(insertion)
            entry[prefix + "deletion_area"] = area(normalised(deletion, original, base))
            entry[prefix + "insertion_area"] = area(normalised(insertion, original, base))
            if prefix:
                rankings.append(ranking)
        ref["items"].append(entry)
    np.save(os.path.join(HERE, "maps.npy"), maps)
    for name, rows in outs.items():
        np.save(os.path.join(HERE, name + ".npy"), np.array(rows, np.float32))
    np.save(os.path.join(HERE, "random_ranking.npy"), np.array(rankings, np.float32))  # <f4: what NPYArray reads

    # Similarity pairs: identical, noisy copy, independent, and a map with ties against its inverse.
    a = rng.random((4, h, w)).astype(np.float32)
    b = np.stack([a[0], np.clip(a[1] + 0.2 * rng.standard_normal((h, w)), 0, 1), rng.random((h, w)),
                  1 - np.round(a[3] * 4) / 4]).astype(np.float32)
    a[3] = np.round(a[3] * 4) / 4
    np.save(os.path.join(HERE, "similarity_a.npy"), a)
    np.save(os.path.join(HERE, "similarity_b.npy"), b)
    ref["spearman"] = [float(scipy.stats.spearmanr(a[k].reshape(-1), b[k].reshape(-1)).statistic) for k in range(4)]
    ref["ssim"] = [float(skimage.metrics.structural_similarity(a[k].astype(np.float64), b[k].astype(np.float64), data_range=1.0))
                   for k in range(4)]
    ref["generated_with"] = {"tensorflow": tf.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                             "scikit-image": skimage.__version__}
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(ref, indent=1))


if __name__ == "__main__":
    main()
