#!/usr/bin/env python3
"""Writes lambdas.json: Keras-style Lambda `function` values made by real CPython interpreters.

Each case is a lambda written the way steering-model code writes them; every available CPython
(3.6 ... 3.13) compiles it and stores it as Keras would:
  - base64 of marshal.dumps(code)            (Keras >= 2.1.2, tf.keras; `func_dump`)
  - marshal bytes decoded as raw_unicode_escape (Keras 1.x - 2.1.1), for a few cases per version
with the expected SteerLens operations (or the expected error) and the expected decompiled text.
The file also records each interpreter's opcode numbers and inline-cache sizes, so the Swift
tables can be checked against the real `opcode` module.

No TensorFlow or Keras is needed: the lambdas are only compiled, never called. Python 3.5 is not
generally installable any more; its bytes are hand-assembled in the Swift tests instead.

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
    ("error_square", "lambda x: x * x", None, "multiplies the input by itself", "x * x", None),
    ("error_unknown_function", "lambda x: K.tanh(x) * 3", None, "`K.tanh` is not a function", "K.tanh(x) * 3", None),
    ("error_backend_resize", "lambda x: K.resize_images(x, 2, 2, 'channels_last')", None,
     "`K.resize_images` is not a function", "K.resize_images(x, 2, 2, 'channels_last')", None),
    ("error_channel_flip", "lambda x: x[..., ::-1]", None, "step", "x[..., ::-1]", None),
    ("error_conditional", "lambda x: x if x is not None else 0", None, "cannot follow", None, None),
]

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
        code = marshal.dumps(function.__code__)
        defaults = list(function.__defaults__) if function.__defaults__ else None
        closure = [c.cell_contents for c in function.__closure__] if function.__closure__ else None
        encodings = [("base64", base64.encodebytes(code).decode("ascii"))]
        if name in RAW_TEXT_CASES:
            encodings.append(("raw_unicode_escape", code.decode("raw_unicode_escape")))
        for encoding, text in encodings:
            out.append({
                "name": name,
                "python_version": version,
                "encoding": encoding,
                "lambda": source,
                "function": [text, defaults, closure],
                "expected_source": body,
                "expected_operations": operations,
                "expected_error": error,
            })
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
    versions = []
    cases = []
    for interpreter in interpreters:
        result = json.loads(subprocess.check_output([interpreter, os.path.abspath(__file__), "--emit"]))
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
