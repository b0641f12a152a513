#!/usr/bin/env python3
"""Train the demo steering models on synthetic drives rendered by `steerlens-datagen`.

Run by hand (not in CI), from the repository root:

    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py==3.14.0 numpy==2.4.6
    python3 Datasets/scripts/train_demo_models.py

It builds `steerlens-datagen` (release), renders the training and held-out sets into
`Datasets/training/` (git-ignored; seeds 1000-1013 and 2000-2002, never the demo clip's seed 7), trains
NVIDIA PilotNet twice with tf_keras (the Keras 2 API) and writes, into `Datasets/models/`:

- `pilotnet-demo.h5`            baseline, trained on every situation;
- `pilotnet-demo-candidate.h5`  "new version" trained without left curves (a regression to catch);
- `pilotnet-demo-random.h5`     the same architecture with untrained (random, Glorot-uniform, seed 99)
                                weights, for the saliency sanity test;
- `*.h5.steerlens.json`         the preprocessing sidecar SteerLens picks up;
- `*.md`                        model cards with held-out and demo-clip accuracy.

The model inputs are produced by SteerLens' own code path (FrameReader + Preprocess: crop 37.5 % top and
10 % bottom, INTER_AREA resize to 200x66, RGB) after an H.264 round trip, exactly as the demo clip
reaches a model in `steerlens analyze`. Takes about 20 minutes on 2 CPU cores (rendering ~8, training ~12).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "Datasets"
MODELS = DATASETS / "models"
TRAINING = DATASETS / "training"
DEMO = DATASETS / "demo"
SITUATIONS = ["straight", "left_curve", "right_curve"]          # codes 0, 1, 2 in situation.npy

# The preprocessing the models were trained with, in SteerLens' --crop/--resize terms.
SIDECAR = {"crop": ["37.5%", "10%", "0", "0"], "resize": "200x66", "interpolation": "area", "color": "rgb", "output": 0}

TRAIN_SETS = [  # (name, first seed, clips, seconds, every): rendered in parallel, one process per set
    ("train-a", 1000, 7, 30, 2),
    ("train-b", 1007, 7, 30, 2),
]
HELD_OUT = ("held-out", 2000, 3, 20, 3)


def run(command, **kwargs):
    print("+", " ".join(str(part) for part in command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def build_datagen(scratch):
    run(["swift", "build", "-c", "release", "--product", "steerlens-datagen", "--scratch-path", scratch], cwd=ROOT)
    return Path(ROOT / scratch / "release" / "steerlens-datagen")


def render_sets(datagen):
    """Renders every set that is missing (an existing meta.json with the same settings is reused)."""
    pending = []
    for name, seed, clips, seconds, every in TRAIN_SETS + [HELD_OUT]:
        out = TRAINING / name
        meta = out / "meta.json"
        if meta.exists():
            existing = json.loads(meta.read_text())
            if (existing["first_seed"], existing["clips"], existing["seconds"], existing["every"]) == (seed, clips, seconds, every):
                continue
        pending.append(subprocess.Popen([str(datagen), "training-set", "--seed", str(seed), "--clips", str(clips),
                                         "--seconds", str(seconds), "--every", str(every), "--out", str(out)]))
        if len(pending) == 2:
            for process in pending:
                if process.wait() != 0:
                    sys.exit("steerlens-datagen training-set failed")
            pending = []
    for process in pending:
        if process.wait() != 0:
            sys.exit("steerlens-datagen training-set failed")
    demo_inputs = TRAINING / "demo-inputs.npy"
    if not demo_inputs.exists() or demo_inputs.stat().st_mtime < (DEMO / "drive.mp4").stat().st_mtime:
        run([str(datagen), "model-inputs", str(DEMO / "drive.mp4"), "--out", str(demo_inputs)])


def load_set(name):
    directory = TRAINING / name
    return (np.load(directory / "x.npy"), np.load(directory / "y.npy").astype(np.float32),
            np.load(directory / "situation.npy").astype(np.int64))


def pilotnet():
    """NVIDIA PilotNet (Bojarski et al. 2016) the way behavioural-cloning projects write it: a Lambda
    normalisation, five ELU convolutions, four ELU dense layers, one linear steering output."""
    return keras.Sequential([
        keras.layers.Lambda(lambda x: x / 127.5 - 1.0, input_shape=(66, 200, 3), name="normalize"),
        keras.layers.Conv2D(24, 5, strides=2, activation="elu", name="conv1"),
        keras.layers.Conv2D(36, 5, strides=2, activation="elu", name="conv2"),
        keras.layers.Conv2D(48, 5, strides=2, activation="elu", name="conv3"),
        keras.layers.Conv2D(64, 3, activation="elu", name="conv4"),
        keras.layers.Conv2D(64, 3, activation="elu", name="conv5"),
        keras.layers.Dropout(0.2, name="dropout"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(100, activation="elu", name="fc1"),
        keras.layers.Dense(50, activation="elu", name="fc2"),
        keras.layers.Dense(10, activation="elu", name="fc3"),
        keras.layers.Dense(1, name="steering"),
    ], name="pilotnet")


def train(name, x, y, x_val, y_val, epochs, seed):
    keras.utils.set_random_seed(seed)
    model = pilotnet()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_mae", factor=0.3, patience=2, min_lr=3e-5, verbose=1)
    best = keras.callbacks.ModelCheckpoint(str(TRAINING / f"{name}-best.h5"), monitor="val_mae", save_best_only=True)
    started = time.time()
    history = model.fit(x, y, batch_size=64, epochs=epochs, validation_data=(x_val, y_val), shuffle=True,
                        callbacks=[schedule, best], verbose=2)
    model.load_weights(str(TRAINING / f"{name}-best.h5"))
    return model, history, time.time() - started


SPARSIFY_SCHEDULE = [(0.02, 3), (0.1, 4), (0.3, 4)]   # (lambda, epochs)


def sparsify(model, x, y, schedule=SPARSIFY_SCHEDULE, seed=1):
    """Fine-tunes with an L1 penalty on the input gradient (double backpropagation: Drucker & LeCun 1992;
    "right for the right reasons", Ross et al. 2017): loss = MSE + lambda * mean_i sum_pixels |dy_i/dx_i|.

    Plain training leaves a PilotNet sensitive to every pixel (vanilla-gradient maps look like noise
    over the whole road and verge); the penalty makes the model keep its gradient only where it needs
    it — the lane markings and road edges — so the saliency maps SteerLens draws are readable."""
    keras.utils.set_random_seed(seed)
    optimizer = keras.optimizers.Adam(3e-4)
    weight = tf.Variable(0.0, trainable=False)

    @tf.function
    def step(images, labels):
        images = tf.cast(images, tf.float32)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(images)
                prediction = model(images, training=True)[:, 0]
            gradient = inner.gradient(prediction, images)
            mse = tf.reduce_mean((prediction - labels) ** 2)
            penalty = tf.reduce_mean(tf.reduce_sum(tf.abs(gradient), axis=[1, 2, 3]))
            loss = mse + weight * penalty
        grads = outer.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return mse, penalty

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(y), seed=seed).batch(64)
    epochs = 0
    for lam, count in schedule:
        weight.assign(lam)
        for _ in range(count):
            started, losses = time.time(), []
            for images, labels in dataset:
                losses.append([float(v) for v in step(images, labels)])
            mse, penalty = np.mean(losses, axis=0)
            epochs += 1
            print(f"sparsify lambda {lam}: mse {mse:.5f} gradient L1 {penalty:.4f} ({time.time() - started:.0f} s)", flush=True)
    return epochs


def per_situation(prediction, y, situation):
    rows = {"all": (float(np.mean(np.abs(prediction - y))), len(y))}
    for code, label in enumerate(SITUATIONS):
        selected = situation == code
        if selected.any():
            rows[label] = (float(np.mean(np.abs(prediction[selected] - y[selected]))), int(selected.sum()))
    return rows


def demo_scene():
    import csv
    with open(DEMO / "labels.csv") as handle:
        labels = np.array([float(row["steering"]) for row in csv.DictReader(handle)], dtype=np.float32)
    with open(DEMO / "scene.csv") as handle:
        situation = np.array([SITUATIONS.index(row["situation"]) for row in csv.DictReader(handle)])
    return labels, situation


def segments(situation):
    """(first, last, situation code) runs of equal situation."""
    runs, start = [], 0
    for index in range(1, len(situation) + 1):
        if index == len(situation) or situation[index] != situation[start]:
            runs.append((start, index - 1, int(situation[start])))
            start = index
    return runs


def write_card(path, title, summary, training, x_count, epochs_run, seconds, held_out, demo, curve, params):
    def table(rows):
        lines = ["| situation | MAE | frames |", "|---|---|---|"]
        lines += [f"| {key} | {value[0]:.4f} | {value[1]} |" for key, value in rows.items()]
        return "\n".join(lines)

    curve_lines = ["| frames | situation | mean label | mean prediction | MAE | correlation |", "|---|---|---|---|---|---|"]
    curve_lines += [f"| {a}–{b} | {s} | {l:+.3f} | {p:+.3f} | {m:.4f} | {c:.3f} |" for a, b, s, l, p, m, c in curve]
    text = f"""# {title}

{summary}

## Architecture
NVIDIA PilotNet (Bojarski et al., "End to End Learning for Self-Driving Cars", 2016), Keras `Sequential`,
{params:,} parameters, saved by tf_keras {keras.__version__} (TensorFlow {tf.__version__}) as a legacy
HDF5 full model (`model.save(..., include_optimizer=False)`):

| layer | output | activation |
|---|---|---|
| `normalize` Lambda `x / 127.5 - 1.0` | 66×200×3 | — |
| `conv1` Conv2D 24 5×5 stride 2 | 31×98×24 | ELU |
| `conv2` Conv2D 36 5×5 stride 2 | 14×47×36 | ELU |
| `conv3` Conv2D 48 5×5 stride 2 | 5×22×48 | ELU |
| `conv4` Conv2D 64 3×3 | 3×20×64 | ELU |
| `conv5` Conv2D 64 3×3 | 1×18×64 | ELU |
| `dropout` 0.2, `flatten` | 1152 | — |
| `fc1` / `fc2` / `fc3` Dense 100 / 50 / 10 | | ELU |
| `steering` Dense 1 | 1 | linear |

Output: steering in [−1, 1], positive = right (pure-pursuit label of the generator, see
`Datasets/README.md`).

## Preprocessing (sidecar `{path.name.replace('.md', '.h5')}.steerlens.json`)
Input frames are 640×360 RGB. Crop 37.5 % from the top (135 rows: sky) and 10 % from the bottom (36 rows:
bonnet), no columns; resize the 640×189 crop to 200×66 with INTER_AREA (`Preprocess`, `area`); RGB order;
values 0…255 as float — the model's Lambda normalises them. In SteerLens flags:
`--crop 37.5%,10%,0,0 --resize 200x66 --interpolation area --color rgb`.

## Training data
{training}
{x_count} frames (every 2nd frame of 14 clips × 30 s, seeds 1000–1013, 640×360 at 30 fps, H.264 round
trip with the demo clip's settings, then `VideoIO.Preprocess`). Held out: 3 clips × 20 s (seeds 2000–2002,
every 3rd frame). The demo clip (seed 7) is never trained on. Adam 1e-3 with plateau decay, batch 64,
MSE loss, {epochs_run[0]} epochs (best held-out MAE kept); then {epochs_run[1]} epochs of fine-tuning with an
L1 penalty on the input gradient (double backpropagation, λ = 0.02 → 0.1 → 0.3, Adam 3e-4), which keeps
the model's sensitivity on the lane markings and road edges instead of every pixel, so its saliency
maps are readable (see `sparsify` in `Datasets/scripts/train_demo_models.py`). {seconds / 60:.1f} min on 2
CPU cores.

## Held-out accuracy (seeds 2000–2002)
{table(held_out)}

## Demo clip `Datasets/demo/drive.mp4` (frames decoded from the MP4, TensorFlow)
{table(demo)}

### Prediction vs. label along the clip
{chr(10).join(curve_lines)}
"""
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--scratch-path", default=".build-demo", help="swift build scratch path")
    parser.add_argument("--datagen", help="use this steerlens-datagen binary instead of building one")
    arguments = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(2)

    datagen = Path(arguments.datagen) if arguments.datagen else build_datagen(arguments.scratch_path)
    TRAINING.mkdir(parents=True, exist_ok=True)
    MODELS.mkdir(parents=True, exist_ok=True)
    render_sets(datagen)

    parts = [load_set(name) for name, *_ in TRAIN_SETS]
    x = np.concatenate([p[0] for p in parts]).astype(np.float32)
    y = np.concatenate([p[1] for p in parts])
    situation = np.concatenate([p[2] for p in parts])
    x_val, y_val, s_val = load_set(HELD_OUT[0])
    x_val = x_val.astype(np.float32)
    x_demo = np.load(TRAINING / "demo-inputs.npy").astype(np.float32)
    y_demo, s_demo = demo_scene()
    print(f"training {len(y)} frames ({np.bincount(situation, minlength=3)} straight/left/right), held out {len(y_val)}, demo {len(y_demo)}")

    keras.utils.set_random_seed(99)
    random_model = pilotnet()
    random_model.save(MODELS / "pilotnet-demo-random.h5", include_optimizer=False)
    (MODELS / "pilotnet-demo-random.h5.steerlens.json").write_text(json.dumps(SIDECAR) + "\n")

    variants = [
        ("pilotnet-demo", "Demo baseline", np.ones_like(y, dtype=bool),
         "The baseline demo steering model: PilotNet trained on synthetic drives with straights, left and right curves.",
         "All situations."),
        ("pilotnet-demo-candidate", "Demo candidate (regressed)", situation != 1,
         "A plausible \"new version\" of the demo model that was trained WITHOUT any left-curve frames (a data-pipeline "
         "mistake): it still looks fine on straights and right curves but regresses on left curves — the demo for "
         "`steerlens compare`/`check`.",
         "All situations EXCEPT left curves (left-curve frames filtered out)."),
    ]
    report = {}
    for name, title, keep, summary, training in variants:
        print(f"== {name}: {int(keep.sum())} frames", flush=True)
        model, history, seconds = train(name, x[keep], y[keep], x_val, y_val, arguments.epochs, seed=1)
        started = time.time()
        sparsify_epochs = sparsify(model, x[keep], y[keep])
        seconds += time.time() - started
        model.save(MODELS / f"{name}.h5", include_optimizer=False)
        (MODELS / f"{name}.h5.steerlens.json").write_text(json.dumps(SIDECAR) + "\n")
        held_out = per_situation(model.predict(x_val, batch_size=128, verbose=0)[:, 0], y_val, s_val)
        prediction = model.predict(x_demo, batch_size=128, verbose=0)[:, 0]
        demo = per_situation(prediction, y_demo, s_demo)
        np.savetxt(TRAINING / f"{name}-demo-predictions.csv", np.stack([np.arange(len(prediction)), y_demo, prediction], 1),
                   delimiter=",", header="frame,label,prediction", comments="", fmt=["%d", "%.6f", "%.6f"])
        curve = []
        for first, last, code in segments(s_demo):
            label, predicted = y_demo[first:last + 1], prediction[first:last + 1]
            correlation = float(np.corrcoef(label, predicted)[0, 1]) if last > first else float("nan")
            curve.append((first, last, SITUATIONS[code], float(label.mean()), float(predicted.mean()),
                          float(np.mean(np.abs(label - predicted))), correlation))
        write_card(MODELS / f"{name}.md", title, summary, training, int(keep.sum()), (len(history.history["loss"]), sparsify_epochs), seconds,
                   held_out, demo, curve, model.count_params())
        report[name] = {"held_out": held_out, "demo": demo}
        print(json.dumps(report[name], indent=1), flush=True)
    (TRAINING / "report.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
