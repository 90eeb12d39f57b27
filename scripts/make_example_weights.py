#!/usr/bin/env python3
"""Writes data/example-c71-weights.npy: a small synthetic (128 × 71) float32 weight matrix for
`make run` — 96 neurons that each use one Fourier frequency (a cosine with a random phase and
5% Gaussian noise, every frequency 1..35 used at least twice) and 32 neurons of pure Gaussian
noise, as a max-margin network mixed with untrained neurons would look.

Run from the repository root:  python3 scripts/make_example_weights.py
"""
import numpy as np

p, trained, untrained = 71, 96, 32
rng = np.random.default_rng(71)
a = np.arange(p)
freqs = np.concatenate([np.arange(1, 36), np.arange(1, 36), rng.integers(1, 36, trained - 70)])
rows = []
for f in freqs:
    phase = rng.uniform(-np.pi, np.pi)
    rows.append(np.cos(phase + 2 * np.pi * f * a / p) + 0.05 * rng.standard_normal(p))
rows += list(rng.standard_normal((untrained, p)))
w = np.stack(rows).astype(np.float32)
np.save("data/example-c71-weights.npy", w)
print("wrote data/example-c71-weights.npy", w.shape, w.dtype, "numpy", np.__version__)
