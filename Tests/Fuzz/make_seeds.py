#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (Tests/Fuzz/Corpus/<harness>/) from the project's own
fixtures and a few tiny clips made with the ffmpeg CLI. Run from anywhere: python3 Tests/Fuzz/make_seeds.py
(needs h5py and ffmpeg; CI never runs it — the corpora are committed)."""
import base64, hashlib, json, os, pathlib, subprocess
import h5py

here = pathlib.Path(__file__).resolve().parent
repo = here.parent.parent
corpus = here / "Corpus"
subprocess.run(["rm", "-rf", str(corpus)], check=True)

def seed(harness, data):
    folder = corpus / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)

# NPY: small arrays of the Keras fixtures (float32, several shapes and header layouts).
for case in sorted((repo / "Tests/Fixtures/keras").iterdir())[:6]:
    for name in ("output.npy", "seed.npy"):
        if (case / name).exists(): seed("FuzzNPY", (case / name).read_bytes())

# Lambda functions: raw marshal bytes (mode byte 0) and whole layer configs as JSON (mode byte 1).
cases = json.loads((repo / "Tests/Fixtures/lambdas/lambdas.json").read_text())["cases"]
for case in cases[::12]:
    function = case["function"]
    text = function[0] if isinstance(function, list) else function
    if case["encoding"] == "base64":
        seed("FuzzMarshal", b"\x00" + base64.b64decode(text))
    config = {"name": case["name"], "function": function, "function_type": "lambda", "arguments": {}}
    seed("FuzzMarshal", b"\x01" + json.dumps(config).encode())

# Keras configs: each fixture's architecture, first byte = the fixture's index (the harness's
# weight store of the same model).
fixtures = sorted(p for p in (repo / "Tests/Fixtures/keras").iterdir() if p.is_dir())
stores = [p for p in fixtures if (p / "model.h5").exists() or (p / "weights.h5").exists()]
for index, case in enumerate(stores):
    if (case / "model.h5").exists():
        with h5py.File(case / "model.h5", "r") as f:
            config = f.attrs.get("model_config")
    else:
        config = (case / "architecture.json").read_text()
    if config is None: continue
    config = config.decode() if isinstance(config, bytes) else config
    seed("FuzzKerasConfig", bytes([index]) + config.encode())

# Labels: both CSV forms and a driving_log.csv.
labels = (repo / "Datasets/demo/labels.csv").read_text().splitlines()[:12]
seed("FuzzLabels", ("\n".join(labels) + "\n").encode())
seed("FuzzLabels", b"time_s,steering\n0.0,0.1\n0.033,-0.2\n0.066,0.05\n")
seed("FuzzLabels", b"/home/u/sim/IMG/center_2016_12_01_13_30_48_287.jpg, /home/u/sim/IMG/left.jpg, right.jpg, 0.05, 0.9, 0, 30.1\n"
                   b"IMG/center_2.jpg,IMG/left_2.jpg,IMG/right_2.jpg,-0.1,0.8,0,29.9\n")

# Settings JSON: the demo sidecars, a thresholds file, a small recorded run.json.
for sidecar in sorted((repo / "Datasets/models").glob("*.steerlens.json")):
    seed("FuzzSettingsJSON", sidecar.read_bytes())
seed("FuzzSettingsJSON", json.dumps({"maxDelta": 0.1, "maxP95Delta": 0.05, "maxMAEIncrease": 0.01, "minMeanCorrelation": 0.5,
                                     "driftCorrelation": 0.3, "maxDriftShare": 0.2}).encode())
# A recorded run (what `check` reads): analyze two frames of a tiny clip with the debug build.
steerlens = repo / ".build/debug/steerlens"
if steerlens.exists():
    work = here / ".seed-run"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x32:rate=10", "-frames:v", "2",
                    "-c:v", "ffv1", str(here / ".seed-clip.mkv")], check=True)
    subprocess.run([str(steerlens), "analyze", str(here / ".seed-clip.mkv"), "--model",
                    str(repo / "Tests/Fixtures/keras/pilotnet_small/model.h5"), "--out", str(work), "--overwrite",
                    "--png-every", "0", "--quiet"], check=True, stdout=subprocess.DEVNULL)
    seed("FuzzSettingsJSON", (work / "run.json").read_bytes())
    subprocess.run(["rm", "-rf", str(work), str(here / ".seed-clip.mkv")], check=True)

# Video: three frames of 32x24 in each container a user brings.
clips = [("mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]),
         ("mkv", ["-c:v", "ffv1"]),
         ("avi", ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"]),
         ("webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
         ("mov", ["-c:v", "mpeg4"])]
for extension, options in clips:
    out = corpus / f"clip.{extension}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=32x24:rate=10", "-frames:v", "3"]
                   + options + [str(out)], check=True)
    seed("FuzzVideo", out.read_bytes())
    out.unlink()

# Transforms: every setting of the default suite (DeepTest's and the procedural ones) and a few edge
# values, each on a frame and band drawn from its index; the pixels are a gradient.
specifications = [f"translation:{10 * p},{10 * p}" for p in (1, 5)] + [f"scale:{s}" for s in (0.1, 1.5, 6, 8)] \
    + ["shear:0.5", "shear:-10", "rotation:9", "rotation:-360", "contrast:2", "contrast:0", "brightness:50", "brightness:-255"] \
    + [f"blur:{kind}" for kind in ("mean3", "mean6", "gaussian7", "median3", "median5", "bilateral")] \
    + ["fog:0.6", "rain:1", "night:4", "dirt:10", "jpeg:31", "h264:51", "roll:3", "pitch:-20", "flip", "pitch:10000", "translation:-10000,3"]
for index, specification in enumerate(specifications):
    header = bytes([(7 * index + 5) % 256, (11 * index + 3) % 256, (13 * index) % 256, (17 * index + 9) % 256])
    seed("FuzzTransforms", header + specification.encode() + b"\n" + bytes(range(0, 256, 3)))
