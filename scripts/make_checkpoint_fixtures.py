#!/usr/bin/env python3
"""Writes the checkpoint fixtures of Tests/CheckpointsTests/Fixtures with the real libraries.

    pip install torch safetensors flax msgpack numpy
    python3 scripts/make_checkpoint_fixtures.py

Every fixture is written by the library that owns the format (torch.save, torch.jit.save,
numpy.save/savez/savez_compressed, safetensors.numpy.save_file, flax.serialization.to_bytes);
the only hand-made files are the big-endian torch archive (torch cannot write one on a
little-endian machine: we rewrite a real archive's `byteorder` and byte-swap its storage)
and a flax file whose arrays are split into chunks (real flax code, with MAX_CHUNK_SIZE
lowered so that small arrays are chunked).

`expected.json` records, per file: the format, every tensor (name in key-path form, dtype
in torch spelling, shape, and the exact little-endian bytes of its values in C order as
hex), and, where given, the metadata (key path, type, value) and the opaque objects. The
Swift tests compare every byte.
"""
import argparse, collections, io, json, os, pickle, shutil, struct, sys, zipfile
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CheckpointsTests", "Fixtures")
expected = collections.OrderedDict()
torch.manual_seed(0)
np.random.seed(0)


def tensor_hex(t):
    t = t.detach().contiguous().reshape(-1)
    if t.numel() == 0:
        return ""
    return t.view(torch.uint8).numpy().tobytes().hex()


class Opaque:
    def __init__(self, global_name, state):
        self.global_name, self.state = global_name, state


def walk(obj, path, tensors, metadata, opaque, seen_storage_names=None):
    """The key-path rules of the Swift reader, applied to the live Python objects."""
    if isinstance(obj, torch.Tensor):
        tensors.append((path, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            walk(v, f"{path}.{k}" if path else str(k), tensors, metadata, opaque)
    elif isinstance(obj, (set, frozenset)):
        for i, v in enumerate(obj):
            walk(v, f"{path}.{i}" if path else str(i), tensors, metadata, opaque)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            walk(v, f"{path}.{i}" if path else str(i), tensors, metadata, opaque)
    elif isinstance(obj, argparse.Namespace):
        opaque.append({"key": path, "global": "argparse.Namespace"})
        walk(vars(obj), path, tensors, metadata, opaque)
    elif isinstance(obj, np.ndarray):
        tensors.append((path, torch.from_numpy(np.ascontiguousarray(obj).astype(obj.dtype.newbyteorder("<")))))
    elif isinstance(obj, np.bool_):
        metadata.append([path, "bool", bool(obj)])
    elif isinstance(obj, np.integer):
        metadata.append([path, "int", int(obj)])
    elif isinstance(obj, np.floating):
        metadata.append([path, "double", float(obj)])
    elif isinstance(obj, bool):
        metadata.append([path, "bool", obj])
    elif isinstance(obj, int):
        if -2**63 <= obj < 2**63:
            metadata.append([path, "int", obj])
        else:
            metadata.append([path, "bigint", str(obj)])
    elif isinstance(obj, float):
        metadata.append([path, "double", obj])
    elif isinstance(obj, str):
        metadata.append([path, "string", obj])
    elif obj is None:
        metadata.append([path, "null", None])
    elif isinstance(obj, bytes):
        metadata.append([path, "bytes", len(obj)])
    else:
        raise TypeError(f"no rule for {type(obj)} at {path}")


def record(fname, fmt, obj=None, tensors=None, metadata=None, opaque=None, check_metadata=True, root_name=None):
    if obj is not None:
        tensors, metadata, opaque = [], [], []
        if isinstance(obj, torch.Tensor):
            tensors.append((root_name, obj))
        else:
            walk(obj, "", tensors, metadata, opaque)
    entry = collections.OrderedDict(format=fmt)
    entry["tensors"] = [
        {"name": n, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "hex": tensor_hex(t),
         "values": None if t.dtype.is_complex else [v.hex() for v in t.detach().double().reshape(-1).tolist()]}
        for n, t in tensors
    ]
    if check_metadata:
        entry["metadata"] = metadata or []
        entry["opaque"] = opaque or []
    expected[fname] = entry


def path(name):
    return os.path.join(OUT, name)


class MLP(torch.nn.Module):
    def __init__(self, p=5, d=4, m=6):
        super().__init__()
        self.embed = torch.nn.Embedding(p, d)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(d, m), torch.nn.ReLU(), torch.nn.Linear(m, p))

    def forward(self, x):
        return self.mlp(self.embed(x))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)

    # 1. A plain state_dict (OrderedDict with _metadata, pickle protocol 2).
    model = MLP()
    sd = model.state_dict()
    torch.save(sd, path("state_dict.pt"))
    record("state_dict.pt", "torch-zip", sd)

    # 2. The same with pickle protocol 4.
    torch.save(sd, path("protocol4.pt"), pickle_protocol=4)
    record("protocol4.pt", "torch-zip", sd)

    # 3. A full training checkpoint: model, Adam state after two steps, scalars, argparse.
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        loss = model(torch.tensor([0, 1, 2])).sum()
        opt.zero_grad(); loss.backward(); opt.step()
    ckpt = {
        "model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7, "step": 2**40,
        "loss": 0.25, "name": "run1", "done": False, "note": None,
        "args": argparse.Namespace(lr=0.01, p=5, tag="grok"),
        "best_acc": np.float64(0.875), "np_step": np.int64(12), "np_flag": np.bool_(True),
        "val_curve": np.array([[0.5, 0.25], [0.125, 1.0]], dtype=np.float32),
        "perm": np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
    }
    torch.save(ckpt, path("training.pt"))
    record("training.pt", "torch-zip", ckpt)

    # 4. A list of checkpoints every N epochs.
    snaps = []
    for e in range(3):
        with torch.no_grad():
            for prm in model.parameters():
                prm.add_(0.5)
        snaps.append({k: v.clone() for k, v in model.state_dict().items()})
    lst = {"checkpoints": snaps, "epochs": [0, 10, 20]}
    torch.save(lst, path("checkpoint_list.pt"))
    record("checkpoint_list.pt", "torch-zip", lst)

    # 5. Every dtype torch writes for weights.
    base = torch.tensor([[0.0, 1.0, -2.5, 3.25], [0.5, -0.125, 100.0, -7.0]])
    dts = collections.OrderedDict()
    for dt in [torch.float16, torch.float32, torch.float64, torch.bfloat16, torch.float8_e4m3fn,
               torch.float8_e5m2, torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
               torch.uint16, torch.uint32, torch.uint64, torch.bool, torch.complex64, torch.complex128]:
        name = str(dt).replace("torch.", "")
        if dt in (torch.uint8, torch.uint16, torch.uint32, torch.uint64):
            dts[name] = (base.abs() * 3).to(dt)
        elif dt.is_complex:
            dts[name] = torch.complex(base, -base).to(dt)
        else:
            dts[name] = base.to(dt)
    dts["int64_big"] = torch.tensor([2**62, -2**62, 3], dtype=torch.int64)
    dts["scalar"] = torch.tensor(3.5)
    dts["empty"] = torch.zeros(0, 3)
    torch.save(dts, path("dtypes.pt"))
    record("dtypes.pt", "torch-zip", dts)

    # 6. Views sharing one storage: transpose, slice, tied weights, broadcast.
    w = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict(
        base=w, transposed=w.t(), sliced=w[1:3, 2:5], tied=w, column=w[:, 3], stepped=w[::2, ::3],
        broadcast=torch.ones(3).expand(4, 3),
    )
    torch.save(views, path("views.pt"))
    record("views.pt", "torch-zip", views)

    # 7. A Parameter saved directly (root object; named after the file).
    prm = torch.nn.Parameter(torch.linspace(-1, 1, 7))
    torch.save(prm, path("parameter.pt"))
    record("parameter.pt", "torch-zip", prm, root_name="parameter")

    # 7b. A whole pickled nn.Module (torch.save(model)): an opaque object whose tensors get
    # their state_dict names.
    whole = MLP()
    torch.save(whole, path("module.pt"))
    record("module.pt", "torch-zip", tensors=list(whole.state_dict().items()), check_metadata=False)

    # 8. The legacy (pre-1.6) format.
    legacy = {"model": sd, "views": {"t": w.t(), "s": w[1:3, 2:5]}, "epoch": 3}
    torch.save(legacy, path("legacy.pt"), _use_new_zipfile_serialization=False)
    record("legacy.pt", "torch-legacy", legacy)

    # 9. TorchScript: tensors of the module (code ignored).
    scripted = torch.jit.script(MLP())
    scripted.save(path("scripted.pt"))
    record("scripted.pt", "torchscript", tensors=list(scripted.state_dict().items()), check_metadata=False)

    # 10. A big-endian torch archive (rewritten from a real one).
    be_src = {"w": torch.tensor([1.0, -2.0, 3.5], dtype=torch.float32), "i": torch.tensor([1, 256], dtype=torch.int16)}
    buf = io.BytesIO(); torch.save(be_src, buf); buf.seek(0)
    zin = zipfile.ZipFile(buf)
    with zipfile.ZipFile(path("big_endian.pt"), "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif info.filename.endswith("/data/0"):
                data = np.frombuffer(data, dtype="<f4").astype(">f4").tobytes()
            elif info.filename.endswith("/data/1"):
                data = np.frombuffer(data, dtype="<i2").astype(">i2").tobytes()
            zout.writestr(info.filename, data)
    record("big_endian.pt", "torch-zip", be_src)

    # 11. Hostile: a pickle that would run os.system if loaded with pickle.
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/irrepscope-pwned",))
    evil = {"w": torch.tensor([1.0, 2.0]), "evil": Evil()}
    torch.save(evil, path("hostile.pt"))
    record("hostile.pt", "torch-zip", tensors=[("w", evil["w"])],
           metadata=[], opaque=[{"key": "evil", "global": "posix.system"}])

    # 12. NumPy: big-endian, Fortran order, .npz stored and compressed.
    a = np.arange(12, dtype=">f4").reshape(3, 4) / 4
    np.save(path("big_endian.npy"), a)
    record("big_endian.npy", "npy", tensors=[("big_endian", torch.from_numpy(a.astype("<f4")))], check_metadata=False)
    f = np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3))
    np.save(path("fortran.npy"), f)
    record("fortran.npy", "npy", tensors=[("fortran", torch.from_numpy(np.ascontiguousarray(f)))], check_metadata=False)
    arrs = collections.OrderedDict(W_E=np.random.randn(5, 4).astype(np.float32), b=np.arange(3, dtype=np.int64),
                                   mask=np.array([True, False, True]), h=np.ones((2, 2), np.float16),
                                   fort=np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    np.savez(path("arrays.npz"), **arrs)
    np.savez_compressed(path("arrays_compressed.npz"), **arrs)
    npz_tensors = [(k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in arrs.items()]
    record("arrays.npz", "npz", tensors=npz_tensors, check_metadata=False)
    record("arrays_compressed.npz", "npz", tensors=npz_tensors, check_metadata=False)

    # 13. safetensors with metadata, every dtype it has for weights.
    from safetensors.torch import save_file
    st = collections.OrderedDict()
    for k in ["float16", "float32", "float64", "bfloat16", "float8_e4m3fn", "float8_e5m2", "int8", "int16",
              "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "complex64"]:
        st["t_" + k] = dts[k].clone()
    st["embed.W_E"] = torch.randn(5, 3)
    save_file(st, path("weights.safetensors"), metadata={"format": "pt", "epoch": "12"})
    # safetensors writes tensors in its own order (by dtype size, then name): read back the header.
    with open(path("weights.safetensors"), "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
    order = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
    record("weights.safetensors", "safetensors", tensors=[(k, st[k]) for k in order],
           metadata=[[k, "string", v] for k, v in header["__metadata__"].items()], opaque=[])

    # 14. Flax msgpack (flax.serialization.to_bytes), including lists, scalars and chunked arrays.
    import jax.numpy as jnp
    import ml_dtypes
    from flax import serialization
    params = {
        "params": {"Dense_0": {"kernel": np.random.randn(4, 3).astype(np.float32), "bias": np.zeros(3, np.float32)},
                   "embed": np.arange(10, dtype=np.int32).reshape(5, 2),
                   "half": np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)},
        "layers": [np.ones((2,), np.float64), np.array([[1, 2]], np.uint8)],
        "step": 100, "lr": 0.001, "name": "adam",
    }
    with open(path("flax.msgpack"), "wb") as fh:
        fh.write(serialization.to_bytes(params))
    def np_t(x):
        if x.dtype == ml_dtypes.bfloat16:
            return torch.from_numpy(x.view(np.uint16).copy()).view(torch.bfloat16)
        return torch.from_numpy(np.ascontiguousarray(x))
    record("flax.msgpack", "flax-msgpack", tensors=[
        ("params.Dense_0.kernel", np_t(params["params"]["Dense_0"]["kernel"])),
        ("params.Dense_0.bias", np_t(params["params"]["Dense_0"]["bias"])),
        ("params.embed", np_t(params["params"]["embed"])),
        ("params.half", np_t(params["params"]["half"])),
        ("layers.0", np_t(params["layers"][0])),
        ("layers.1", np_t(params["layers"][1])),
    ], metadata=[["step", "int", 100], ["lr", "double", 0.001], ["name", "string", "adam"]], opaque=[])
    old = serialization.MAX_CHUNK_SIZE
    serialization.MAX_CHUNK_SIZE = 16
    chunked = {"big": np.arange(30, dtype=np.float32).reshape(5, 6), "small": np.array([7], np.int64)}
    with open(path("flax_chunked.msgpack"), "wb") as fh:
        fh.write(serialization.to_bytes(chunked))
    serialization.MAX_CHUNK_SIZE = old
    record("flax_chunked.msgpack", "flax-msgpack", tensors=[("big", np_t(chunked["big"])), ("small", np_t(chunked["small"]))],
           metadata=[], opaque=[])

    # 15. Plain pickles of every protocol (0-5), for the VM itself: scalars, containers, sets,
    # big integers, bytes, an OrderedDict and an argparse.Namespace.
    obj = collections.OrderedDict([
        ("a", [1, 2.5, "x\u00e9", None, True, False, 2**70, -5, -2**40, 3 * 10**18]),
        ("b", (1, (2, 3))), ("c", {"n": {7}, "f": frozenset({8})}), ("raw", b"abc\x00"),
        ("od", collections.OrderedDict([("k", 1.0e-300)])), ("ns", argparse.Namespace(lr=0.5)),
        ("neg", -1), ("big_neg", -2**80),
    ])
    pickles = []
    for proto in range(0, 6):
        t, m, o = [], [], []
        walk(obj, "", t, m, o)
        pickles.append({"protocol": proto, "hex": pickle.dumps(obj, protocol=proto).hex(), "metadata": m, "opaque": o})
    expected["__pickles__"] = pickles

    with open(path("expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)
    total = sum(os.path.getsize(path(f)) for f in os.listdir(OUT))
    print(f"wrote {len(expected)} fixtures, {total} bytes in all, to {os.path.normpath(OUT)}")


def write_broadcast():
    """broadcast.pt: a stride-0 view of one float32 over 7 × 2^33 elements (240 GB once
    materialized); readers must refuse it with a message before allocating. Written alone by
    `python3 scripts/make_checkpoint_fixtures.py broadcast`."""
    one = torch.zeros(1, dtype=torch.float32).expand(7, 2 ** 33)
    torch.save({"w": one, "embedding_left": one.unsqueeze(0)}, os.path.join(OUT, "broadcast.pt"))


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["broadcast"]:
        write_broadcast()
    else:
        main()
        write_broadcast()
