#!/usr/bin/env python3
"""The peer of IrrepScope's batch benchmark: a plain Python loop doing the same analysis per
checkpoint with torch.load and NumPy — per-neuron max normalized Fourier power of u, v, w
(rfft), neurons per frequency, accuracy and normalized margin over all p² pairs.

Usage: batch_peer.py DIR [LIMIT]   (the first LIMIT files; prints checkpoints per second as JSON)
"""
import glob
import json
import sys
import time

import numpy as np
import torch


def max_power(m):  # m: (p, neurons), elements along axis 0
    X = np.fft.rfft(m, axis=0)
    P = np.abs(X) ** 2
    P[1:] *= 2
    if m.shape[0] % 2 == 0:
        P[-1] /= 2
    nondc = P[1:]
    return nondc.max(axis=0) / nondc.sum(axis=0), nondc.argmax(axis=0) + 1


def analyze(path):
    sd = torch.load(path, map_location="cpu", weights_only=True)["model"]
    U, V, W = (sd[k].double().numpy() for k in ("embed_a.weight", "embed_b.weight", "unembed.weight"))
    p, m = U.shape
    out = {}
    for name, M in (("u", U), ("v", V), ("w", W)):
        mp, dom = max_power(M)
        out[name] = float((mp >= 0.9).mean())
    out["used"] = len(set(max_power(U + 0)[1].tolist()))
    a = np.arange(p)
    margin, correct = np.inf, 0
    for x in range(p):
        H = (U[x][None, :] + V) ** 2          # (p_b, m)
        S = H @ W.T                           # (p_b, p_c)
        c = (x + a) % p
        target = S[a, c]
        S[a, c] = -np.inf
        g = target - S.max(axis=1)
        correct += int((g > 0).sum())
        margin = min(margin, float(g.min()))
    norms = (U ** 2).sum(0) + (V ** 2).sum(0) + (W ** 2).sum(0)
    out["normalized_margin"] = margin / float((norms ** 1.5).sum())
    out["accuracy"] = correct / p ** 2
    return out


def main():
    files = sorted(glob.glob(sys.argv[1] + "/*.pt"))
    if len(sys.argv) > 2:
        files = files[: int(sys.argv[2])]
    t = time.perf_counter()
    for f in files:
        analyze(f)
    dt = time.perf_counter() - t
    print(json.dumps({"checkpoints": len(files), "seconds": dt, "checkpoints_per_second": len(files) / dt}))


if __name__ == "__main__":
    main()
