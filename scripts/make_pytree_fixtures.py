#!/usr/bin/env python3
"""Writes the pickled-pytree fixtures of Tests/CheckpointsTests/Fixtures/pytrees/ with the
real libraries, and expected.json: per file the arrays as the library holds them (name,
dtype in torch spelling, shape, little-endian C-order bytes as hex, values as float.hex()),
the scalar leaves and the opaque objects, key paths as docs/formats.md §8 describes them.

Written with numpy 2.4.6, jax/jaxlib 0.10.2, flax 0.12.8, optax 0.2.8, ml_dtypes 0.7.0,
joblib 1.6.0 on CPython 3.11 (pip install "jax[cpu]" flax optax ml_dtypes joblib).

Usage: python3 scripts/make_pytree_fixtures.py   (from the repository root)
"""
import collections
import json
import os
import pickle
import sys

import numpy as np
import ml_dtypes

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "CheckpointsTests", "Fixtures", "pytrees")

TORCH_NAMES = {"float32": "float32", "float64": "float64", "float16": "float16", "bfloat16": "bfloat16",
               "float8_e4m3fn": "float8_e4m3fn", "int8": "int8", "int16": "int16", "int32": "int32",
               "int64": "int64", "uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
               "bool": "bool"}


def array_entry(name, a):
    a = np.asarray(a)
    le = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
    c = np.ascontiguousarray(le)
    return {"name": name, "dtype": TORCH_NAMES[c.dtype.name], "shape": list(a.shape),
            "hex": c.tobytes().hex(),
            "values": [float(v).hex() for v in c.astype(np.float64).reshape(-1).tolist()]}


class Walker:
    """The key-path rules of docs/formats.md §8, written from the docs (not from the Swift)."""

    def __init__(self):
        self.tensors, self.metadata, self.opaque = [], [], []

    def walk(self, o, key, scalars=True):
        import jax
        from flax.core import FrozenDict
        join = lambda a, b: b if not a else a if not b else a + "." + b
        if isinstance(o, (np.ndarray, jax.Array)):
            self.tensors.append(array_entry(key, np.asarray(o)))
        elif isinstance(o, np.generic):
            if scalars:
                if isinstance(o, np.bool_):
                    self.metadata.append([key, "bool", bool(o)])
                elif isinstance(o, np.integer):
                    self.metadata.append([key, "int", int(o)])
                else:
                    self.metadata.append([key, "double", float(o)])
        elif isinstance(o, FrozenDict):
            for k, v in o._dict.items():
                self.walk(v, join(key, str(k)), scalars)
        elif isinstance(o, tuple) and hasattr(o, "_fields"):  # a named tuple: opaque, fields by position
            self.opaque.append({"key": key, "global": type(o).__module__ + "." + type(o).__qualname__})
            for i, v in enumerate(o):
                self.walk(v, join(key, str(i)), False)
        elif isinstance(o, dict):
            for k, v in o.items():
                self.walk(v, join(key, str(k)), scalars)
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                self.walk(v, join(key, str(i)), scalars)
        elif isinstance(o, bool):
            scalars and self.metadata.append([key, "bool", o])
        elif isinstance(o, int):
            scalars and self.metadata.append([key, "int", o])
        elif isinstance(o, float):
            scalars and self.metadata.append([key, "double", o])
        elif isinstance(o, str):
            scalars and self.metadata.append([key, "string", o])
        elif o is None:
            scalars and self.metadata.append([key, "null", None])
        else:
            raise TypeError(f"{key}: {type(o)}")


def record(expected, fname, tree, protocol):
    with open(os.path.join(OUT, fname), "wb") as f:
        pickle.dump(tree, f, protocol=protocol)
    w = Walker()
    w.walk(tree, "")
    expected[fname] = {"format": "pickle", "tensors": w.tensors, "metadata": w.metadata, "opaque": w.opaque}


def numpy_tree():
    rng = np.random.default_rng(18)
    return {
        "params": {
            "embed": {"embedding": rng.standard_normal((5, 3)).astype(np.float32)},
            "dense": {"kernel": np.asfortranarray(rng.standard_normal((3, 4))),
                      "bias": np.array([0.5, -1.25, 3.0, 65504.0], dtype=np.float16)},
        },
        "bf16": np.array([[1.0, -2.5, 3.140625], [0.0, 100.0, -7.0]], dtype=ml_dtypes.bfloat16),
        "f8": np.array([0.0, 1.0, -2.5, 448.0], dtype=ml_dtypes.float8_e4m3fn),
        "ints": {"i8": np.array([-128, 0, 127], dtype=np.int8),
                 "i32": np.arange(-2, 2, dtype=np.int32).reshape(2, 2),
                 "i64": np.array([2**40, -(2**40), 3], dtype=np.int64),
                 "u8": np.array([0, 200, 255], dtype=np.uint8)},
        "mask": np.array([True, False, True, True, False]),
        "big_endian": (np.arange(6).reshape(2, 3) / 4).astype(">f4"),
        "big_int": np.array([1, -2, 70000], dtype=">i4"),
        "fortran_bool": np.asfortranarray(np.array([[True, False, False], [False, True, True]])),
        "zero_d": np.array(3.5),
        "step": np.int64(7),
        "lr": np.float32(0.25),
        "epoch": 3,
        "name": "run-18",
        "layers": [np.array([1.0, 2.0], dtype=np.float32), np.array([3.0, 4.0], dtype=np.float32)],
        "pair": (np.array([9.0], dtype=np.float32), None),
    }


def jax_tree():
    import jax
    import jax.numpy as jnp
    import flax.linen as nn
    import optax
    from flax.core import FrozenDict

    class Net(nn.Module):
        """The paper's network: two embeddings, x² activation, unembedding."""
        p: int
        m: int

        @nn.compact
        def __call__(self, a, b):
            h = nn.Embed(self.p, self.m, name="embed_a")(a) + nn.Embed(self.p, self.m, name="embed_b")(b)
            return nn.Dense(self.p, use_bias=False, name="out")(h ** 2)

    p, m = 7, 12
    net = Net(p, m)
    a, b = jnp.meshgrid(jnp.arange(p), jnp.arange(p), indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    y = (a + b) % p
    params = net.init(jax.random.PRNGKey(0), a, b)
    tx = optax.adam(0.05)
    opt_state = tx.init(params)

    def loss(params):
        logits = net.apply(params, a, b)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def step(params, opt_state):
        l, g = jax.value_and_grad(loss)(params)
        u, opt_state = tx.update(g, opt_state)
        return optax.apply_updates(params, u), opt_state, l

    for _ in range(300):
        params, opt_state, l = step(params, opt_state)
    acc = float((net.apply(params, a, b).argmax(-1) == y).mean())
    print(f"jax trainer: loss {float(l):.4f}, accuracy {acc:.3f}", file=sys.stderr)
    return params, opt_state, {"extra": {"bf16": jnp.array([1.5, -0.25], dtype=jnp.bfloat16),
                                         "frozen": FrozenDict({"w": jnp.ones((2, 2), dtype=jnp.float16)}),
                                         "count": jnp.array(5, dtype=jnp.int32)}}


class Evil:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/irrepscope-pytree-pwned",))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    tree = numpy_tree()
    record(expected, "numpy_p2.pkl", tree, 2)
    record(expected, "numpy_p4.pkl", tree, 4)
    record(expected, "numpy_p5.pkl", tree, 5)
    params, opt_state, extra = jax_tree()
    record(expected, "flax_params.pkl", params, 4)
    record(expected, "train_state.pickle", {"params": params, "opt_state": opt_state, "step": 300, **extra}, 4)

    # Hostile: a pytree with an object whose unpickling would call os.system.
    with open(os.path.join(OUT, "hostile_pytree.pkl"), "wb") as f:
        pickle.dump({"params": {"w": np.array([1.0, 2.0], dtype=np.float32)}, "evil": Evil()}, f, protocol=4)
    expected["hostile_pytree.pkl"] = {
        "format": "pickle", "tensors": [array_entry("params.w", np.array([1.0, 2.0], dtype=np.float32))],
        "metadata": [], "opaque": [{"key": "evil", "global": "posix.system"}]}

    # joblib: documented as unsupported (the array bytes sit between pickle opcodes).
    import joblib
    joblib.dump({"w": np.arange(3, dtype=np.float32)}, os.path.join(OUT, "arrays.joblib"))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
