#!/usr/bin/env python3
"""Writes the Orbax fixtures of Tests/CheckpointsTests/Fixtures/orbax/ with the real libraries
(orbax-checkpoint 0.12.8, tensorstore 0.1.86, jax 0.10.2, numpy 2.4.6, ml_dtypes 0.7.0) and
expected.json: per step directory the arrays as the library held them (name = key path,
dtype in torch spelling, shape, little-endian C-order bytes as hex, values as float.hex())
and the scalar leaves (docs/formats.md §16).

* run/0, run/100, run/1000: PyTreeCheckpointer(use_ocdbt=False) steps (zarr v2 + zstd) of a
  Flax-style tree, a run for `batch` ordered by step;
* zarr3/1: use_ocdbt=False, use_zarr3=True (zarr v3, sharding_indexed + zstd);
* chunked/1: arrays rewritten by tensorstore with several chunks (v2 zlib with edge chunks,
  v3 shards of 2×2 inner chunks), to exercise chunk assembly;
* ocdbt/1: StandardCheckpointer default (OCDBT), refused with a conversion recipe;
* hostile/: a leaf naming a directory outside, a chunk shape that overflows, a zstd chunk
  that declares more than its chunk, a missing chunk.

Usage: python3 scripts/make_orbax_fixtures.py   (from the repository root)
"""
import json
import os
import shutil

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import orbax.checkpoint as ocp
import tensorstore as ts

OUT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "Tests", "CheckpointsTests", "Fixtures", "orbax"))
NAMES = {"float32": "float32", "float64": "float64", "float16": "float16", "bfloat16": "bfloat16",
         "int32": "int32", "int64": "int64", "bool": "bool", "uint8": "uint8"}


def entry(name, a):
    a = np.asarray(a)
    c = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a)
    return {"name": name, "dtype": NAMES[c.dtype.name], "shape": list(a.shape), "hex": c.tobytes().hex(),
            "values": [float(v).hex() for v in c.astype(np.float64).reshape(-1).tolist()]}


def flat(tree, prefix=()):
    """Leaves in jax's order: dict keys sorted, sequences by index."""
    if isinstance(tree, dict):
        for k in sorted(tree):
            yield from flat(tree[k], prefix + (str(k),))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from flat(v, prefix + (str(i),))
    else:
        yield prefix, tree


def expected_of(tree, step=None):
    tensors, metadata = [], []
    for keys, v in flat(tree):
        name = ".".join(keys)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            metadata.append([name, "int" if isinstance(v, int) else "double", v])
        else:
            tensors.append(entry(name, np.asarray(v)))
    if step is not None and not any(m[0] == "step" for m in metadata):
        metadata.append(["step", "int", step])
    return {"format": "orbax", "tensors": tensors, "metadata": metadata}


def tree_at(step, p=7, m=12):
    rng = np.random.default_rng(step)
    return {"params": {"embed_a": {"embedding": jnp.asarray(rng.standard_normal((p, m)), dtype=jnp.float32)},
                       "embed_b": {"embedding": jnp.asarray(rng.standard_normal((p, m)), dtype=jnp.float32)},
                       "out": {"kernel": jnp.asarray(rng.standard_normal((m, p)), dtype=jnp.float32)}},
            "extra": {"bf16": jnp.asarray([1.5, -2.0, 0.125], dtype=jnp.bfloat16),
                      "f64": np.linspace(0, 1, 5), "mask": np.array([True, False, True]),
                      "count": np.arange(4, dtype=np.int32)},
            "lr": 0.05}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    expected = {}
    pytree = ocp.PyTreeCheckpointer(use_ocdbt=False)
    for step in (0, 100, 1000):
        t = tree_at(step)
        pytree.save(os.path.join(OUT, "run", str(step)), t)
        expected[f"run/{step}"] = expected_of(t, step)
    t = tree_at(5)
    ocp.PyTreeCheckpointer(use_ocdbt=False, use_zarr3=True).save(os.path.join(OUT, "zarr3", "1"), t)
    expected["zarr3/1"] = expected_of(t, 1)
    ocp.StandardCheckpointer().save(os.path.join(OUT, "ocdbt", "1"), t)

    # Several chunks per array, written by tensorstore over what orbax saved.
    w = np.arange(5 * 7, dtype=np.float32).reshape(5, 7) / 8
    v = np.arange(8 * 6, dtype=np.int32).reshape(8, 6) - 20
    c = {"w": w, "v": v}
    pytree.save(os.path.join(OUT, "chunked", "1"), c)
    d = os.path.join(OUT, "chunked", "1")
    shutil.rmtree(os.path.join(d, "w"))
    ts.open({"driver": "zarr", "kvstore": {"driver": "file", "path": os.path.join(d, "w")},
             "metadata": {"shape": [5, 7], "chunks": [2, 3], "dtype": "<f4", "compressor": {"id": "zlib", "level": 5}}},
            create=True).result().write(w).result()
    shutil.rmtree(os.path.join(d, "v"))
    ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": os.path.join(d, "v")},
             "metadata": {"shape": [8, 6], "data_type": "int32",
                          "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 6]}},
                          "codecs": [{"name": "sharding_indexed", "configuration": {
                              "chunk_shape": [2, 3], "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                                                {"name": "zstd", "configuration": {"level": 3}}],
                              "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]}},
            create=True).result().write(v).result()
    expected["chunked/1"] = expected_of(c, 1)

    # Hostile variants, each a copy of run/0 with one thing wrong.
    h = os.path.join(OUT, "hostile")
    def copy(name):
        dst = os.path.join(h, name)
        shutil.copytree(os.path.join(OUT, "run", "0"), dst)
        return dst
    dst = copy("outside")
    meta = json.load(open(os.path.join(dst, "_METADATA")))
    leaf = meta["tree_metadata"].pop("('lr',)")
    leaf["key_metadata"] = [{"key": "..", "key_type": 2}, {"key": "..", "key_type": 2}, {"key": "secret", "key_type": 2}]
    meta["tree_metadata"]["('..', '..', 'secret')"] = leaf
    json.dump(meta, open(os.path.join(dst, "_METADATA"), "w"))
    dst = copy("overflow")
    za = os.path.join(dst, "params.out.kernel", ".zarray")
    z = json.load(open(za)); z["shape"] = [2**40, 2**40]; z["chunks"] = [2**40, 2**40]
    json.dump(z, open(za, "w"))
    dst = copy("bomb")
    za = os.path.join(dst, "params.out.kernel", ".zarray")
    z = json.load(open(za)); z["shape"] = [3, 4]; z["chunks"] = [3, 4]  # the stored chunk holds 12×7 floats
    json.dump(z, open(za, "w"))
    dst = copy("missing")
    os.remove(os.path.join(dst, "params.out.kernel", "0.0"))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
