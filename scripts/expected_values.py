#!/usr/bin/env python3
"""Reference values for the committed checkpoints, computed with numpy from the saved weights.

torch is used only to unpickle the .pt files (torch.load(weights_only=True)); every number is
computed in float64 numpy, independently of the trainer's own code (examples/train/common.py).

  python3 scripts/expected_values.py                 # every data/*.pt and data/c71-quadratic-run/*.pt
  python3 scripts/expected_values.py data/x.pt ...   # selected files

Writes data/expected/<checkpoint name>.json (the run folder's files as <folder>--<name>.json).
Definitions: docs/theory.md sections 2-5.
"""
import glob
import itertools
import json
import math
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- theory constants
def gamma_star_cyclic(p):
    return math.sqrt(2.0 / 27.0) / (math.sqrt(p) * (p - 1))


def gamma_star_parity(k):
    return math.factorial(k) * math.sqrt(2.0 * (k + 1) ** (-(k + 1)))


# S_4 character table (e.g. James & Liebeck, "Representations and Characters of Groups",
# or any textbook), classes by cycle type: e, (ab), (ab)(cd), (abc), (abcd)
S4_CLASSES = [(1, 1, 1, 1), (2, 1, 1), (2, 2), (3, 1), (4,)]
S4_IRREPS = ["[4]", "[3,1]", "[2,2]", "[2,1,1]", "[1,1,1,1]"]
S4_CHARS = np.array([
    [1, 1, 1, 1, 1],
    [3, 1, -1, 0, -1],
    [2, 0, 2, -1, 0],
    [3, -1, -1, 0, 1],
    [1, -1, 1, 1, -1],
], dtype=np.float64)
S4_DIMS = S4_CHARS[:, 0]


def gamma_star_s4():
    s = sum(d ** 2.5 for d in S4_DIMS[1:])
    return 2.0 / (3.0 * math.sqrt(3.0 * 24)) / s


# S_5 character table (the same textbooks; e.g. James & Liebeck, Example 19.17), classes by
# cycle type: e, (ab), (ab)(cd), (abc), (abc)(de), (abcd), (abcde); irreps by partition.
S5_CLASSES = [(1, 1, 1, 1, 1), (2, 1, 1, 1), (2, 2, 1), (3, 1, 1), (3, 2), (4, 1), (5,)]
S5_IRREPS = ["[5]", "[4,1]", "[3,2]", "[3,1,1]", "[2,2,1]", "[2,1,1,1]", "[1,1,1,1,1]"]
S5_CHARS = np.array([
    [1, 1, 1, 1, 1, 1, 1],
    [4, 2, 0, 1, -1, 0, -1],
    [5, 1, 1, -1, 1, -1, 0],
    [6, 0, -2, 0, 0, 0, 1],
    [5, -1, 1, -1, -1, 1, 0],
    [4, -2, 0, 1, 1, 0, -1],
    [1, -1, 1, 1, -1, -1, 1],
], dtype=np.float64)

# Theorem 9 (docs/theory.md §3): gamma* = 2 / (3 sqrt(3 |G|)) / sum over non-trivial irreps of d^(5/2).
SN_TABLES = {"S_4": (S4_CLASSES, S4_IRREPS, S4_CHARS), "S_5": (S5_CLASSES, S5_IRREPS, S5_CHARS)}


def gamma_star_sn(group):
    classes, irreps, chars = SN_TABLES[group]
    order = math.factorial(len(classes[0]))
    return 2.0 / (3.0 * math.sqrt(3.0 * order)) / sum(d ** 2.5 for d in chars[1:, 0])


# ---------------------------------------------------------------- helpers
def to_np(t):
    return t.detach().cpu().double().numpy()


def rnd(x, sig=10):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [rnd(v, sig) for v in x]
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{sig}g}")


def cyclic_power(vectors):
    """vectors: (m, p) rows. Returns P (m, p//2 + 1) merged real bins (docs/theory.md §4)."""
    p = vectors.shape[1]
    X = np.fft.fft(vectors, axis=1)
    nb = p // 2 + 1
    P = np.abs(X[:, :nb]) ** 2
    P[:, 1:] *= 2.0
    if p % 2 == 0:
        P[:, -1] /= 2.0
    return P


def max_normalized_power(P, eps=1e-30):
    nondc = P[:, 1:]
    tot = nondc.sum(axis=1)
    out_max, out_freq = [], []
    for i in range(P.shape[0]):
        if tot[i] <= eps:
            out_max.append(None)
            out_freq.append(None)
        else:
            k = int(np.argmax(nondc[i]))
            out_max.append(nondc[i, k] / tot[i])
            out_freq.append(k + 1)
    return out_max, out_freq


def margins(logits, y):
    correct = logits[np.arange(len(y)), y]
    other = logits.copy()
    other[np.arange(len(y)), y] = -np.inf
    g = correct - other.max(axis=1)
    return g


def summary_of(maxp, freqs, nfreq):
    vals = [x for x in maxp if x is not None]
    counts = [0] * (nfreq + 1)
    for f in freqs:
        if f is not None:
            counts[f] += 1
    return {
        "fraction_max_power_ge_0.9": rnd(sum(1 for x in vals if x >= 0.9) / len(maxp)),
        "mean_max_power": rnd(float(np.mean(vals)) if vals else None),
        "median_max_power": rnd(float(np.median(vals)) if vals else None),
        "neurons_per_frequency": {str(k): counts[k] for k in range(1, nfreq + 1)},
        "frequencies_used": sum(1 for k in range(1, nfreq + 1) if counts[k] > 0),
        "null_neurons": sum(1 for x in maxp if x is None),
    }


def perm_compose(g, h):
    return tuple(g[h[x]] for x in range(len(g)))


def perm_inverse(g):
    inv = [0] * len(g)
    for i, gi in enumerate(g):
        inv[gi] = i
    return tuple(inv)


def cycle_type(g):
    seen, lens = set(), []
    for s in range(len(g)):
        if s in seen:
            continue
        n, x = 0, s
        while x not in seen:
            seen.add(x)
            x = g[x]
            n += 1
        lens.append(n)
    return tuple(sorted(lens, reverse=True))


def s4_isotypic_fractions(F, elems, group="S_4"):
    """F: (m, |G|) rows f over group elements (S_4 or S_5). Character route of docs/theory.md §5:
    c(h) = sum_x f(x) f(h^-1 x), ||P_rho f||^2 = (d/|G|) sum_h chi(h) c(h)."""
    classes, _, chars = SN_TABLES[group]
    N = len(elems)
    index = {g: i for i, g in enumerate(elems)}
    # T[h, x] = index of h^-1 x
    T = np.zeros((N, N), dtype=np.int64)
    for hi, h in enumerate(elems):
        hinv = perm_inverse(h)
        for xi, x in enumerate(elems):
            T[hi, xi] = index[perm_compose(hinv, x)]
    cls = np.array([classes.index(cycle_type(g)) for g in elems])
    chi = chars[:, cls]                            # (irreps, N)
    c = np.einsum("mx,mhx->mh", F, F[:, T])        # (m, N)
    power = (chars[:, :1] / N * (chi @ c.T)).T     # (m, irreps)
    tot = (F ** 2).sum(axis=1)
    return power, tot


# ---------------------------------------------------------------- per checkpoint
def group_values(sd, cfg, ck):
    U = to_np(sd["embed_a.weight"]).T   # (m, N): u_i = embed_a.weight[:, i]
    V = to_np(sd["embed_b.weight"]).T
    W = to_np(sd["unembed.weight"]).T   # unembed.weight is (N, m): w_i = unembed.weight[:, i]
    m, N = U.shape
    group = cfg["group"]
    act = cfg["activation"]
    if group.startswith("C_"):
        a = np.arange(N)
        mult = (a[:, None] + a[None, :]) % N
        elems = None
    else:
        elems = [tuple(g) for g in ck["elements"]]
        index = {g: i for i, g in enumerate(elems)}
        mult = np.array([[index[perm_compose(g, h)] for h in elems] for g in elems])
    A = np.repeat(np.arange(N), N)
    B = np.tile(np.arange(N), N)
    y = mult.reshape(-1)
    pre = U.T[A] + V.T[B]                    # (N^2, m)
    hid = pre ** 2 if act == "quadratic" else np.maximum(pre, 0.0)
    logits = hid @ W                         # (N^2, N)
    nu = 3 if act == "quadratic" else 2
    omega = np.concatenate([U, V, W], axis=1)
    norm_nu = float((np.linalg.norm(omega, axis=1) ** nu).sum())
    g = margins(logits, y)
    h = float(g.min())
    if act == "quadratic" and group.startswith("C_"):
        gs = gamma_star_cyclic(N)
    elif act == "quadratic" and group in SN_TABLES:
        gs = gamma_star_sn(group)
    else:
        gs = None
    out = {
        "network": f"{group} {act}", "group_order": N, "width": m, "nu": nu,
        "layout": "u_i = embed_a.weight[:, i], v_i = embed_b.weight[:, i], w_i = unembed.weight[:, i]",
        "accuracy": rnd(float((logits.argmax(axis=1) == y).mean())),
        "margin": rnd(h), "norm_2_nu_pow_nu": rnd(norm_nu), "normalized_margin": rnd(h / norm_nu),
        "gamma_star": rnd(gs), "normalized_margin_over_gamma_star": rnd(h / norm_nu / gs) if gs else None,
        "cross_entropy": rnd(float(np.mean(np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1))
                                          + logits.max(1) - logits[np.arange(len(y)), y]))),
    }
    if group.startswith("C_"):
        nfreq = N // 2
        per = {}
        for name, M in (("u", U), ("v", V), ("w", W)):
            P = cyclic_power(M)
            mx, fr = max_normalized_power(P)
            per[name] = {"max_normalized_power": rnd(mx), "dominant_frequency": fr}
            out[f"summary_{name}"] = summary_of(mx, fr, nfreq)
        # one neuron-level view: power of u, v, w summed per bin
        Pn = cyclic_power(U) + cyclic_power(V) + cyclic_power(W)
        mx, fr = max_normalized_power(Pn)
        per["neuron"] = {"max_normalized_power": rnd(mx), "dominant_frequency": fr}
        out["summary_neuron_uvw_summed"] = summary_of(mx, fr, nfreq)
        out["power_definition"] = ("P_k = 2|X_k|^2 for 0<k<p/2 (merged bins), DC excluded; "
                                   "max over k>=1 of P_k / sum_{j>=1} P_j; 'neuron' sums the P_k of u, v and w")
        out["per_neuron"] = per
    elif group in SN_TABLES:
        irreps = SN_TABLES[group][1]
        per = {}
        for name, M in (("u", U), ("v", V), ("w", W)):
            power, tot = s4_isotypic_fractions(M, elems, group)
            frac = power / tot[:, None]
            nontriv = power[:, 1:]
            nt_tot = nontriv.sum(axis=1)
            mx = [float(nontriv[i].max() / nt_tot[i]) if nt_tot[i] > 1e-30 else None for i in range(m)]
            dom = [irreps[1 + int(np.argmax(nontriv[i]))] if nt_tot[i] > 1e-30 else None for i in range(m)]
            per[name] = {"max_nontrivial_share": rnd(mx), "dominant_irrep": dom}
            if m <= 500:   # every fraction for small networks (S_4); S_5's 2000 neurons keep the shares only
                per[name] = {"fractions": [rnd(list(r), 8) for r in frac], **per[name]}
            counts = {r: dom.count(r) for r in irreps[1:]}
            vals = [x for x in mx if x is not None]
            out[f"summary_{name}"] = {
                "fraction_max_share_ge_0.9": rnd(sum(1 for x in vals if x >= 0.9) / m),
                "mean_max_share": rnd(float(np.mean(vals))), "neurons_per_irrep": counts,
                "irreps_used": sum(1 for r in counts if counts[r] > 0),
                "mean_trivial_fraction": rnd(float(frac[:, 0].mean())),
            }
        out["irrep_order"] = irreps
        out["isotypic_definition"] = ("fractions P_rho/||f||^2 over irreps in irrep_order (character route, "
                                      f"{group} character table hard-coded); max_nontrivial_share = max over "
                                      "non-trivial rho of P_rho / sum_{non-trivial} P_rho")
        out["per_neuron"] = per
    return out


def parity_values(sd, cfg):
    Uh = to_np(sd["hidden.weight"])       # (m, n)
    Wr = to_np(sd["readout.weight"]).T    # (m, 2)
    n, k, S = cfg["n"], cfg["k"], cfg["support"]
    j = np.arange(2 ** n)
    X = 1.0 - 2.0 * ((j[:, None] >> np.arange(n)[None, :]) & 1)
    y = np.where(np.prod(X[:, S], axis=1) > 0, 0, 1)
    logits = ((X @ Uh.T) ** k) @ Wr
    nu = k + 1
    omega = np.concatenate([Uh, Wr], axis=1)
    norm_nu = float((np.linalg.norm(omega, axis=1) ** nu).sum())
    h = float(margins(logits, y).min())
    gs = gamma_star_parity(k)
    on_support = (Uh[:, S] ** 2).sum(1) / (Uh ** 2).sum(1)
    wdir = np.abs(Wr @ np.array([1.0, -1.0]) / math.sqrt(2)) / np.linalg.norm(Wr, axis=1)
    neuron_nu = np.linalg.norm(np.concatenate([Uh, Wr], axis=1), axis=1) ** (k + 1)
    share = neuron_nu / neuron_nu.sum()
    return {
        "network": f"({n},{k})-sparse parity, x^{k}", "width": Uh.shape[0], "nu": nu, "support": S,
        "layout": "u_i = hidden.weight[i, :], w_i = readout.weight[:, i]",
        "accuracy": rnd(float((logits.argmax(1) == y).mean())),
        "margin": rnd(h), "norm_2_nu_pow_nu": rnd(norm_nu), "normalized_margin": rnd(h / norm_nu),
        "gamma_star": rnd(gs), "normalized_margin_over_gamma_star": rnd(h / norm_nu / gs),
        "per_neuron": {"fraction_of_u_norm2_on_support": rnd(list(on_support)),
                       "share_of_norm_nu": rnd(list(share)),
                       "w_alignment_with_[1,-1]": rnd(list(wdir))},
        "summary": {"fraction_neurons_support_share_ge_0.9": rnd(float((on_support >= 0.9).mean())),
                    "mean_support_share": rnd(float(on_support.mean())),
                    # neurons weighted by their share of ||theta||_{2,nu}^nu (small neurons barely matter)
                    "norm_weighted_support_share": rnd(float((on_support * share).sum())),
                    "norm_weighted_w_alignment": rnd(float((wdir * share).sum())),
                    "neurons_with_norm_share_ge_1pct": int((share >= 0.01).sum()),
                    "fraction_support_share_ge_0.9_among_those": rnd(
                        float((on_support[share >= 0.01] >= 0.9).mean()) if (share >= 0.01).any() else None)},
    }


def self_check():
    """docs/theory.md §7 known answers on S_4 and §3 reference values."""
    el = list(itertools.permutations(range(4)))
    F = np.zeros((3, 24))
    F[0, 0] = 1.0
    F[1] = [sum(1 for i in range(4) if g[i] == i) for g in el]
    F[2] = [sum(1 for i in range(4) for j in range(i + 1, 4) if g[i] > g[j]) for g in el]
    p, t = s4_isotypic_fractions(F, el)
    fr = p / t[:, None]
    assert np.allclose(fr[0], [1 / 24, 9 / 24, 4 / 24, 9 / 24, 1 / 24])
    assert np.allclose(fr[1], [0.5, 0.5, 0, 0, 0])
    assert np.allclose(fr[2], [54 / 67, 0.186567, 0, 0.007463, 0], atol=1e-6)
    assert abs(gamma_star_cyclic(71) - 4.6143e-4) < 1e-8
    assert abs(gamma_star_s4() - 2.0766e-3) < 1e-7
    assert gamma_star_sn("S_4") == gamma_star_s4()
    assert abs(gamma_star_sn("S_5") - 1.32598e-4) < 1e-9
    # Both orthogonality relations of the S_5 table (class sizes 1, 10, 15, 20, 20, 30, 24).
    sizes = np.array([1, 10, 15, 20, 20, 30, 24])
    assert np.allclose(S5_CHARS * sizes @ S5_CHARS.T, 120 * np.eye(7))
    assert np.allclose(S5_CHARS.T @ S5_CHARS, np.diag(120 / sizes))
    e5 = list(itertools.permutations(range(5)))
    f5 = np.random.default_rng(1).normal(size=(2, 120))
    p5, t5 = s4_isotypic_fractions(f5, e5, "S_5")
    assert np.allclose(p5.sum(1), t5)   # the isotypic parts add up to ||f||^2
    assert abs(gamma_star_parity(4) - 0.607157) < 1e-6
    u = np.random.default_rng(0).normal(size=(3, 71))
    assert np.allclose(cyclic_power(u).sum(1), 71 * (u ** 2).sum(1))  # Parseval


def main(paths):
    import torch
    self_check()
    os.makedirs(os.path.join(ROOT, "data", "expected"), exist_ok=True)
    for path in paths:
        ck = torch.load(path, map_location="cpu", weights_only=True)
        sd, cfg = ck["model"], ck["config"]
        if "embed_a.weight" in sd:
            out = group_values(sd, cfg, ck)
        else:
            out = parity_values(sd, cfg)
        rel = os.path.relpath(os.path.abspath(path), os.path.join(ROOT, "data"))
        out = {"checkpoint": "data/" + rel, "step": ck["step"],
               "tensors": {k: list(v.shape) for k, v in sd.items()}, **out}
        name = rel[:-3].replace(os.sep, "--")
        dst = os.path.join(ROOT, "data", "expected", name + ".json")
        with open(dst, "w") as f:
            json.dump(out, f, indent=1)
        brief = {k: out.get(k) for k in ("step", "accuracy", "normalized_margin", "gamma_star",
                                         "normalized_margin_over_gamma_star")}
        for s in ("summary_u", "summary_neuron_uvw_summed", "summary"):
            if s in out:
                brief[s] = {k: v for k, v in out[s].items() if not isinstance(v, dict)}
        print(dst, json.dumps(brief))


if __name__ == "__main__":
    paths = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "data", "*.pt"))
                                  + glob.glob(os.path.join(ROOT, "data", "*", "*.pt")))
    main(paths)
