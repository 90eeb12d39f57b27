#!/usr/bin/env python3
"""The peer of IrrepScope's spectrum benchmark: the same computation with NumPy and scipy.fft.

  core FILE.npy [repeats]   best-of-N time of rfft (workers=2) + bin powers + max normalized
                            power + histogram on the loaded array; prints a JSON line.
  histogram FILE.npy        the whole job a researcher would script: load, rfft, max normalized
                            power, histogram; prints the histogram (timed from outside).
"""
import json
import sys
import time

import numpy as np
import scipy.fft


def max_normalized_power(w):
    p = w.shape[1]
    X = scipy.fft.rfft(w, axis=1, workers=2)
    P = X.real ** 2 + X.imag ** 2
    if p % 2 == 0:
        P[:, 1:-1] *= 2
    else:
        P[:, 1:] *= 2
    nondc = P[:, 1:]
    total = nondc.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return nondc.max(axis=1) / total


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "core":
        repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        w = np.load(path)
        best = float("inf")
        for r in range(repeats + 1):
            t = time.perf_counter()
            m = max_normalized_power(w)
            counts, _ = np.histogram(m[np.isfinite(m)], bins=20, range=(0, 1))
            dt = time.perf_counter() - t
            if r > 0:
                best = min(best, dt)
        print(json.dumps({"neurons": w.shape[0], "p": w.shape[1], "seconds": best,
                          "neurons_per_second": w.shape[0] / best, "last_bin": int(counts[-1])}))
    else:
        w = np.load(path)
        m = max_normalized_power(w)
        counts, edges = np.histogram(m[np.isfinite(m)], bins=20, range=(0, 1))
        print(json.dumps({"edges": edges.tolist(), "counts": counts.tolist()}))


if __name__ == "__main__":
    main()
