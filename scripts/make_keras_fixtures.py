#!/usr/bin/env python3
"""Writes the Keras fixtures of Tests/CheckpointsTests/Fixtures/keras/ with the real library
(keras 3.15.1 on the jax 0.10.2 backend, h5py 3.16.0, numpy 2.4.6) and expected.json: per
file the variables as Keras holds them (name by the rules of docs/formats.md §15, dtype in
torch spelling, shape, little-endian C-order bytes as hex, values as float.hex()).

The paper's network as a Keras user writes it: two Embedding(p, m) layers, their sum
squared (Multiply), Dense(p, use_bias=False); trained on C7 (a + b mod 7). A second model
holds other layer kinds and dtypes. Hostile HDF5 files (huge declared datasets, a weight
list naming a missing dataset) are written with h5py.

Usage: KERAS_BACKEND=jax python3 scripts/make_keras_fixtures.py   (from the repository root)

crash_global_heap.weights.h5 is not written here: it is the input fuzz-KerasHDF5 (Fuzz/) found on
2026-12-02, a mutation of mixed.weights.h5 whose variable-length string attribute points to a
global-heap object claiming 2^40 bytes; libhdf5 1.10.8 copies them (H5HG_read) and the process
dies with SIGSEGV. IrrepScope reads HDF5 in a child process, so that is an error (the CLI test
testAFileThatCrashesLibhdf5IsAnError).
"""
import json
import os
import re
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py
import keras
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "CheckpointsTests", "Fixtures", "keras")
NAMES = {"float32": "float32", "float16": "float16", "float64": "float64", "int64": "int64", "int32": "int32"}


def entry(name, a):
    a = np.asarray(a)
    c = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
    return {"name": name, "dtype": NAMES[c.dtype.name], "shape": list(a.shape), "hex": c.tobytes().hex(),
            "values": [float(v).hex() for v in c.astype(np.float64).reshape(-1).tolist()]}


def natural(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


VARIABLE_NAMES = {"Dense": lambda c: ["kernel", "bias"] if c.get("use_bias", True) else ["kernel"],
                  "Embedding": lambda c: ["embeddings"],
                  "LayerNormalization": lambda c: (["gamma"] if c.get("scale", True) else []) + (["beta"] if c.get("center", True) else []),
                  "BatchNormalization": lambda c: ["gamma", "beta", "moving_mean", "moving_variance"]}


def expected_keras3(model, h5, with_config):
    """Walks `layers/<path>/vars/<i>` in name order, as docs/formats.md §15 says."""
    by_name = {l.name: l for l in model.layers}
    out = []

    def visit(g, path):
        for k in sorted(g.keys(), key=natural):
            if isinstance(g[k], h5py.Group) and k != "vars":
                visit(g[k], path + [k])
        if "vars" in g and len(g["vars"].keys()):
            layer_name = g["vars"].attrs.get("name")
            layer = by_name[layer_name]
            weights = layer.get_weights()
            names = [str(i) for i in range(len(weights))]
            if with_config and type(layer).__name__ in VARIABLE_NAMES:
                names = VARIABLE_NAMES[type(layer).__name__](layer.get_config())
            for i in sorted(g["vars"].keys(), key=natural):
                np.testing.assert_array_equal(g["vars"][i][()], weights[int(i)])
                out.append(entry(layer_name + "." + names[int(i)], weights[int(i)]))

    visit(h5["layers"], [])
    if "optimizer" in h5:  # the optimizer's variables (iterations, learning rate, moments), by index
        variables = model.optimizer.variables
        for i in sorted(h5["optimizer/vars"].keys(), key=natural):
            np.testing.assert_array_equal(h5["optimizer/vars"][i][()], np.asarray(variables[int(i)]))
            out.append(entry("optimizer." + i, np.asarray(variables[int(i)])))
    return out


def expected_legacy(model):
    out = []
    for layer in model.layers:
        for v, w in zip(layer.weights, layer.get_weights()):
            out.append(entry(layer.name + "." + v.path.split("/")[-1], w))
    return out


def save_all(expected, model, stem):
    model.save(os.path.join(OUT, stem + ".keras"))
    model.save_weights(os.path.join(OUT, stem + ".weights.h5"))
    with h5py.File(os.path.join(OUT, stem + ".weights.h5")) as h5:
        expected[stem + ".weights.h5"] = {"format": "keras-h5", "tensors": expected_keras3(model, h5, False)}
    import zipfile
    with zipfile.ZipFile(os.path.join(OUT, stem + ".keras")) as z:
        z.extract("model.weights.h5", "/tmp/keras-fixture")
    with h5py.File("/tmp/keras-fixture/model.weights.h5") as h5:
        expected[stem + ".keras"] = {"format": "keras", "tensors": expected_keras3(model, h5, True)}
    model.save(os.path.join(OUT, stem + ".h5"))
    expected[stem + ".h5"] = {"format": "keras-h5", "tensors": expected_legacy(model)}


def paper_model(p=7, m=12):
    a, b = keras.Input((), dtype="int32", name="a"), keras.Input((), dtype="int32", name="b")
    h = keras.layers.Add()([keras.layers.Embedding(p, m, name="embed_a")(a), keras.layers.Embedding(p, m, name="embed_b")(b)])
    out = keras.layers.Dense(p, use_bias=False, name="out")(keras.layers.Multiply()([h, h]))
    model = keras.Model([a, b], out)
    x, y = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    x, y = x.reshape(-1).astype("int32"), y.reshape(-1).astype("int32")
    keras.utils.set_random_seed(18)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit([x, y], (x + y) % p, epochs=300, batch_size=49, verbose=0)
    print(f"keras trainer: accuracy {hist.history['accuracy'][-1]:.3f}", file=sys.stderr)
    return model


def mixed_model():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, name="hidden"),
                              keras.layers.LayerNormalization(name="norm"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dense(3, name="half", dtype="float16")])
    model(np.ones((2, 4), dtype="float32"))
    return model


def hostile():
    # A contiguous dataset declaring 2^40 float32 elements with no data written.
    with h5py.File(os.path.join(OUT, "huge_declared.weights.h5"), "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(1 << 20, 1 << 20), dtype="float32")
        f["layers/dense/vars"].attrs["name"] = "dense"
    # A chunked, compressed one: nothing stored, 2^36 bytes declared.
    with h5py.File(os.path.join(OUT, "huge_chunked.weights.h5"), "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(1 << 34,), dtype="float32", chunks=(1 << 16,), compression="gzip")
        f["layers/dense/vars"].attrs["name"] = "dense"
    # A legacy file whose weight list names a dataset outside its layer group.
    with h5py.File(os.path.join(OUT, "bad_weight_names.h5"), "w") as f:
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [b"dense"]
        d = g.create_group("dense")
        d.attrs["weight_names"] = [b"../../secret"]
        f.create_dataset("secret", data=np.ones(2, dtype="float32"))
    cycle()


def cycle():
    # A hard link from a layer's vars group back to the group above it: the group walk would
    # never end (the fuzzer found the like of it: a link with an empty name to its own group).
    with h5py.File(os.path.join(OUT, "cycle.weights.h5"), "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.ones((2, 2), dtype="float32"))
        f["layers/dense/vars"].attrs["name"] = "dense"
        f["layers/dense/vars/back"] = f["layers/dense"]


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    save_all(expected, paper_model(), "paper")
    save_all(expected, mixed_model(), "mixed")
    hostile()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
