#!/usr/bin/env python3
"""The peer of IrrepScope's analyze benchmark: the same margin computation with NumPy — load
the weights, evaluate f(a, b)[c] = Σ_i (u_i[a] + v_i[b])² w_i[c] on all |G|² pairs, accuracy and
normalized margin h / Σ_i ‖ω_i‖³. Usage: analyze_peer.py FILE.npz GROUP (C113 or S5)."""
import itertools
import json
import sys
import time

import numpy as np

t0 = time.perf_counter()
path, group = sys.argv[1], sys.argv[2]
z = np.load(path)
U, V, W = (z[k].astype(np.float64) for k in ("embed_a.weight", "embed_b.weight", "unembed.weight"))  # (|G|, m)
n, m = U.shape
if group.startswith("C"):
    table = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n
else:
    k = int(group[1:])
    perms = list(itertools.permutations(range(k)))
    index = {p: i for i, p in enumerate(perms)}
    table = np.array([[index[tuple(g[h[x]] for x in range(k))] for h in perms] for g in perms])
margin, correct = np.inf, 0
rows = np.arange(n)
for a in range(n):
    S = ((U[a][None, :] + V) ** 2) @ W.T  # (b, c)
    c = table[a]
    target = S[rows, c]
    S[rows, c] = -np.inf
    g = target - S.max(axis=1)
    correct += int((g > 0).sum())
    margin = min(margin, float(g.min()))
norms = (U ** 2).sum(0) + (V ** 2).sum(0) + (W ** 2).sum(0)
print(json.dumps({"accuracy": correct / n ** 2, "normalized_margin": margin / float((norms ** 1.5).sum()),
                  "seconds": time.perf_counter() - t0}))
