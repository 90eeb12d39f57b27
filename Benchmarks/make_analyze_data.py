"""The random networks of the analyze benchmarks (analyze.sh, compare_builds.sh): C_113 with
m = 512 and S_5 with m = 2000, and S_6 with m = 256 (its own seed), float32, written once into
the directory given."""
import os, sys
import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(5)
for name, n, m in (("c113-m512", 113, 512), ("s5-m2000", 120, 2000)):
    f = os.path.join(d, name + ".npz")
    if not os.path.exists(f):
        np.savez(f, **{k: (0.1 * rng.standard_normal((n, m))).astype(np.float32)
                       for k in ("embed_a.weight", "embed_b.weight", "unembed.weight")})
# S_6 (|G| = 720, m = 256): a group too large for its |G|³ logits to be kept (2.8 GiB).
f = os.path.join(d, "s6-m256.npz")
if not os.path.exists(f):
    rng6 = np.random.default_rng(6)
    np.savez(f, **{k: (0.1 * rng6.standard_normal((720, 256))).astype(np.float32)
                   for k in ("embed_a.weight", "embed_b.weight", "unembed.weight")})
