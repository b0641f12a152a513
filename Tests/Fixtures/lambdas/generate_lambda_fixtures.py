#!/usr/bin/env python3
"""Writes lambdas.json: Keras-style Lambda `function` values made by real CPython interpreters.

Each case is a lambda or a named function (`def`, with locals, imports, several statements) written
the way steering-model code writes them; every available CPython (3.6 ... 3.13) compiles it and
stores it as Keras would:
  - base64 of marshal.dumps(code)            (Keras >= 2.1.2, tf.keras; `func_dump`)
  - marshal bytes decoded as raw_unicode_escape (Keras 1.x - 2.1.1), for a few cases per version
with the expected SteerLens operations (or the expected error) and the expected decompiled text.
The file also records each interpreter's opcode numbers and inline-cache sizes, so the Swift
tables can be checked against the real `opcode` module.

No TensorFlow or Keras is needed: the lambdas are only compiled, never called. Python 3.5 is not
generally installable any more: its cases ("python_version": "3.5.0", "translated_from": "3.6") are the
3.6 code objects rewritten into 3.5 bytecode by `python35_code`, with opcode numbers from xdis'
`opcode_35` table (pip install xdis); that table is recorded as the 3.5 interpreter entry.

Usage:
    python3 generate_lambda_fixtures.py                # finds python3.X on PATH and in ~/.pyenv
    python3 generate_lambda_fixtures.py /path/to/python3.8 /path/to/python3.12
"""
import base64
import glob
import json
import marshal
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "lambdas.json")


def affine(scale, offset):
    return {"op": "affine", "scale": scale, "offset": offset}


def resize(height, width, method):
    return {"op": "resize", "height": height, "width": width, "method": method}


def crop(rows, columns):
    return {"op": "crop", "rows": list(rows), "columns": list(columns)}


def tensor(expression):
    """A TensorExpression step, written in the `--lambda` language as SteerLens prints it."""
    return {"op": "tensor", "expression": expression}


IDENTITY = {"op": "identity"}
ALL = (None, None)

# (name, lambda source, expected operations or None, expected error substring or None,
#  expected decompiled body, closure factory argument or None)
# A case with a factory argument is compiled as `(lambda s: <lambda>)(argument)` so that `s`
# is a closure cell, as in `def make(s): return Lambda(lambda x: x / s)`.
CASES = [
    ("affine_127_5", "lambda x: x / 127.5 - 1.0", [affine(1 / 127.5, -1.0)], None, "x / 127.5 - 1.0", None),
    ("affine_255_float", "lambda x: x / 255.0 - 0.5", [affine(1 / 255.0, -0.5)], None, "x / 255.0 - 0.5", None),
    ("affine_255_int", "lambda x: x/255 - 0.5", [affine(1 / 255, -0.5)], None, "x / 255 - 0.5", None),
    ("affine_two_x", "lambda x: 2*x/255 - 1", [affine(2 / 255, -1.0)], None, "2 * x / 255 - 1", None),
    ("affine_centered", "lambda x: (x - 128) / 128", [affine(1 / 128, -1.0)], None, "(x - 128) / 128", None),
    ("affine_reciprocal", "lambda x: x * (1/255)", [affine(1 / 255, 0.0)], None, "x * 0.00392156862745098", None),
    ("affine_negated", "lambda x: -x + 1.0", [affine(-1.0, 1.0)], None, "-x + 1.0", None),
    ("affine_unary_plus", "lambda x: +x / 2", [affine(0.5, 0.0)], None, "+x / 2", None),
    ("identity_bare", "lambda x: x", [IDENTITY], None, "x", None),
    ("identity_call", "lambda x: K.identity(x)", [IDENTITY], None, "K.identity(x)", None),
    ("resize_tf1", "lambda x: tf.image.resize_images(x, (66, 200))",
     [resize(66, 200, "bilinear_tf1")], None, "tf.image.resize_images(x, (66, 200))", None),
    ("resize_ktf_list", "lambda image: ktf.image.resize_images(image, [66, 200])",
     [resize(66, 200, "bilinear_tf1")], None, "ktf.image.resize_images(image, [66, 200])", None),
    ("resize_tf1_nearest", "lambda x: tf.image.resize_images(x, (66, 200), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)",
     [resize(66, 200, "nearest_tf1")], None,
     "tf.image.resize_images(x, (66, 200), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)", None),
    ("resize_tf1_align_corners", "lambda x: tf.image.resize_images(x, (66, 200), 0, True)",
     [resize(66, 200, "bilinear_tf1_align_corners")], None, "tf.image.resize_images(x, (66, 200), 0, True)", None),
    ("resize_tf1_area", "lambda x: tf.image.resize_images(x, (64, 64), method=3)",
     [resize(64, 64, "area")], None, "tf.image.resize_images(x, (64, 64), method=3)", None),
    ("resize_tf2", "lambda x: tf.image.resize(x, (66, 200))",
     [resize(66, 200, "bilinear")], None, "tf.image.resize(x, (66, 200))", None),
    ("resize_tf2_area", "lambda x: tf.image.resize(x, [66, 200], method='area')",
     [resize(66, 200, "area")], None, "tf.image.resize(x, [66, 200], method='area')", None),
    ("resize_tf2_nearest", "lambda x: tf.image.resize(x, (33, 100), method=\"nearest\", antialias=False)",
     [resize(33, 100, "nearest")], None, "tf.image.resize(x, (33, 100), method='nearest', antialias=False)", None),
    ("resize_compat_v1", "lambda x: tf.compat.v1.image.resize(x, (66, 200), align_corners=True)",
     [resize(66, 200, "bilinear_tf1_align_corners")], None,
     "tf.compat.v1.image.resize(x, (66, 200), align_corners=True)", None),
    ("resize_area_align_corners", "lambda x: tf.image.resize_area(x, (33, 100), align_corners=True)",
     [resize(33, 100, "area_tf1_align_corners")], None, "tf.image.resize_area(x, (33, 100), align_corners=True)", None),
    ("resize_bilinear_half_pixel", "lambda x: tf.image.resize_bilinear(x, (66, 200), half_pixel_centers=True)",
     [resize(66, 200, "bilinear")], None, "tf.image.resize_bilinear(x, (66, 200), half_pixel_centers=True)", None),
    ("resize_then_normalize", "lambda x: tf.image.resize_images(x, (66, 200)) / 255.0 - 0.5",
     [resize(66, 200, "bilinear_tf1"), affine(1 / 255.0, -0.5)], None,
     "tf.image.resize_images(x, (66, 200)) / 255.0 - 0.5", None),
    ("crop_rows", "lambda x: x[:, 60:-25, :, :]", [crop((60, -25), ALL)], None, "x[:, 60:-25, :, :]", None),
    ("crop_rows_short", "lambda x: x[:, 70:135]", [crop((70, 135), ALL)], None, "x[:, 70:135]", None),
    ("crop_both", "lambda x: x[:, 50:140, 10:-10, :]", [crop((50, 140), (10, -10))], None, "x[:, 50:140, 10:-10, :]", None),
    ("crop_ellipsis", "lambda x: x[:, 60:, ...]", [crop((60, None), ALL)], None, "x[:, 60:, ...]", None),
    ("crop_then_normalize", "lambda x: x[:, 60:-25] / 127.5 - 1", [crop((60, -25), ALL), affine(1 / 127.5, -1.0)], None,
     "x[:, 60:-25] / 127.5 - 1", None),
    ("closure_scale", "lambda x: x / s - 1.0", [affine(1 / 127.5, -1.0)], None, "x / s - 1.0", 127.5),
    ("default_scale", "lambda x, s=255.0: x / s - 0.5", [affine(1 / 255.0, -0.5)], None, "x / s - 0.5", None),
    ("error_global_size", "lambda x: tf.image.resize_images(x, (ROWS, COLS))", None, "global `ROWS`",
     "tf.image.resize_images(x, (ROWS, COLS))", None),
    ("error_global_scale", "lambda x: x / SCALE - 0.5", None, "global `SCALE`", "x / SCALE - 0.5", None),
    ("error_square", "lambda x: x * x", [tensor("x*x")], None, "x * x", None),
    ("error_unknown_function", "lambda x: K.softsign(x) * 3", None, "`K.softsign` is not a function", "K.softsign(x) * 3", None),
    ("tanh_scaled", "lambda x: K.tanh(x) * 3", [tensor("tanh(x)"), affine(3.0, 0.0)], None, "K.tanh(x) * 3", None),
    ("minmax_backend", "lambda x: (x - K.min(x)) / (K.max(x) - K.min(x))",
     [tensor("(x-min(x))/(max(x)-min(x))")], None, "(x - K.min(x)) / (K.max(x) - K.min(x))", None),
    ("minmax_epsilon", "lambda x: (x - K.min(x)) / (K.max(x) - K.min(x) + K.epsilon())",
     [tensor("(x-min(x))/(max(x)-min(x)+1e-07)")], None, "(x - K.min(x)) / (K.max(x) - K.min(x) + K.epsilon())", None),
    ("per_channel_mean", "lambda x: (x - np.array([123.68, 116.78, 103.94])) / 58.0",
     [tensor("(x-[123.68,116.78,103.94])/58.0")], None, "(x - np.array([123.68, 116.78, 103.94])) / 58.0", None),
    ("per_channel_list", "lambda x: x / [255.0, 255.0, 128.0] - 0.5",
     [tensor("x/[255.0,255.0,128.0]-0.5")], None, "x / [255.0, 255.0, 128.0] - 0.5", None),
    ("standardize", "lambda x: tf.image.per_image_standardization(x)",
     [tensor("standardize(x)")],
     None, "tf.image.per_image_standardization(x)", None),
    ("grayscale", "lambda x: tf.image.rgb_to_grayscale(x)", [tensor("mix(x,3,[0.2989,0.587,0.114])")], None,
     "tf.image.rgb_to_grayscale(x)", None),
    ("yuv_relu", "lambda x: tf.nn.relu(tf.image.rgb_to_yuv(x / 255.0))",
     [tensor("relu(mix(x/255.0,3,[0.299,-0.14714119,0.61497538,0.587,-0.28886916,-0.51496512,0.114,0.43601035,-0.10001026]))")],
     None, "tf.nn.relu(tf.image.rgb_to_yuv(x / 255.0))", None),
    ("channel_mean", "lambda x: K.mean(x, axis=-1, keepdims=True)", [tensor("mean(x,axis=-1,keepdims)")], None,
     "K.mean(x, axis=-1, keepdims=True)", None),
    ("cast_sigmoid", "lambda x: tf.sigmoid(tf.cast(x, tf.float32) / 64.0)", [tensor("sigmoid(x/64.0)")], None,
     "tf.sigmoid(tf.cast(x, tf.float32) / 64.0)", None),
    ("concat_gray", "lambda x: K.concatenate([x / 255.0, tf.image.rgb_to_grayscale(x) / 255.0], axis=-1)",
     [tensor("concatenate(x/255.0,mix(x,3,[0.2989,0.587,0.114])/255.0,axis=-1)")], None,
     "K.concatenate([x / 255.0, tf.image.rgb_to_grayscale(x) / 255.0], axis=-1)", None),
    ("expand_max", "lambda x: tf.expand_dims(tf.reduce_max(x, axis=3), 3)",
     [tensor("expand_dims(max(x,axis=3),axis=3)")], None, "tf.expand_dims(tf.reduce_max(x, axis=3), 3)", None),
    ("error_cast_uint8", "lambda x: tf.cast(x, tf.uint8)", None, "only float32", "tf.cast(x, tf.uint8)", None),
    ("error_two_values", "lambda x: tf.image.resize_images(x, (2, 2)) + x[:, :2, :2]", None, "two different values",
     "tf.image.resize_images(x, (2, 2)) + x[:, :2, :2]", None),
    ("backend_resize", "lambda x: K.resize_images(x, 2, 3, 'channels_last')", [{"op": "upsample", "rows": 2, "columns": 3}],
     None, "K.resize_images(x, 2, 3, 'channels_last')", None),
    ("error_backend_resize_bilinear", "lambda x: K.resize_images(x, 2, 2, 'channels_last', interpolation='bilinear')", None,
     "differs between Keras backends", "K.resize_images(x, 2, 2, 'channels_last', interpolation='bilinear')", None),
    ("crop_to_bounding_box", "lambda x: tf.image.crop_to_bounding_box(x, 60, 0, 66, 320)",
     [crop((60, 126), (0, 320))], None, "tf.image.crop_to_bounding_box(x, 60, 0, 66, 320)", None),
    ("tf_slice", "lambda x: tf.slice(x, [0, 50, 10, 0], [-1, 80, -1, -1])",
     [crop((50, 130), (10, None))], None, "tf.slice(x, [0, 50, 10, 0], [-1, 80, -1, -1])", None),
    ("crop_none_bounds", "lambda x: x[:, None:-20, -300:None, :]", [crop((None, -20), (-300, None))], None,
     "x[:, :-20, -300:, :]", None),
    ("channel_flip", "lambda x: x[..., ::-1]", [tensor("reverse(x,axis=3)")], None, "x[..., ::-1]", None),
    ("crop_mirror", "lambda x: x[:, 60:-25, ::-1, :]", [crop((60, -25), ALL), tensor("reverse(x,axis=2)")], None,
     "x[:, 60:-25, ::-1, :]", None),
    ("error_channel_step", "lambda x: x[:, ::2]", None, "step", "x[:, ::2]", None),
    ("standard_score", "lambda x: (x - K.mean(x)) / K.std(x)", [tensor("(x-mean(x))/sqrt(mean(square(x-mean(x))))")], None,
     "(x - K.mean(x)) / K.std(x)", None),
    ("clip_pixels", "lambda x: K.clip(x / 255.0, 0.1, 0.9)", [tensor("minimum(maximum(x/255.0,0.1),0.9)")], None,
     "K.clip(x / 255.0, 0.1, 0.9)", None),
    ("error_conditional", "lambda x: x if x is not None else 0", None, "cannot follow", None, None),
]

# Named functions (`def`) with local variables, imports, keyword/default arguments, closures and
# several statements, as steering-model code writes them for Lambda layers:
# (name, source, factory call or None, expected operations or None, expected error or None,
#  expected decompiled body on one line).
# Without a factory the function is the last `def` in the source; with one, the source defines a
# factory and `factory call` (e.g. "make((66, 200), 'area')") returns the function, whose closure
# cells Keras stores beside the code.
DEF_CASES = [
    ("def_normalize_area",
     "def Normalize(img):\n"
     "    img = K.tf.image.resize_images(img, (66, 200), method=K.tf.image.ResizeMethod.AREA)\n"
     "    return img / 127.5 - 1.0\n",
     None, [resize(66, 200, "area"), affine(1 / 127.5, -1.0)], None,
     "img = K.tf.image.resize_images(img, (66, 200), method=K.tf.image.ResizeMethod.AREA); return img / 127.5 - 1.0"),
    ("def_crop_import",
     "def crop(x):\n"
     "    import tensorflow as tf\n"
     "    return x[:, 60:134, 0:320]\n",
     None, [crop((60, 134), (0, 320))], None, "import tensorflow as tf; return x[:, 60:134, 0:320]"),
    ("def_from_import_align_corners",
     "def resize(image):\n"
     "    from keras.backend import tf as ktf\n"
     "    return ktf.image.resize_images(image, (66, 200), align_corners=True)\n",
     None, [resize(66, 200, "bilinear_tf1_align_corners")], None,
     "from keras.backend import tf as ktf; return ktf.image.resize_images(image, (66, 200), align_corners=True)"),
    ("def_submodule_locals",
     "def resize_normalize(x):\n"
     "    import tensorflow.compat.v1 as tf1\n"
     "    resized = tf1.image.resize_images(x, [33, 100], method=tf1.image.ResizeMethod.NEAREST_NEIGHBOR)\n"
     "    scaled = resized / 255.0\n"
     "    return scaled - 0.5\n",
     None, [resize(33, 100, "nearest_tf1"), affine(1 / 255.0, -0.5)], None,
     "from tensorflow.compat import v1 as tf1; "
     "resized = tf1.image.resize_images(x, [33, 100], method=tf1.image.ResizeMethod.NEAREST_NEIGHBOR); "
     "scaled = resized / 255.0; return scaled - 0.5"),
    ("def_docstring_statements",
     "def preprocess(x):\n"
     "    \"\"\"Crop the sky and the bonnet, then centre the pixels.\"\"\"\n"
     "    y = x[:, 50:-20, :, :]\n"
     "    y = y / 255.0\n"
     "    return y - 0.5\n",
     None, [crop((50, -20), ALL), affine(1 / 255.0, -0.5)], None,
     "y = x[:, 50:-20, :, :]; y = y / 255.0; return y - 0.5"),
    ("def_defaults",
     "def standardize(x, scale=127.5, offset=1.0):\n"
     "    return x / scale - offset\n",
     None, [affine(1 / 127.5, -1.0)], None, "x / scale - offset"),
    ("def_closure_keywords",
     "def make(size, method):\n"
     "    def resize_fn(x):\n"
     "        import tensorflow as tf\n"
     "        out = tf.image.resize(x, size, method=method)\n"
     "        return out\n"
     "    return resize_fn\n",
     "make((66, 200), 'area')", [resize(66, 200, "area")], None,
     "import tensorflow as tf; out = tf.image.resize(x, size, method=method); return out"),
    ("def_import_numpy_math_alias",
     "def scale(x):\n"
     "    import numpy as np, math\n"
     "    from keras import backend as B\n"
     "    return B.identity(x)[:, 10:] * 2.0 - 1.0\n",
     None, [crop((10, None), ALL), affine(2.0, -1.0)], None,
     "import numpy as np; import math; from keras import backend as B; return B.identity(x)[:, 10:] * 2.0 - 1.0"),
    ("def_minmax_normalize",
     "def normalize(x):\n"
     "    from keras import backend as K\n"
     "    low = K.min(x)\n"
     "    high = K.max(x)\n"
     "    return (x - low) / (high - low)\n",
     None, [tensor("(x-min(x))/(max(x)-min(x))")], None,
     "from keras import backend as K; low = K.min(x); high = K.max(x); return (x - low) / (high - low)"),
    ("def_crop_resize_tf2_normalize",
     "def preprocess(image):\n"
     "    import tensorflow as tf\n"
     "    image = image[:, 40:-20, :, :]\n"
     "    image = tf.image.resize(image, (33, 100), method='bicubic')\n"
     "    return tf.image.per_image_standardization(image)\n",
     None, [crop((40, -20), ALL), resize(33, 100, "bicubic"),
            tensor("standardize(x)")],
     None, "import tensorflow as tf; image = image[:, 40:-20, :, :]; "
     "image = tf.image.resize(image, (33, 100), method='bicubic'); return tf.image.per_image_standardization(image)"),
    ("def_from_import_function",
     "def shrink(x):\n"
     "    from tensorflow.image import resize\n"
     "    return resize(x, (33, 100), method='area')\n",
     None, [resize(33, 100, "area")], None,
     "from tensorflow.image import resize; return resize(x, (33, 100), method='area')"),
    ("def_unpack_sizes",
     "def resize(x, size=(66, 200)):\n"
     "    import tensorflow as tf\n"
     "    height, width = size\n"
     "    top, bottom = 60, -25\n"
     "    return tf.image.resize_images(x[:, top:bottom], (height, width))\n",
     None, [crop((60, -25), ALL), resize(66, 200, "bilinear_tf1")], None,
     "import tensorflow as tf; height = size[0]; width = size[1]; top = 60; bottom = -25; "
     "return tf.image.resize_images(x[:, top:bottom], (height, width))"),
    ("def_error_unknown_cv2",
     "def to_yuv(x):\n"
     "    import cv2\n"
     "    return cv2.cvtColor(x, cv2.COLOR_RGB2YUV)\n",
     None, None, "`cv2.cvtColor` is not a function", "import cv2; return cv2.cvtColor(x, cv2.COLOR_RGB2YUV)"),
    ("def_error_no_return",
     "def nothing(x):\n"
     "    y = x / 255.0\n",
     None, None, "the constant None", "y = x / 255.0; return None"),
]

# Small-input versions of the bodies above for the TensorFlow parity models that
# generate_lambda_models.py builds around them (models/<case>/; each model uses one Python version).
MODEL_CASES = [
    ("model_normalize_area",
     "def Normalize(img):\n"
     "    img = K.tf.image.resize_images(img, (8, 10), method=K.tf.image.ResizeMethod.AREA)\n"
     "    return img / 127.5 - 1.0\n",
     None, [resize(8, 10, "area"), affine(1 / 127.5, -1.0)], None,
     "img = K.tf.image.resize_images(img, (8, 10), method=K.tf.image.ResizeMethod.AREA); return img / 127.5 - 1.0"),
    ("model_crop_import",
     "def crop(x):\n"
     "    import tensorflow as tf\n"
     "    return x[:, 3:-2, 1:15]\n",
     None, [crop((3, -2), (1, 15))], None, "import tensorflow as tf; return x[:, 3:-2, 1:15]"),
    ("model_resize_align_corners",
     "def resize(image):\n"
     "    from keras.backend import tf as ktf\n"
     "    image = ktf.image.resize_images(image, (9, 11), align_corners=True)\n"
     "    return image / 255.0 - 0.5\n",
     None, [resize(9, 11, "bilinear_tf1_align_corners"), affine(1 / 255.0, -0.5)], None,
     "from keras.backend import tf as ktf; image = ktf.image.resize_images(image, (9, 11), align_corners=True); "
     "return image / 255.0 - 0.5"),
    ("model_minmax",
     "def normalize(x):\n"
     "    from keras import backend as K\n"
     "    return (x - K.min(x)) / (K.max(x) - K.min(x))\n",
     None, [tensor("(x-min(x))/(max(x)-min(x))")], None,
     "from keras import backend as K; return (x - K.min(x)) / (K.max(x) - K.min(x))"),
    ("model_bicubic_standardize",
     "def preprocess(image):\n"
     "    import tensorflow as tf\n"
     "    image = image[:, 2:, :, :]\n"
     "    image = tf.image.resize(image, (7, 9), method='bicubic')\n"
     "    return tf.image.per_image_standardization(image)\n",
     None, [crop((2, None), ALL), resize(7, 9, "bicubic"),
            tensor("standardize(x)")],
     None, "import tensorflow as tf; image = image[:, 2:, :, :]; image = tf.image.resize(image, (7, 9), method='bicubic'); "
     "return tf.image.per_image_standardization(image)"),
    ("model_nearest_yuv",
     "def to_yuv(x):\n"
     "    import tensorflow.compat.v1 as tf\n"
     "    small = tf.image.resize_images(x, (10, 12), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)\n"
     "    return tf.image.rgb_to_yuv(small / 255.0)\n",
     None, [resize(10, 12, "nearest_tf1"),
            tensor("mix(x/255.0,3,[0.299,-0.14714119,0.61497538,0.587,-0.28886916,-0.51496512,0.114,0.43601035,-0.10001026])")],
     None, "from tensorflow.compat import v1 as tf; "
     "small = tf.image.resize_images(x, (10, 12), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR); "
     "return tf.image.rgb_to_yuv(small / 255.0)"),
    ("model_per_channel",
     "def center(x, mean=(123.68, 116.78, 103.94)):\n"
     "    import numpy as np\n"
     "    return (x - np.array(mean)) / 58.0\n",
     None, [tensor("(x-[123.68,116.78,103.94])/58.0")], None,
     "import numpy as np; return (x - np.array(mean)) / 58.0"),
    ("model_concat_expand",
     "def features(x):\n"
     "    from keras import backend as K\n"
     "    gray = K.expand_dims(K.mean(x, axis=-1), -1)\n"
     "    return K.concatenate([x / 255.0, gray / 255.0 - 0.5], axis=-1)\n",
     None, [tensor("concatenate(x/255.0,expand_dims(mean(x,axis=-1),axis=-1)/255.0-0.5,axis=-1)")], None,
     "from keras import backend as K; gray = K.expand_dims(K.mean(x, axis=-1), -1); "
     "return K.concatenate([x / 255.0, gray / 255.0 - 0.5], axis=-1)"),
    ("model_hsv",
     "def to_hsv(x):\n"
     "    import tensorflow as tf\n"
     "    hsv = tf.image.rgb_to_hsv(x / 255.0)\n"
     "    return hsv * 2.0 - 1.0\n",
     None, [tensor("rgb_to_hsv(x/255.0)"), affine(2.0, -1.0)], None,
     "import tensorflow as tf; hsv = tf.image.rgb_to_hsv(x / 255.0); return hsv * 2.0 - 1.0"),
    ("model_bgr_std_clip",
     "def bgr_standard(x):\n"
     "    from keras import backend as K\n"
     "    x = x[..., ::-1]\n"
     "    x = (x - K.mean(x)) / K.std(x)\n"
     "    return K.clip(x, -1.5, 1.5)\n",
     None, [tensor("reverse(x,axis=3)"), tensor("minimum(maximum((x-mean(x))/sqrt(mean(square(x-mean(x)))),-1.5),1.5)")],
     None, "from keras import backend as K; x = x[..., ::-1]; x = (x - K.mean(x)) / K.std(x); return K.clip(x, -1.5, 1.5)"),
    ("model_gray_tanh",
     "gray_tanh = lambda x: K.tanh(tf.image.rgb_to_grayscale(x) / 127.5 - 1.0)\n",
     None, [tensor("tanh(mix(x,3,[0.2989,0.587,0.114])/127.5-1.0)")], None,
     "K.tanh(tf.image.rgb_to_grayscale(x) / 127.5 - 1.0)"),
]
DEF_CASES += MODEL_CASES

# Cases also stored in the Keras 1 text form, per interpreter.
RAW_TEXT_CASES = {"affine_127_5", "resize_then_normalize", "crop_rows"}


def emit():
    """Runs inside one interpreter: compiles every case, prints a JSON list."""
    import opcode

    out = []
    version = "%d.%d.%d" % sys.version_info[:3]
    for name, source, operations, error, body, closure_argument in CASES:
        if closure_argument is None:
            function = eval(source)
        else:
            function = eval("lambda s: " + source)(closure_argument)
        out += keras_entries(name, source, function, operations, error, body, version)
    for name, source, factory, operations, error, body in DEF_CASES:
        namespace = {}
        exec(compile(source, "<string>", "exec"), namespace)
        if factory is None:
            function = [v for v in namespace.values() if callable(v)][-1]
        else:
            function = eval(factory, namespace)
        out += keras_entries(name, source, function, operations, error, body, version)
    if sys.version_info[:2] == (3, 6):
        out += python35_entries()
    caches = getattr(opcode, "_inline_cache_entries", None)
    if isinstance(caches, dict):  # 3.13: keyed by name
        cache_table = {k: v for k, v in caches.items() if v}
    elif caches is not None:
        cache_table = {opcode.opname[i]: n for i, n in enumerate(caches) if n and i < len(opcode.opname)}
    else:
        cache_table = {}
    json.dump({
        "python_version": version,
        "opcodes": {k: v for k, v in opcode.opmap.items() if v < 256},
        "cache_entries": cache_table,
        "cases": out,
    }, sys.stdout)


def keras_entries(name, source, function, operations, error, body, version, code=None):
    """The fixture entries of one function stored as Keras' func_dump stores it."""
    code = marshal.dumps(code or function.__code__)
    defaults = list(function.__defaults__) if function.__defaults__ else None
    closure = [c.cell_contents for c in function.__closure__] if function.__closure__ else None
    encodings = [("base64", base64.encodebytes(code).decode("ascii"))]
    if name in RAW_TEXT_CASES or name.startswith("def_") or name.startswith("model_"):
        encodings.append(("raw_unicode_escape", code.decode("raw_unicode_escape")))
    return [{
        "name": name,
        "python_version": version,
        "encoding": encoding,
        "lambda": source,
        "function": [text, defaults, closure],
        "expected_source": body,
        "expected_operations": operations,
        "expected_error": error,
    } for encoding, text in encodings]


def python35_code(code, opmap35):
    """Rewrites a Python 3.6 code object as the Python 3.5 compiler would have written it.

    Python 3.5 is not installable any more, so its bytecode is derived here, inside Python 3.6, whose
    code objects marshal in the same layout: 1-byte instructions, 3 bytes with a 16-bit argument from
    HAVE_ARGUMENT (90) on, opcode numbers from xdis' `opcode_35` table (passed in by name), and calls
    with keyword arguments as 3.5 makes them: the keyword NAME constant pushed before each value and
    CALL_FUNCTION argc = positional | keywords << 8 (3.6 pushes a tuple of names and uses
    CALL_FUNCTION_KW). Only straight-line code is rewritten (no jumps), which is all these cases hold.
    """
    import dis
    import types
    instructions = [i for i in dis.get_instructions(code) if i.opname != "EXTENDED_ARG"]
    depth = [0]
    for instruction in instructions:
        effect = dis.stack_effect(instruction.opcode, instruction.arg) if instruction.opcode >= dis.HAVE_ARGUMENT \
            else dis.stack_effect(instruction.opcode)
        depth.append(depth[-1] + effect)
    consts = list(code.co_consts)

    def const_index(value):
        for index, existing in enumerate(consts):
            if type(existing) is type(value) and existing == value:
                return index
        consts.append(value)
        return len(consts) - 1

    inserts = {}   # instruction index -> keyword-name constant indices to load before it
    dropped = set()
    replaced = {}
    for index, instruction in enumerate(instructions):
        if instruction.opname in ("JUMP_FORWARD", "JUMP_ABSOLUTE", "POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE"):
            raise ValueError("jumps are not rewritten")
        if instruction.opname != "CALL_FUNCTION_KW":
            continue
        names_load = instructions[index - 1]
        assert names_load.opname == "LOAD_CONST"
        names = code.co_consts[names_load.arg]
        count, keywords = instruction.arg, len(names)
        base = depth[index - 1] - count        # stack depth with the callable pushed
        for j in range(count - keywords, count):
            start = max(s for s in range(index - 1) if depth[s] <= base + j)
            inserts.setdefault(start, []).insert(0, const_index(names[j - (count - keywords)]))
        dropped.add(index - 1)
        replaced[index] = ("CALL_FUNCTION", (count - keywords) | keywords << 8)
    out = bytearray()

    def emit(opname, arg):
        op = opmap35[opname]
        if op >= 90:
            assert 0 <= arg < 65536
            out.extend([op, arg & 0xFF, arg >> 8])
        else:
            out.append(op)

    for index, instruction in enumerate(instructions):
        for constant in inserts.get(index, []):
            emit("LOAD_CONST", constant)
        if index in dropped:
            continue
        opname, arg = replaced.get(index, (instruction.opname, instruction.arg))
        emit(opname, arg or 0)
    return types.CodeType(code.co_argcount, code.co_kwonlyargcount, code.co_nlocals, code.co_stacksize + 2,
                          code.co_flags, bytes(out), tuple(consts), code.co_names, code.co_varnames,
                          code.co_filename, code.co_name, code.co_firstlineno, b"", code.co_freevars,
                          code.co_cellvars)


def python35_entries():
    """Every case again as Python 3.5 bytecode (see python35_code), labelled 3.5.0."""
    opmap35 = json.loads(os.environ["STEERLENS_OPMAP_35"])
    out = []
    for name, source, operations, error, body, closure_argument in CASES:
        if error and "cannot follow" in error:
            continue  # conditionals jump; 3.5 jumps are not rewritten
        function = eval(source) if closure_argument is None else eval("lambda s: " + source)(closure_argument)
        code = python35_code(function.__code__, opmap35)
        out += [dict(e, translated_from="3.6") for e in
                keras_entries(name, source, function, operations, error, body, "3.5.0", code)]
    for name, source, factory, operations, error, body in DEF_CASES:
        namespace = {}
        exec(compile(source, "<string>", "exec"), namespace)
        function = [v for v in namespace.values() if callable(v)][-1] if factory is None else eval(factory, namespace)
        code = python35_code(function.__code__, opmap35)
        out += [dict(e, translated_from="3.6") for e in
                keras_entries(name, source, function, operations, error, body, "3.5.0", code)]
    return out


def find_interpreters():
    found = {}
    for minor in range(6, 14):
        candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.%d.*/bin/python3" % minor)))
        candidates.append(shutil.which("python3.%d" % minor))
        for candidate in candidates:
            # pyenv shims exist for every version but only run the selected ones: try it.
            if candidate and subprocess.call([candidate, "-c", "pass"], stderr=subprocess.DEVNULL) == 0:
                found["3.%d" % minor] = candidate
                break
    return [found[k] for k in sorted(found, key=lambda v: int(v.split(".")[1]))]


def main():
    if sys.argv[1:] == ["--emit"]:
        emit()
        return
    interpreters = sys.argv[1:] or find_interpreters()
    if not interpreters:
        sys.exit("no python3.X interpreters found")
    from xdis.opcodes import opcode_35  # pip install xdis: the Python 3.5 opcode table
    opmap35 = {k: v for k, v in opcode_35.opmap.items() if v < 256}
    environment = dict(os.environ, STEERLENS_OPMAP_35=json.dumps(opmap35))
    versions = [{"python_version": "3.5.0", "opcodes": opmap35, "cache_entries": {},
                 "source": "xdis.opcodes.opcode_35 (3.5 cases are 3.6 code rewritten by python35_code)"}]
    cases = []
    for interpreter in interpreters:
        result = json.loads(subprocess.check_output([interpreter, os.path.abspath(__file__), "--emit"], env=environment))
        print("%s: %d cases" % (result["python_version"], len(result["cases"])), file=sys.stderr)
        versions.append({k: result[k] for k in ("python_version", "opcodes", "cache_entries")})
        cases += result["cases"]
    with open(OUTPUT, "w") as f:
        json.dump({"generator": "Tests/Fixtures/lambdas/generate_lambda_fixtures.py",
                   "interpreters": versions, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s (%d cases)" % (OUTPUT, len(cases)), file=sys.stderr)


if __name__ == "__main__":
    main()
