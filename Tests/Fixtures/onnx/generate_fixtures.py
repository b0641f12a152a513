"""Writes the ONNX fixtures in Tests/Fixtures/onnx/<case>_opset<N>/ (and the OpenCV grey fixture).

Each model is a small PyTorch network with seeded random weights (BatchNorm statistics too), exported by
torch.onnx.export (the TorchScript exporter, dynamo=False, as most published steering models were) at
opsets 11 and 17. Per case folder:
  model.onnx                    the export (the opset-17 PilotNet-ELU keeps its weights in model.weights,
                                an external data file, as large exports do)
  input.npy                     a batch of 2 inputs in the model's own layout (NCHW, or NHWC for the
                                NHWC-input case), values 0..255
  output_<k>.npy                output k from onnxruntime (CPU) on input.npy
  gradient_<k>.npy              d(sum over the batch of output k, unit 0)/d input from PyTorch autograd,
                                same layout as input.npy
  case.json                     inputs fixed with --input, outputs, what the case covers
Also gray/rgb2gray.npy: RGB triples and cv2.cvtColor(COLOR_RGB2GRAY) of them (OpenCV's fixed point).

Usage: pip install torch onnx onnxruntime opencv-python-headless; python3 generate_fixtures.py
(versions used: see summary.json). Re-running rewrites every fixture; commit the result.
"""
import json
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OPSETS = (11, 17)


class PilotNet(nn.Module):
    """PilotNet's topology (5 convs, flatten, 4 dense) at reduced widths, input 3x66x200, 0..255."""

    def __init__(self, act, batchnorm=False, nhwc=False, view_flatten=False):
        super().__init__()
        self.act, self.nhwc, self.view_flatten = act, nhwc, view_flatten
        widths = [(3, 8, 5, 2), (8, 12, 5, 2), (12, 16, 5, 2), (16, 16, 3, 1), (16, 16, 3, 1)]
        self.input_bn = nn.BatchNorm2d(3) if batchnorm else None
        self.convs = nn.ModuleList(nn.Conv2d(i, o, k, s, bias=not batchnorm) for i, o, k, s in widths)
        # BatchNorm after the activation, so the exporter cannot fold it into the convolution.
        self.bns = nn.ModuleList(nn.BatchNorm2d(o) for _, o, _, _ in widths) if batchnorm else None
        self.drop = nn.Dropout(0.2)
        self.fcs = nn.ModuleList([nn.Linear(16 * 1 * 18, 32), nn.Linear(32, 16), nn.Linear(16, 8)])
        self.fc_bn = nn.BatchNorm1d(32) if batchnorm else None
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        if self.nhwc:
            x = x.permute(0, 3, 1, 2)
        if self.input_bn is not None:
            x = self.input_bn(x / 255.0)
        else:
            x = x / 127.5 - 1.0
        for i, conv in enumerate(self.convs):
            x = self.act(conv(x))
            if self.bns is not None:
                x = self.bns[i](x)
        x = self.drop(x)
        x = x.view(x.size(0), -1) if self.view_flatten else torch.flatten(x, 1)
        for i, fc in enumerate(self.fcs):
            x = self.act(fc(x))
            if i == 0 and self.fc_bn is not None:
                x = self.fc_bn(x)
        return self.out(x)


class DonkeyTwoOutput(nn.Module):
    """DonkeyCar 'linear' pilot shape: portrait 3x96x72 input, 5 ReLU convs, speed concatenated to the
    flattened features, two outputs (angle in [-1, 1] by tanh, throttle)."""

    def __init__(self):
        super().__init__()
        spec = [(3, 8, 5, 2), (8, 12, 5, 2), (12, 16, 5, 2), (16, 16, 3, 1), (16, 16, 3, 1)]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, k, s) for i, o, k, s in spec)
        self.fc1 = nn.Linear(16 * 5 * 2 + 1, 24)
        self.fc2 = nn.Linear(24, 12)
        self.angle = nn.Linear(12, 1)
        self.throttle = nn.Linear(12, 1)

    def forward(self, image, speed):
        x = image / 255.0
        for conv in self.convs:
            x = F.relu(conv(x))
        x = torch.cat([torch.flatten(x, 1), speed], dim=1)
        x = F.dropout(F.relu(self.fc1(x)), 0.1, self.training)
        x = F.relu(self.fc2(x))
        return torch.tanh(self.angle(x)), self.throttle(x)


class ResBlockNet(nn.Module):
    """Greyscale 1x72x64: an in-graph crop, conv + BN + ReLU6, a residual block with a depthwise 3x3
    (padding 1) and a pointwise conv, LeakyReLU, max and average pooling (count_include_pad), a
    depthwise multiplier-2 conv, global average and max pooling concatenated, a dense head with tanh."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, 2, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, 1, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.pool = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(3, 1, padding=1, count_include_pad=True)
        self.dw2 = nn.Conv2d(8, 16, 3, 1, padding=1, groups=8)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        x = x[:, :, 8:, :] / 255.0
        x = torch.clamp(self.stem_bn(self.stem(x)), 0, 6)
        y = self.pw(F.leaky_relu(self.dw(x), 0.1))
        x = F.relu(x + y)
        x = self.avg(self.pool(x))
        x = F.elu(self.dw2(x))
        pooled = torch.cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], dim=1)
        return torch.tanh(self.head(torch.flatten(pooled, 1)))


class OperatorMix(nn.Module):
    """The remaining operators on a small 3x24x40 input: zero Pad, PReLU (per channel), nearest Upsample,
    bilinear Resize (half-pixel), Selu, Softplus, Hardsigmoid, Sigmoid, Tanh, max pooling with SAME-like
    pads, a channel-axis Transpose round trip, Mul/Sub by per-channel constants, GlobalMaxPool,
    Squeeze/Unsqueeze, MatMul + bias, Softmax over 5 bins."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.prelu = nn.PReLU(6)
        self.conv2 = nn.Conv2d(6, 6, 3, stride=2, padding=1)
        self.gain = nn.Parameter(torch.rand(1, 6, 1, 1) + 0.5)
        self.weight = nn.Parameter(torch.randn(6, 5) * 0.5)
        self.bias = nn.Parameter(torch.randn(5) * 0.1)

    def forward(self, x):
        x = F.pad(x / 255.0, (1, 2, 0, 1))
        x = self.prelu(self.conv1(x))
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = F.selu(self.conv2(x))
        x = F.interpolate(x, size=(20, 30), mode="bilinear", align_corners=False)
        x = F.softplus(x) * self.gain - 0.25
        x = F.hardsigmoid(x) + torch.sigmoid(x) * torch.tanh(x)
        x = F.max_pool2d(x, 3, stride=1, padding=1)
        x = x.permute(0, 2, 3, 1).permute(0, 3, 1, 2)
        x = F.adaptive_max_pool2d(x, 1).squeeze(-1).squeeze(-1)
        x = torch.matmul(x.unsqueeze(1), self.weight).squeeze(1) + self.bias
        return torch.softmax(x, dim=1)


class TransposedDecoder(nn.Module):
    """ConvTranspose: a strided, dilated conv encoder and ResNet's max pooling, then two transposed convolutions (pads, output_padding,
    kernel 4 stride 2), global average pooling and a dense head."""

    def __init__(self):
        super().__init__()
        self.encode = nn.Conv2d(3, 6, 3, stride=2, padding=2, dilation=2)
        self.up1 = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1)
        self.head = nn.Linear(2, 1)

    def forward(self, x):
        x = self.encode(x / 255.0)
        x = F.relu(F.max_pool2d(x, 3, stride=2, padding=1))  # ResNet's stem pooling: pads (1, 1), not SAME's (0, 1)
        x = F.relu(self.up1(x))
        x = torch.tanh(self.up2(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def randomize_batchnorm(model, generator):
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
            module.running_var.copy_(torch.rand(n, generator=generator) * 0.5 + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)


CASES = {
    "pilotnet_elu": dict(make=lambda: PilotNet(F.elu, view_flatten=True), shape=(3, 66, 200),
                         covers="PilotNet ELU; x/127.5-1 in the graph; x.view(x.size(0), -1) (Shape/Gather/Unsqueeze/Concat/Reshape folded)"),
    "pilotnet_relu_nhwc": dict(make=lambda: PilotNet(F.relu, nhwc=True), shape=(66, 200, 3),
                               covers="PilotNet ReLU taking NHWC input and transposing inside; Flatten"),
    "pilotnet_bn": dict(make=lambda: PilotNet(F.relu, batchnorm=True), shape=(3, 66, 200),
                        covers="BatchNorm PilotNet: BatchNormalization on the input, after every conv activation and after fc1"),
    "donkey_two_outputs": dict(make=DonkeyTwoOutput, shape=(3, 96, 72), extra={"speed": 0.7},
                               covers="DonkeyCar-style portrait input, extra speed input fixed with --input speed=0.7, two outputs"),
    "resnet_gray": dict(make=ResBlockNet, shape=(1, 72, 64),
                        covers="greyscale; Slice crop; Conv+BN; Clip (ReLU6); depthwise (multiplier 1 and 2); residual Add; pooling; global pooling; Concat"),
    "ops_mix": dict(make=OperatorMix, shape=(3, 24, 40),
                    covers="Pad, PRelu, Upsample/Resize nearest and bilinear, Selu, Softplus, HardSigmoid, Sigmoid, Tanh, SAME max pooling, Transpose, per-channel Mul/Sub, GlobalMaxPool, Squeeze/Unsqueeze, MatMul, Softmax"),
    "transposed_decoder": dict(make=TransposedDecoder, shape=(3, 16, 24),
                               covers="dilated Conv; MaxPool 3x3 stride 2 pads 1 on an even size (before the ReLU); ConvTranspose with pads, output_padding, kernel 4 stride 2"),
}


def export(name, spec, opset, seed):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    model = spec["make"]()
    randomize_batchnorm(model, generator)
    model.eval()
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 255, size=(2,) + spec["shape"]).astype(np.float32)
    extra = spec.get("extra", {})
    tensors = [torch.from_numpy(image)] + [torch.full((2, 1), value) for value in extra.values()]
    folder = os.path.join(HERE, f"{name}_opset{opset}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    path = os.path.join(folder, "model.onnx")
    input_names = ["image"] + list(extra)
    outputs = ["angle", "throttle"] if name.startswith("donkey") else ["steering"]
    torch.onnx.export(model, tuple(t[:1] for t in tensors), path, opset_version=opset, dynamo=False,
                      input_names=input_names, output_names=outputs,
                      dynamic_axes={n: {0: "batch"} for n in input_names + outputs})
    if name == "pilotnet_elu" and opset == 17:
        proto = onnx.load(path)
        onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.weights", size_threshold=256)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {n: t.numpy() for n, t in zip(input_names, tensors)}
    reference = session.run(None, feeds)
    np.save(os.path.join(folder, "input.npy"), image)
    for k, out in enumerate(reference):
        np.save(os.path.join(folder, f"output_{k}.npy"), out.astype(np.float32))
        x = torch.from_numpy(image).requires_grad_(True)
        result = model(x, *tensors[1:])
        result = result[k] if isinstance(result, tuple) else result
        assert np.allclose(result.detach().numpy(), out, rtol=1e-4, atol=1e-5), f"{name}: torch and onnxruntime disagree"
        (gradient,) = torch.autograd.grad(result[:, 0].sum(), x)
        np.save(os.path.join(folder, f"gradient_{k}.npy"), gradient.numpy().astype(np.float32))
    ops = sorted({n.op_type for n in onnx.load(path, load_external_data=False).graph.node})
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump({"covers": spec["covers"], "opset": opset, "inputs": extra, "outputs": outputs, "operators": ops}, f, indent=1)
    return ops


def gray_fixture():
    import cv2
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, size=(4096, 3), dtype=np.uint8)
    # Colours where OpenCV's 15-bit coefficients and the 14-bit ones of COLOR_RGB2YUV round differently.
    r, g, b = [rgb[:, i].astype(np.int64) for i in range(3)]
    fourteen = (r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14
    gray = cv2.cvtColor(rgb.reshape(64, 64, 3), cv2.COLOR_RGB2GRAY).reshape(-1)
    os.makedirs(os.path.join(HERE, "gray"), exist_ok=True)
    table = np.concatenate([rgb, gray[:, None]], axis=1).astype(np.float32)
    np.save(os.path.join(HERE, "gray", "rgb2gray.npy"), table)
    return int((fourteen != gray).sum())


def main():
    """`python3 generate_fixtures.py [CASE ...]` rewrites the named cases only (all by default)."""
    import sys
    only = set(sys.argv[1:])
    path = os.path.join(HERE, "summary.json")
    summary = json.load(open(path)) if only and os.path.exists(path) else {"cases": {}}
    summary.update({"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__})
    for index, (name, spec) in enumerate(CASES.items()):
        if only and name not in only:
            continue
        for opset in OPSETS:
            summary["cases"][f"{name}_opset{opset}"] = export(name, spec, opset, seed=100 + index)
    import cv2
    summary["opencv"] = cv2.__version__
    summary["gray_rows_where_14_bit_differs"] = gray_fixture()
    with open(os.path.join(HERE, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
