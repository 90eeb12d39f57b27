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
* ocdbt/1: StandardCheckpointer default (OCDBT + zarr v2): the top-level manifest.ocdbt and
  d/ (the merged database, every value inline: orbax inlines values up to 1024 bytes) beside
  ocdbt.process_0/ (the database the save wrote, which the merged one was copied from);
* ocdbt_zarr3/1: PyTreeCheckpointer(use_zarr3=True) (OCDBT + zarr v3 shards), with a
  chunked array (SaveArgs(chunk_byte_size)) and one of 3 KB whose chunk is too large to be
  inlined (a reference from the top-level B+tree into ocdbt.process_0/d/);
* ocdbt_chunked/1: the same tree with OCDBT + zarr v2;
* ocdbt_deep/1: the keys of ocdbt_chunked/1 copied by tensorstore into a database of 200-byte
  nodes, values over 16 bytes out of line and 1.5 KB data files (a B+tree of height ≥ 2,
  several data files), with ocdbt_chunked/1's _METADATA;
* ocdbt_run/0, ocdbt_run/100: StandardCheckpointer steps, a run for `batch`;
* trained/1: StandardCheckpointer of the trained Flax network of pytrees/flax_params.pkl
  (scripts/make_pytree_fixtures.py), for `analyze`;
* hostile/: a leaf naming a directory outside, a chunk shape that overflows, a zstd chunk
  that declares more than its chunk, a missing chunk; and OCDBT databases re-encoded (by the
  small uncompressed encoder below) from ocdbt/1's keys and values with one thing wrong:
  ocdbt_past_end (a value reference past its data file's end), ocdbt_outside (a data file
  path "../…"), ocdbt_cycle (an interior node that is its own child), ocdbt_height (a root
  of height 200), ocdbt_varint (an 11-byte length varint), ocdbt_truncated (a manifest cut
  short). ocdbt_reencoded/1 (no defect, uncompressed nodes) checks the encoder: tensorstore
  must list it as ocdbt/1.

ocdbt_numbered/: a bare OCDBT database (not a checkpoint) with numbered manifests
(manifest.ocdbt holds only the configuration, manifest.0000000000000003 the current version).

ocdbt_keys.json: per OCDBT database, what tensorstore lists (key, value length, zlib crc32).

Usage: python3 scripts/make_orbax_fixtures.py   (from the repository root)
"""
import json
import os
import pickle
import shutil
import zlib

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


def jax_tree_map_args(tree, **special):
    """SaveArgs for every leaf of `tree`, `special[name]` for the top-level leaves named."""
    def rec(t, top):
        if isinstance(t, dict):
            return {k: (special[k] if top and k in special else rec(v, False)) for k, v in t.items()}
        return ocp.SaveArgs()
    return rec(tree, True)


def copy_kv(src_dir, dst_dir, config, target_data_file_size):
    """Copies every key of the OCDBT database in src_dir into a new one in dst_dir."""
    src = ts.KvStore.open({"driver": "ocdbt", "base": "file://" + src_dir + "/"}).result()
    dst = ts.KvStore.open({"driver": "ocdbt", "base": "file://" + dst_dir + "/", "config": config,
                           "target_data_file_size": target_data_file_size}).result()
    txn = ts.Transaction()
    for k in src.list().result():
        dst.with_transaction(txn)[k] = src.read(k).result().value
    txn.commit_sync()


# A small OCDBT encoder (uncompressed envelopes) for the hostile databases, written from the
# format description (docs/formats.md §16); columns are written in the order the format has.
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def envelope(magic, body):
    head = magic.to_bytes(4, "big") + (4 + 8 + 2 + len(body) + 4).to_bytes(8, "little") + b"\0\0"
    return head + body + crc32c(head + body).to_bytes(4, "little")


def common(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def file_table(paths):
    """Data file table of `paths` (base paths empty), prefix-compressed."""
    prefixes = [0] + [common(a, b) for a, b in zip(paths, paths[1:])]
    out = bytearray(varint(len(paths)))
    for n in prefixes[1:]:
        out += varint(n)
    for p, n in zip(paths, prefixes):
        out += varint(len(p) - n)
    for _ in paths:
        out += varint(0)
    for p, n in zip(paths, prefixes):
        out += p[n:]
    return bytes(out)


def keys_columns(keys):
    prefixes = [0] + [common(a, b) for a, b in zip(keys, keys[1:])]
    out = bytearray()
    for n in prefixes[1:]:
        out += varint(n)
    for k, n in zip(keys, prefixes):
        out += varint(len(k) - n)
    return bytes(out), [k[n:] for k, n in zip(keys, prefixes)]


def leaf_node(entries, paths):
    """entries: (key, bytes) inline or (key, (file_id, offset, length)) out of line."""
    keys = [k for k, _ in entries]
    cols, suffixes = keys_columns(keys)
    body = bytearray(b"\0" + file_table(paths) + varint(len(entries)) + cols + b"".join(suffixes))
    for _, v in entries:
        body += varint(len(v) if isinstance(v, bytes) else v[2])
    for _, v in entries:
        body.append(0 if isinstance(v, bytes) else 1)
    refs = [v for _, v in entries if not isinstance(v, bytes)]
    for r in refs:
        body += varint(r[0])
    for r in refs:
        body += varint(r[1])
    for _, v in entries:
        if isinstance(v, bytes):
            body += v
    return envelope(0x0CDB20DE, bytes(body))


def interior_node(height, children, paths):
    """children: (key, file_id, offset, length), subtree prefixes empty."""
    cols, suffixes = keys_columns([c[0] for c in children])
    body = bytearray(bytes([height]) + file_table(paths) + varint(len(children)) + cols)
    body += b"".join(varint(0) for _ in children) + b"".join(suffixes)
    for i in (1, 2, 3):
        body += b"".join(varint(c[i]) for c in children)
    body += b"".join(varint(0) for _ in range(3) for _ in children)  # statistics (zero)
    return envelope(0x0CDB20DE, bytes(body))


def manifest(path, offset, length, height, length_bytes=None):
    body = bytearray(b"\x11" * 16 + b"\0" + varint(1024) + varint(100000000) + b"\x04" + b"\0")  # no compression
    body += file_table([path]) + varint(1) + varint(1) + bytes([height]) + varint(0) + varint(offset)
    body += length_bytes if length_bytes is not None else varint(length)
    body += varint(0) * 3 + (0).to_bytes(8, "little") + varint(0)
    return envelope(0x0CDB3A2A, bytes(body))


def hostile_ocdbt(h):
    src_dir = os.path.join(OUT, "ocdbt", "1")
    src = ts.KvStore.open({"driver": "ocdbt", "base": "file://" + src_dir + "/"}).result()
    kv = [(k, src.read(k).result().value) for k in src.list().result()]

    def write(name, node, manifest_bytes, extra=()):
        dst = os.path.join(h, name) if not name.startswith("/") else name
        os.makedirs(os.path.join(dst, "d"))
        for f in ("_METADATA", "_CHECKPOINT_METADATA"):
            shutil.copy(os.path.join(src_dir, f), dst)
        open(os.path.join(dst, "d", "node"), "wb").write(node)
        for p, data in extra:
            open(os.path.join(dst, p), "wb").write(data)
        open(os.path.join(dst, "manifest.ocdbt"), "wb").write(manifest_bytes)
        return dst

    node = leaf_node(kv, [b"d/node"])
    dst = write(os.path.join(OUT, "ocdbt_reencoded", "1"), node, manifest(b"d/node", 0, len(node), 0))
    again = ts.KvStore.open({"driver": "ocdbt", "base": "file://" + dst + "/"}).result()
    assert [(k, again.read(k).result().value) for k in again.list().result()] == kv, "the encoder disagrees with tensorstore"

    # The kernel's chunk out of line, 10 bytes before the end of d/values.
    values = b"".join(v for k, v in kv if k == b"params.out.kernel/0.0")
    entries = [(k, (1, len(values) - 10, len(values)) if k == b"params.out.kernel/0.0" else v) for k, v in kv]
    node = leaf_node(entries, [b"d/node", b"d/values"])
    write("ocdbt_past_end", node, manifest(b"d/node", 0, len(node), 0), [("d/values", values)])
    entries = [(k, (1, 0, len(values)) if k == b"params.out.kernel/0.0" else v) for k, v in kv]
    node = leaf_node(entries, [b"d/node", b"../outside/d/values"])
    write("ocdbt_outside", node, manifest(b"d/node", 0, len(node), 0))
    # Root of height 1 at offset 0 of d/node whose one child is itself.
    probe = interior_node(1, [(b"", 0, 0, 0)], [b"d/node"])
    node = interior_node(1, [(b"", 0, 0, len(probe))], [b"d/node"])
    assert len(node) == len(probe)
    write("ocdbt_cycle", node, manifest(b"d/node", 0, len(node), 1))
    node = leaf_node(kv, [b"d/node"])
    write("ocdbt_height", node, manifest(b"d/node", 0, len(node), 200))
    write("ocdbt_varint", node, manifest(b"d/node", 0, len(node), 0, length_bytes=b"\xff" * 10 + b"\x01"))
    m = manifest(b"d/node", 0, len(node), 0)
    write("ocdbt_truncated", node, m[: len(m) // 2])


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
    with ocp.StandardCheckpointer() as ck:
        ck.save(os.path.join(OUT, "ocdbt", "1"), t)
    expected["ocdbt/1"] = expected_of(t, 1)
    # OCDBT with several chunks and a value stored out of line, zarr v3 and v2.
    big = np.random.default_rng(7).standard_normal((24, 32)).astype(np.float32)
    w = np.arange(5 * 7, dtype=np.float32).reshape(5, 7) / 8
    tc = dict(tree_at(5), w=w, big=big)
    args = jax_tree_map_args(tc, w=ocp.SaveArgs(chunk_byte_size=40))
    ocp.PyTreeCheckpointer(use_zarr3=True).save(os.path.join(OUT, "ocdbt_zarr3", "1"), tc, save_args=args)
    expected["ocdbt_zarr3/1"] = expected_of(tc, 1)
    ocp.PyTreeCheckpointer().save(os.path.join(OUT, "ocdbt_chunked", "1"), tc, save_args=args)
    expected["ocdbt_chunked/1"] = expected_of(tc, 1)
    deep = os.path.join(OUT, "ocdbt_deep", "1")
    os.makedirs(deep)
    for f in ("_METADATA", "_CHECKPOINT_METADATA"):
        shutil.copy(os.path.join(OUT, "ocdbt_chunked", "1", f), deep)
    copy_kv(os.path.join(OUT, "ocdbt_chunked", "1"), deep,
            {"max_decoded_node_bytes": 200, "max_inline_value_bytes": 16, "compression": {"id": "zstd"}}, 1500)
    expected["ocdbt_deep/1"] = expected_of(tc, 1)
    for step in (0, 100):
        ts_ = tree_at(step)
        with ocp.StandardCheckpointer() as ck:
            ck.save(os.path.join(OUT, "ocdbt_run", str(step)), ts_)
        expected[f"ocdbt_run/{step}"] = expected_of(ts_, step)
    with open(os.path.join(OUT, "..", "pytrees", "flax_params.pkl"), "rb") as f:
        trained = pickle.load(f)
    with ocp.StandardCheckpointer() as ck:
        ck.save(os.path.join(OUT, "trained", "1"), trained)
    expected["trained/1"] = expected_of(trained, 1)

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

    hostile_ocdbt(h)
    expected["ocdbt_reencoded/1"] = expected["ocdbt/1"]

    # A bare OCDBT database (not a checkpoint) with numbered manifests, three commits.
    nd = os.path.join(OUT, "ocdbt_numbered")
    kv = ts.KvStore.open({"driver": "ocdbt", "base": "file://" + nd + "/", "config": {"manifest_kind": "numbered"}}).result()
    kv[b"a"] = b"first"
    kv[b"b/c"] = bytes(range(256)) * 8
    kv[b"a"] = b"second"

    # What tensorstore lists in every OCDBT database: key, value length, zlib crc32 of the value.
    listing = {}
    for name in sorted(expected) + ["ocdbt_numbered"]:
        d = os.path.join(OUT, name)
        if os.path.exists(os.path.join(d, "manifest.ocdbt")):
            kv = ts.KvStore.open({"driver": "ocdbt", "base": "file://" + d + "/"}).result()
            listing[name] = [[k.decode(), len(v), zlib.crc32(v)] for k in kv.list().result() for v in [kv.read(k).result().value]]
    with open(os.path.join(OUT, "ocdbt_keys.json"), "w") as f:
        json.dump(listing, f, indent=1, sort_keys=True)
        f.write("\n")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
