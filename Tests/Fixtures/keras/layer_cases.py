"""Issue 12 fixtures (imported by generate_fixtures.py, which passes itself as `g`):

* BatchNormalization on other axes (Keras 3 axis=1/2, center/scale off) and Keras 1.2 modes 1 and 2
  (synthesised Keras 1 files; the reference is the Keras 1.2 formula written out in TensorFlow ops);
* the other layers published steering models use (separable/depthwise/dilated convolutions, upsampling,
  global max pooling, every Cropping2D / ZeroPadding2D form, noise and dropout layers, merges, Permute,
  activations and activation layers), with Keras 3 and tf-keras writers;
* a Keras 3 `.keras` zip and a tf.keras 2.6-style `.h5` (keras_version "2.6.0");
* a DonkeyCar-style categorical steering head (15-bin softmax + throttle) with the expected angle
  sum(p_i * c_i) and its input gradient computed by TensorFlow;
* recurrent and 3-D models (LSTM, GRU, TimeDistributed, Conv3D) that SteerLens must reject: only the model
  file is written, under unsupported/.
"""
import json
import os
import shutil

import h5py
import numpy as np


def init_all(g, model, rng, kernel_gain=1.0):
    """g.init_weights plus the weights of separable/depthwise convolutions and PReLU."""
    for layer in model.layers:
        if not layer.weights:
            continue
        new = []
        for w in layer.weights:
            kind = w.name.split("/")[-1].split(":")[0]
            shape = tuple(int(d) for d in w.shape)
            if kind in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                fan_in = int(np.prod(shape[:-1])) if kind != "depthwise_kernel" else int(np.prod(shape[:2]))
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
            elif kind == "alpha":
                v = rng.uniform(-0.3, 0.6, shape)
            else:
                raise ValueError(f"unexpected weight {w.name}")
            new.append(v.astype(np.float32))
        layer.set_weights(new)


def k3_model(g, name, input_shape, layers):
    return g.keras.Sequential([g.keras.Input(input_shape)] + layers, name=name)


def k3(g, name, input_shape, layers, description, make_input, kernel_gain=1.0, extra=None, save=None):
    rng = g.case_rng(name)
    model = k3_model(g, name, input_shape, layers)
    init_all(g, model, rng, kernel_gain)
    x = make_input(rng)
    return g.write_case(name, model, x, "keras3-legacy-h5", description, rng, save or g.save_keras3, extra=extra)


def functional_case(g, name, model, x, rng, description, writer="keras3-legacy-h5", save=None, extra=None):
    return g.write_case(name, model, x, writer, description, rng, save or g.save_keras3, extra=extra)


# ------------------------------------------------------------------------------------------------
# BatchNormalization
# ------------------------------------------------------------------------------------------------

def bn_cases(g):
    L = g.L
    nrm = lambda h, w, s=1.0: (lambda rng: g.normal_input(rng, h, w, 3, s) + np.float32(0.5))
    k3(g, "bn_axis_rows", (6, 8, 3), [
        L.BatchNormalization(axis=1, name="bn_rows"),
        L.Conv2D(3, 3, activation="tanh", name="conv"),
        L.BatchNormalization(axis=2, center=False, name="bn_cols"),
        L.BatchNormalization(axis=-1, scale=False, epsilon=0.01, name="bn_channels"),
        L.Flatten(name="flatten"), L.Dense(1, name="steering")],
        "Keras 3 BatchNormalization(axis=1) as an input normaliser (moving statistics per ROW: gamma/beta/"
        "mean/variance have H=6 entries) -> Conv2D 3x3 tanh -> BatchNormalization(axis=2, center=False) "
        "(per column, no beta) -> BatchNormalization(axis=-1, scale=False, eps 0.01) -> Flatten -> Dense 1.",
        nrm(6, 8))
    keras1_bn_mode2_rows(g)
    keras1_bn_mode1(g)


def keras1_bn_config(name, mode, axis, first_shape=None):
    cfg = {"gamma_regularizer": None, "name": name, "epsilon": 0.001, "trainable": True, "mode": mode,
           "beta_regularizer": None, "momentum": 0.99, "axis": axis}
    if first_shape is not None:
        cfg["batch_input_shape"] = [None] + list(first_shape)
        cfg["input_dtype"] = "float32"
    return {"class_name": "BatchNormalization", "config": cfg}


def keras1_bn_weights(name, gamma, beta, h):
    return (name, [(f"{name}_gamma:0", gamma), (f"{name}_beta:0", beta),
                   (f"{name}_running_mean:0", np.zeros(h, np.float32)),
                   (f"{name}_running_std:0", np.ones(h, np.float32))])


def keras1_bn_mode2_rows(g):
    """Keras 1.2 BatchNormalization(mode=2, axis=1) in a channels-last model: normalises each ROW."""
    name = "keras1_bn_mode2_rows"
    rng = g.case_rng(name)
    H, W, eps = 6, 8, 1e-3
    gamma = rng.uniform(0.5, 1.5, H).astype(np.float32)
    beta = rng.normal(0.0, 0.3, H).astype(np.float32)
    ops = g.keras.ops

    def mode2(x):
        # Keras 1.2 mode 2 with the batch statistics of ONE frame (a driving script's predict(frame[None])):
        # mean and biased variance over W and C for each sample and row.
        m = ops.mean(x, axis=(2, 3), keepdims=True)
        v = ops.mean(ops.square(x - m), axis=(2, 3), keepdims=True)
        return (x - m) / ops.sqrt(v + eps) * gamma[None, :, None, None] + beta[None, :, None, None]

    L = g.L
    ref = g.keras.Sequential([g.keras.Input((H, W, 3)), L.Lambda(mode2, name="bn_mode2"),
                              L.Conv2D(4, 3, activation="elu", name="c1"), L.Flatten(name="flat"),
                              L.Dense(1, name="d")], name=name)
    init_all(g, ref, rng)
    x = (g.normal_input(rng, H, W) * np.arange(1, H + 1, dtype=np.float32)[None, :, None, None]).astype(np.float32)
    wt = {l.name: l.get_weights() for l in ref.layers}
    config = {"class_name": "Sequential", "config": [
        keras1_bn_config("batchnormalization_1", 2, 1, first_shape=(H, W, 3)),
        g.k1_conv("convolution2d_1", 4, 3, (1, 1), "valid", "elu"),
        {"class_name": "Flatten", "config": {"trainable": True, "name": "flatten_1"}},
        g.k1_dense("dense_1", (H - 2) * (W - 2) * 4, 1, "linear")]}
    layers = [keras1_bn_weights("batchnormalization_1", gamma, beta, H),
              ("convolution2d_1", [("convolution2d_1_W:0", wt["c1"][0]), ("convolution2d_1_b:0", wt["c1"][1])]),
              ("flatten_1", []),
              ("dense_1", [("dense_1_W:0", wt["d"][0]), ("dense_1_b:0", wt["d"][1])])]
    write_keras1(g, name, ref, x, rng, config, layers,
        "Keras 1.2.1-layout Sequential: BatchNormalization(mode=2, axis=1) on a channels-last 6x8x3 input "
        "(gamma/beta and the unused running statistics have H=6 entries; each ROW of each frame is normalised "
        "with its own mean and biased variance over W and C, eps 1e-3, as predict() on one frame computes) -> "
        "Convolution2D 3x3 elu -> Flatten -> Dense 1. Rows of the input have different scales. Reference: the "
        "Keras 1.2 formula written out in TF ops.")


def keras1_bn_mode1(g):
    """Keras 1.2 BatchNormalization(mode=1): sample-wise over the features, (x-m)/(sqrt(v+eps)+eps)."""
    name = "keras1_bn_mode1"
    rng = g.case_rng(name)
    H, W, F, eps = 3, 4, 6, 1e-3
    gamma = rng.uniform(0.5, 1.5, F).astype(np.float32)
    beta = rng.normal(0.0, 0.3, F).astype(np.float32)
    ops = g.keras.ops

    def mode1(x):
        m = ops.mean(x, axis=-1, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(x - m), axis=-1, keepdims=True) + eps)
        return (x - m) / (std + eps) * gamma + beta

    L = g.L
    ref = g.keras.Sequential([g.keras.Input((H, W, 3)), L.Flatten(name="flat"), L.Dense(F, name="d1"),
                              L.Lambda(mode1, name="bn_mode1"), L.Dense(1, activation="tanh", name="d2")], name=name)
    init_all(g, ref, rng)
    x = g.normal_input(rng, H, W)
    wt = {l.name: l.get_weights() for l in ref.layers}
    first = {"class_name": "Flatten", "config": {"trainable": True, "name": "flatten_1",
                                                   "batch_input_shape": [None, H, W, 3], "input_dtype": "float32"}}
    config = {"class_name": "Sequential", "config": [
        first, g.k1_dense("dense_1", H * W * 3, F, "linear"),
        keras1_bn_config("batchnormalization_1", 1, -1), g.k1_dense("dense_2", F, 1, "tanh")]}
    layers = [("flatten_1", []),
              ("dense_1", [("dense_1_W:0", wt["d1"][0]), ("dense_1_b:0", wt["d1"][1])]),
              keras1_bn_weights("batchnormalization_1", gamma, beta, F),
              ("dense_2", [("dense_2_W:0", wt["d2"][0]), ("dense_2_b:0", wt["d2"][1])])]
    write_keras1(g, name, ref, x, rng, config, layers,
        "Keras 1.2.1-layout Sequential: Flatten -> Dense 6 -> BatchNormalization(mode=1) (sample-wise: "
        "(x - mean)/(sqrt(var + eps) + eps) * gamma + beta over each sample's 6 features, eps 1e-3 used twice "
        "as in Keras 1.2) -> Dense 1 tanh. Reference: the Keras 1.2 formula written out in TF ops.")


def write_keras1(g, name, ref, x, rng, config, layers, description):
    def save(model, d):
        g.write_keras1_h5(os.path.join(d, "model.h5"), config, layers)
        return ["model.h5"]

    info = g.write_case(name, ref, x, "keras1-synth", description, rng, save,
                        extra={"keras_version_in_file": g.K1_VERSION,
                               "keras1_layers": [c["class_name"] for c in config["config"]],
                               "reference_layers_tf": g.layer_classes(ref)})
    info["keras"] = g.K1_VERSION
    g._rewrite_case_json(name, info)


# ------------------------------------------------------------------------------------------------
# Layers
# ------------------------------------------------------------------------------------------------

def layer_cases(g):
    L = g.L
    nrm = lambda h, w, s=1.0: (lambda rng: g.normal_input(rng, h, w, 3, s))
    k3(g, "conv_separable", (8, 10, 3), [
        L.SeparableConv2D(4, 3, depth_multiplier=2, padding="same", activation="relu", name="sep"),
        L.SeparableConv2D(2, (3, 2), strides=2, padding="valid", use_bias=False, name="sep_nobias")],
        "SeparableConv2D 3x3 same, depth_multiplier 2, relu (depthwise 3x3x3x2 -> pointwise 1x1x6x4 + bias) -> "
        "SeparableConv2D 3x2 stride 2 valid, no bias.", nrm(8, 10))
    k3(g, "conv_depthwise", (9, 10, 3), [
        L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="valid", activation="elu", name="dw"),
        L.DepthwiseConv2D((2, 3), padding="same", dilation_rate=(1, 2), use_bias=False, name="dw_dilated")],
        "DepthwiseConv2D 3x3 stride 2 valid, depth_multiplier 2, bias, elu (output channel c*2+m) -> "
        "DepthwiseConv2D 2x3 same dilation (1,2) no bias.", nrm(9, 10))
    k3(g, "conv_dilated", (10, 12, 3), [
        L.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu", name="dilated_same"),
        L.Conv2D(3, (2, 3), dilation_rate=(2, 1), padding="valid", use_bias=False, name="dilated_valid")],
        "Conv2D 3x3 dilation 2 same relu -> Conv2D 2x3 dilation (2,1) valid, use_bias=False.", nrm(10, 12))
    k3(g, "upsampling", (4, 5, 3), [
        L.UpSampling2D((2, 3), name="up_nearest"), L.Conv2D(2, 3, name="conv"),
        L.UpSampling2D(2, interpolation="bilinear", name="up_bilinear")],
        "UpSampling2D((2,3)) nearest -> Conv2D 3x3 valid -> UpSampling2D(2, bilinear) (= tf.image.resize "
        "bilinear, half-pixel centres).", nrm(4, 5))
    k3(g, "pool_global_max", (6, 7, 3), [L.Conv2D(4, 3, name="conv"), L.GlobalMaxPooling2D(name="gmp")],
        "Conv2D 3x3 -> GlobalMaxPooling2D -> (N, 4). Continuous random input: no ties.", nrm(6, 7))
    k3(g, "pool_global_keepdims", (6, 7, 3), [
        L.Conv2D(4, 3, name="conv"), L.GlobalMaxPooling2D(keepdims=True, name="gmp"),
        L.Conv2D(3, 1, activation="tanh", name="pointwise"), L.GlobalAveragePooling2D(keepdims=True, name="gap"),
        L.Flatten(name="flatten"), L.Dense(1, name="steering")],
        "Conv2D -> GlobalMaxPooling2D(keepdims=True) (N,1,1,4) -> Conv2D 1x1 tanh -> "
        "GlobalAveragePooling2D(keepdims=True) -> Flatten -> Dense 1.", nrm(6, 7))
    k3(g, "crop_pad_forms", (10, 12, 3), [
        L.Cropping2D(1, name="crop_int"), L.Cropping2D((2, 1), name="crop_pair"),
        L.ZeroPadding2D(((1, 0), (2, 1)), name="pad_pairs"), L.ZeroPadding2D(1, name="pad_int")],
        "Cropping2D(1) -> Cropping2D((2,1)) -> ZeroPadding2D(((1,0),(2,1))) -> ZeroPadding2D(1). 10x12 -> 8x10 "
        "-> 4x8 -> 5x11 -> 7x13.", nrm(10, 12))
    k3(g, "noise_dropout", (6, 8, 3), [
        L.SpatialDropout2D(0.3, name="spatial_dropout"), L.GaussianNoise(0.5, name="gaussian_noise"),
        L.Conv2D(2, 3, name="conv"), L.GaussianDropout(0.2, name="gaussian_dropout"),
        L.AlphaDropout(0.1, name="alpha_dropout"), L.Flatten(name="flatten"), L.Dense(1, name="steering")],
        "SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout: identity at inference (training=False).",
        nrm(6, 8))
    k3(g, "permute", (4, 6, 3), [
        L.Permute((2, 1, 3), name="swap_hw"), L.Conv2D(2, (3, 2), name="conv"), L.Permute((3, 1, 2), name="chw")],
        "Permute((2,1,3)) (transpose rows/columns) -> Conv2D 3x2 -> Permute((3,1,2)) (channels first).",
        nrm(4, 6))
    merge_case(g)
    activation_cases(g)


def merge_case(g):
    L, keras = g.L, g.keras
    name = "merge_ops"
    rng = g.case_rng(name)
    inp = keras.Input((6, 7, 3), name="image")
    a = L.Conv2D(3, 3, padding="same", activation="tanh", name="a")(inp)
    b = L.Conv2D(3, 1, name="b")(inp)
    c = L.Conv2D(3, 3, padding="same", name="c")(inp)
    ops = [L.Multiply(name="mul")([a, b, c]), L.Average(name="avg")([a, b, c]), L.Maximum(name="max")([a, b, c]),
           L.Minimum(name="min")([a, b]), L.Subtract(name="sub")([a, b])]
    channels = L.Concatenate(axis=-1, name="concat_channels")(ops)
    rows = L.Concatenate(axis=1, name="concat_rows")([a, b])
    cols = L.Concatenate(axis=2, name="concat_cols")([a, c])
    f = L.Concatenate(axis=1, name="concat_flat")(
        [L.Flatten(name="f1")(rows), L.Flatten(name="f2")(cols), L.Flatten(name="f3")(channels)])
    out = L.Dense(2, name="steering")(f)
    model = keras.Model(inp, [out, rows], name=name)
    init_all(g, model, rng)
    x = g.normal_input(rng, 6, 7)
    functional_case(g, name, model, x, rng,
        "Functional: three convolutions a (tanh), b, c -> Multiply(a,b,c), Average(a,b,c), Maximum(a,b,c), "
        "Minimum(a,b), Subtract(a,b) -> Concatenate(axis=-1); Concatenate(axis=1)([a,b]) (rows, also output 1); "
        "Concatenate(axis=2)([a, c]) (columns) -> Flatten all three -> Concatenate(axis=1) -> Dense 2.",
        extra={"outputs": ["steering", "concat_rows"]})


def activation_cases(g):
    L, keras = g.L, g.keras
    # Keras 3: every activation string on N(0, 3^2) data, one output each (outputs k = 0..).
    name = "activations_keras3"
    rng = g.case_rng(name)
    inp = keras.Input((4, 5, 3), name="image")
    kinds = ["tanh", "sigmoid", "hard_sigmoid", "softsign", "softplus", "selu", "silu", "swish", "gelu",
             "softmax", "relu6", "elu", "linear"]
    outs = [L.Activation(k, name=f"act_{k}")(inp) for k in kinds]
    outs.append(L.PReLU(name="prelu")(inp))
    outs.append(L.PReLU(shared_axes=[1, 2], name="prelu_shared")(inp))
    outs.append(L.Softmax(axis=-1, name="softmax_layer")(inp))
    fused = L.Conv2D(3, 3, activation="swish", name="conv_swish")(inp)
    fused = L.Conv2D(2, 1, activation="gelu", name="conv_gelu")(fused)
    fused = L.Flatten(name="flatten")(fused)
    outs.append(L.Dense(3, activation="hard_sigmoid", name="dense_hard_sigmoid")(fused))
    outs.append(L.Dense(2, activation="selu", name="dense_selu")(fused))
    model = keras.Model(inp, outs, name=name)
    init_all(g, model, rng, kernel_gain=2.0)
    x = g.normal_input(rng, 4, 5, 3, 3.0)
    functional_case(g, name, model, x, rng,
        "Keras 3 activations, one output each on N(0, 3^2) input: Activation(" + ", ".join(kinds) + "); "
        "PReLU (alpha per element, some negative), PReLU(shared_axes=[1,2]), Softmax(axis=-1) layer; and fused "
        "Conv2D(swish) -> Conv2D 1x1 (gelu) -> Flatten -> Dense(3, hard_sigmoid) and Dense(2, selu). Keras 3 "
        "hard_sigmoid is relu6(x+3)/6; gelu is exact (erf).",
        extra={"outputs": kinds + ["prelu", "prelu_shared", "softmax_layer", "dense_hard_sigmoid", "dense_selu"]})

    # tf-keras 2: hard_sigmoid is clip(0.2x + 0.5); ThresholdedReLU exists; keras_version 2.21.0.
    TL = g.TL
    name = "activations_tfkeras"
    rng = g.case_rng(name)
    inp = g.tf_keras.Input((4, 5, 3), name="image")
    kinds = ["hard_sigmoid", "swish", "gelu", "selu", "softsign"]
    outs = [TL.Activation(k, name=f"act_{k}")(inp) for k in kinds]
    outs.append(TL.ThresholdedReLU(theta=0.7, name="thresholded"))
    outs[-1] = outs[-1](inp)
    outs.append(TL.PReLU(shared_axes=[1, 2], name="prelu_shared")(inp))
    outs.append(TL.Softmax(name="softmax_layer")(inp))
    fused = TL.Conv2D(2, 3, activation="hard_sigmoid", name="conv_hard_sigmoid")(inp)
    outs.append(TL.Dense(2, activation="gelu", name="dense_gelu")(TL.Flatten(name="flatten")(fused)))
    model = g.tf_keras.Model(inp, outs, name=name)
    init_all(g, model, rng, kernel_gain=2.0)
    x = g.normal_input(rng, 4, 5, 3, 3.0)
    functional_case(g, name, model, x, rng,
        "tf-keras 2 activations on N(0, 3^2) input: Activation(" + ", ".join(kinds) + ") where tf-keras "
        "hard_sigmoid is clip(0.2x + 0.5, 0, 1); ThresholdedReLU(theta=0.7); PReLU(shared_axes=[1,2]); Softmax "
        "layer; fused Conv2D(hard_sigmoid) -> Flatten -> Dense(2, gelu).", writer="tf-keras2", save=g.save_tfkeras,
        extra={"outputs": kinds + ["thresholded", "prelu_shared", "softmax_layer", "dense_gelu"]})
