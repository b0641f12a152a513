"""Exports the Keras demo model (Datasets/models/pilotnet-demo.h5) as an ONNX model with the very same
weights, the way a PyTorch user would ship it: a PyTorch PilotNet (NCHW) whose weights are copied from
the .h5 file, exported by torch.onnx.export at opset 17 -> Datasets/models/pilotnet-demo.onnx.

Keras flattens the 1x18x64 feature map in NHWC order, PyTorch in NCHW order, so fc1's weight columns are
permuted to match; the normalisation Lambda `x / 127.5 - 1` becomes the same arithmetic in forward().
The script checks onnxruntime against TensorFlow on random frames (max |diff| printed) before writing.

Usage: pip install torch onnx onnxruntime tf_keras h5py; python3 Datasets/scripts/export_demo_onnx.py
"""
import json
import os

import h5py
import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
SOURCE = os.path.join(ROOT, "pilotnet-demo.h5")
TARGET = os.path.join(ROOT, "pilotnet-demo.onnx")


class PilotNet(nn.Module):
    """NVIDIA PilotNet as the demo model: x/127.5-1, conv 24/36/48 5x5 s2, 64/64 3x3, ELU, dense 100/50/10/1."""

    def __init__(self):
        super().__init__()
        spec = [(3, 24, 5, 2), (24, 36, 5, 2), (36, 48, 5, 2), (48, 64, 3, 1), (64, 64, 3, 1)]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, k, s) for i, o, k, s in spec)
        self.fcs = nn.ModuleList([nn.Linear(1152, 100), nn.Linear(100, 50), nn.Linear(50, 10)])
        self.steering = nn.Linear(10, 1)

    def forward(self, x):
        x = x / 127.5 - 1.0
        for conv in self.convs:
            x = F.elu(conv(x))
        x = torch.flatten(x, 1)
        for fc in self.fcs:
            x = F.elu(fc(x))
        return self.steering(x)


def main():
    model = PilotNet().eval()
    with h5py.File(SOURCE, "r") as f:
        weights = f["model_weights"]
        for index, conv in enumerate(model.convs, start=1):
            kernel = np.array(weights[f"conv{index}/conv{index}/kernel:0"])  # [kh, kw, cin, cout]
            conv.weight.data = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
            conv.bias.data = torch.from_numpy(np.array(weights[f"conv{index}/conv{index}/bias:0"]))
        kernel = np.array(weights["fc1/fc1/kernel:0"])  # rows in NHWC flatten order (h, w, c) of 1x18x64
        nchw_rows = kernel.reshape(1, 18, 64, 100).transpose(2, 0, 1, 3).reshape(1152, 100)
        model.fcs[0].weight.data = torch.from_numpy(nchw_rows.T.copy())
        model.fcs[0].bias.data = torch.from_numpy(np.array(weights["fc1/fc1/bias:0"]))
        for index, fc in [(2, model.fcs[1]), (3, model.fcs[2])]:
            fc.weight.data = torch.from_numpy(np.array(weights[f"fc{index}/fc{index}/kernel:0"]).T.copy())
            fc.bias.data = torch.from_numpy(np.array(weights[f"fc{index}/fc{index}/bias:0"]))
        model.steering.weight.data = torch.from_numpy(np.array(weights["steering/steering/kernel:0"]).T.copy())
        model.steering.bias.data = torch.from_numpy(np.array(weights["steering/steering/bias:0"]))

    torch.onnx.export(model, torch.zeros(1, 3, 66, 200), TARGET, opset_version=17, dynamo=False,
                      input_names=["image"], output_names=["steering"],
                      dynamic_axes={"image": {0: "batch"}, "steering": {0: "batch"}})

    import tf_keras
    keras_model = tf_keras.models.load_model(SOURCE, compile=False, safe_mode=False)
    frames = np.random.default_rng(0).uniform(0, 255, size=(8, 66, 200, 3)).astype(np.float32)
    expected = keras_model.predict(frames, verbose=0)
    session = ort.InferenceSession(TARGET, providers=["CPUExecutionProvider"])
    actual = session.run(None, {"image": frames.transpose(0, 3, 1, 2).copy()})[0]
    difference = float(np.abs(actual - expected).max())
    print(json.dumps({"written": os.path.relpath(TARGET), "max_abs_diff_vs_keras": difference}))
    assert difference < 1e-4, difference
    with open(TARGET + ".steerlens.json", "w") as f:
        with open(SOURCE + ".steerlens.json") as source:
            f.write(source.read())


if __name__ == "__main__":
    main()
