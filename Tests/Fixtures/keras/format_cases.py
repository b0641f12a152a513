"""Issue 12 fixtures for file formats and model kinds (imported by generate_fixtures.py as `g`'s helper):

* `keras_zip`: a Keras 3 `.keras` file (zip: metadata.json, config.json, model.weights.h5, stored as Keras
  writes it) and `model-deflated.keras`, the same entries deflated;
* `tfkeras26_functional`: a tf-keras functional model whose keras_version attribute says "2.6.0", as
  tf.keras 2.4-2.15 wrote (the same writer layout as tf-keras 2.21; only the version string differs);
* `categorical_head`: a DonkeyCar KerasCategorical-style model (15-bin softmax angle head beside a throttle
  head), with the expected angle sum(p_i c_i), c_i = -1 + 2i/14, and d(sum over the batch of the angle)/dx
  computed by TensorFlow (`expected_angle.npy`, `expected_angle_gradient.npy`);
* unsupported/<name>.h5: recurrent and 3-D models (LSTM, GRU, TimeDistributed, Conv3D) to be rejected.
"""
import json
import os
import zipfile

import h5py
import numpy as np

from layer_cases import init_all


def format_cases(g):
    L, keras = g.L, g.keras
    name = "keras_zip"
    rng = g.case_rng(name)
    model = keras.Sequential([keras.Input((8, 10, 3)),
                              L.Conv2D(4, 3, strides=2, activation="elu", name="conv"),
                              L.BatchNormalization(center=False, name="bn"),
                              L.SeparableConv2D(3, 2, name="sep"), L.Flatten(name="flatten"),
                              L.Dense(3, activation="relu", name="fc"), L.Dense(1, name="steering")], name=name)
    init_all(g, model, rng)
    x = g.normal_input(rng, 8, 10)

    def save_zip(m, d):
        m.save(os.path.join(d, "model.keras"))
        # The same entries re-compressed with deflate (what re-zipping tools produce), for the zip reader.
        with zipfile.ZipFile(os.path.join(d, "model.keras")) as source, \
                zipfile.ZipFile(os.path.join(d, "model-deflated.keras"), "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                target.writestr(item.filename, source.read(item.filename))
        return ["model.keras", "model-deflated.keras"]

    g.write_case(name, model, x, "keras3-zip", "Keras 3 native .keras zip (stored entries metadata.json, "
                 "config.json, model.weights.h5 with layers/<path>/vars/<i> datasets): Conv2D 3x3 s2 elu -> "
                 "BatchNormalization(center=False: vars gamma, moving_mean, moving_variance) -> SeparableConv2D 2x2 -> "
                 "Flatten -> Dense 3 relu -> Dense 1.", rng, save_zip)

    TL = g.TL
    name = "tfkeras26_functional"
    rng = g.case_rng(name)
    inp = g.tf_keras.Input((8, 10, 3), name="image")
    h = TL.Conv2D(4, 3, activation="relu", name="conv")(inp)
    h = TL.BatchNormalization(name="bn")(h)
    h = TL.GlobalAveragePooling2D(name="gap")(h)
    out = TL.Dense(1, name="steering")(h)
    model = g.tf_keras.Model(inp, out, name=name)
    init_all(g, model, rng)
    x = g.normal_input(rng, 8, 10)

    def save_26(m, d):
        path = os.path.join(d, "model.h5")
        m.save(path, save_format="h5")
        with h5py.File(path, "r+") as f:
            for obj in (f, f["model_weights"]):
                del obj.attrs["keras_version"]
                obj.attrs["keras_version"] = "2.6.0"
        return ["model.h5"]

    g.write_case(name, model, x, "tf-keras2", "tf-keras functional ('Functional' class name) saved as .h5 with "
                 "the keras_version attributes rewritten to '2.6.0' as tf.keras 2.6 writes them: Conv2D relu -> "
                 "BatchNormalization -> GlobalAveragePooling2D -> Dense 1.", rng, save_26,
                 extra={"keras_version_in_file": "2.6.0"})
    categorical_case(g)
    unsupported_cases(g)


def categorical_case(g):
    L, keras, tf = g.L, g.keras, g.tf
    name = "categorical_head"
    rng = g.case_rng(name)
    inp = keras.Input((12, 16, 3), name="img_in")
    h = L.Rescaling(1.0 / 255, name="scale")(inp)
    h = L.Conv2D(4, 5, strides=2, activation="relu", name="conv1")(h)
    h = L.Conv2D(6, 3, strides=2, activation="relu", name="conv2")(h)
    h = L.Flatten(name="flattened")(h)
    h = L.Dense(8, activation="relu", name="fc")(h)
    angle = L.Dense(15, activation="softmax", name="angle_out")(h)
    throttle = L.Dense(1, activation="relu", name="throttle_out")(h)
    model = keras.Model(inp, [angle, throttle], name=name)
    init_all(g, model, rng, kernel_gain=2.0)
    x = g.pixels(rng, 12, 16)
    info = g.write_case(name, model, x, "keras3-legacy-h5",
        "DonkeyCar KerasCategorical-style on 0..255 pixels: Rescaling(1/255) -> two convolutions -> Dense 8 -> output 0 'angle_out' Dense(15, softmax) "
        "over angles c_i = -1 + 2i/14, output 1 'throttle_out' Dense(1, relu). expected_angle.npy = sum_i p_i c_i "
        "(N, 1); expected_angle_gradient.npy = d(sum_n angle_n)/dx (seed 1 per frame, as saliency uses).",
        rng, g.save_keras3, extra={"outputs": ["angle_out", "throttle_out"], "bins": [-1.0, 1.0, 15]})
    centers = tf.constant(np.linspace(-1.0, 1.0, 15, dtype=np.float32))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        probabilities = model(xt, training=False)[0]
        expected = tf.reduce_sum(probabilities * centers, axis=1, keepdims=True)
        total = tf.reduce_sum(expected)
    gradient = tape.gradient(total, xt)
    d = os.path.join(g.HERE, name)
    np.save(os.path.join(d, "expected_angle.npy"), np.asarray(expected, np.float32))
    np.save(os.path.join(d, "expected_angle_gradient.npy"), np.asarray(gradient, np.float32))
    return info


def unsupported_cases(g):
    """Recurrent and 3-D pilots (DonkeyCar's RNN and 3D models, tiny): model files only."""
    L, keras = g.L, g.keras
    d = os.path.join(g.HERE, "unsupported")
    os.makedirs(d, exist_ok=True)
    models = {
        "lstm": keras.Sequential([keras.Input((3, 8, 10, 3)),
                                  L.TimeDistributed(L.Conv2D(2, 3, strides=2), name="td_conv"),
                                  L.TimeDistributed(L.Flatten(), name="td_flatten"),
                                  L.LSTM(4, name="lstm"), L.Dense(1, name="steering")], name="rnn_pilot"),
        "gru": keras.Sequential([keras.Input((4, 6)), L.GRU(3, name="gru"), L.Dense(1, name="steering")],
                                name="gru_pilot"),
        "conv3d": keras.Sequential([keras.Input((3, 8, 10, 3)), L.Conv3D(2, (2, 3, 3), name="conv3d"),
                                    L.Flatten(name="flatten"), L.Dense(1, name="steering")], name="pilot_3d"),
    }
    for key, model in models.items():
        model.save(os.path.join(d, f"{key}.h5"))
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("# Unsupported model kinds\n\nTiny Keras 3 legacy `.h5` files written by `../format_cases.py` "
                "(random weights, no reference tensors): a TimeDistributed(Conv2D) + LSTM pilot (`lstm.h5`), a GRU "
                "(`gru.h5`) and a Conv3D pilot (`conv3d.h5`). SteerLens must reject each with exit 65 and one line "
                "naming the layer class.\n")
    print("  unsupported/           lstm.h5, gru.h5, conv3d.h5")
