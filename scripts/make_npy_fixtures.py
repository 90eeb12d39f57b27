#!/usr/bin/env python3
"""Writes the .npy test fixtures with NumPy itself, plus expected.json holding each array's
dtype, shape and values (C order) so the Swift tests compare every element with what numpy wrote.

Run from the repository root:  python3 scripts/make_npy_fixtures.py
"""
import json
import os

import numpy as np

out = os.path.join("Tests", "CheckpointsTests", "Fixtures", "npy")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261129)
expected = {}


def save(name, arr, version=None, torch_dtype=None):
    path = os.path.join(out, name + ".npy")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)
    vals = np.asarray(arr).ravel(order="C")
    if vals.dtype == np.bool_:
        vals = vals.astype(np.float64)
    expected[name] = {
        "dtype": torch_dtype,
        "shape": list(arr.shape),
        "values": [float(v) for v in vals.astype(np.float64)],
    }


w = rng.standard_normal((6, 11))
save("f4_c", w.astype("<f4"), torch_dtype="float32")
save("f8_big", w.astype(">f8"), torch_dtype="float64")
save("f4_big", w.astype(">f4"), torch_dtype="float32")
save("f2", w.astype("<f2"), torch_dtype="float16")
save("f4_fortran", np.asfortranarray(w.astype("<f4")), torch_dtype="float32")
save("i8", rng.integers(-2**40, 2**40, size=(3, 4)).astype("<i8"), torch_dtype="int64")
save("i2_big", rng.integers(-30000, 30000, size=(5,)).astype(">i2"), torch_dtype="int16")
save("u1", rng.integers(0, 255, size=(2, 3, 4)).astype("u1"), torch_dtype="uint8")
save("b1", rng.integers(0, 2, size=(7,)).astype(bool), torch_dtype="bool")
save("scalar", np.array(3.5, dtype="<f8"), torch_dtype="float64")
save("empty", np.zeros((0, 5), dtype="<f4"), torch_dtype="float32")
save("v2", w[:2].astype("<f4"), version=(2, 0), torch_dtype="float32")
save("v3", w[:3].astype("<f4"), version=(3, 0), torch_dtype="float32")

# Arrays the reader must refuse with a clear message.
with open(os.path.join(out, "object.npy"), "wb") as f:
    np.lib.format.write_array(f, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
with open(os.path.join(out, "structured.npy"), "wb") as f:
    np.lib.format.write_array(f, np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    buf = open(os.path.join(out, "f4_c.npy"), "rb").read()
    f.write(buf[: len(buf) - 9])

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump({"numpy": np.__version__, "arrays": expected}, f, indent=1)
print("wrote", len(expected), "arrays with numpy", np.__version__)
