#!/usr/bin/env python3
"""Reference values of the function-level attribution (docs/attribution.md; the team's
THEORY.md §8) for the checkpoints in data/, computed by brute force with numpy.

Written from the definitions, not from the Swift code: the logits are evaluated on every
pair, the character cubes T_rho(a, b, c) = chi_rho(a·b·c^-1) are built as full |G|^3 arrays,
similarities are cosines of the full arrays, the projections of the hidden neurons and the
embeddings use explicit |G| x |G| projection matrices (cyclic groups: numpy's 2-D FFT for
the neuron spectrum), the S_4 and S_5 characters come from the published character tables
(classes by cycle type) and the D_n characters from the irreps' definitions, not from IrrepScope.

Usage (torch is needed here only to read the .pt files):

    python3 scripts/attribution_reference.py            # writes data/expected/attribution-*.json
    python3 scripts/attribution_reference.py s5-quadratic-final   # only the runs named
    python3 scripts/attribution_reference.py --time FILE.npz S5   # benchmark peer (no output)

The pairs subset used for the "on pairs" losses is data/attribution-pairs-c71.json (written
by this script with numpy's default_rng(13), 30% of the pairs, if it is missing).
"""
import itertools
import json
import math
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THRESHOLD = 0.005


# ---------------------------------------------------------------- groups

def cyclic(n):
    elems = list(range(n))
    mul = np.array([[(a + b) % n for b in elems] for a in elems])
    # Real components: frequency k, character sum 2cos (1 for k = 0 and k = n/2).
    chars = []
    for k in range(n // 2 + 1):
        w = 1.0 if (k == 0 or 2 * k == n) else 2.0
        chars.append((w * np.cos(2 * np.pi * k * np.arange(n) / n), 1))
    return mul, chars, [str(k) for k in range(n // 2 + 1)]


def dihedral(n):
    """D_n of order 2n: element k + n*j is r^k s^j, r^a s^i * r^b s^j = r^(a + (-1)^i b) s^(i+j)
    (docs/conventions.md). Characters from the irreps' definitions (Serre, Linear
    Representations of Finite Groups, 5.3): A1 trivial; A2 is -1 on the reflections; for even n
    B1 (r -> -1, s -> 1) and B2 (r -> -1, s -> -1); E_j, 1 <= j < n/2, the rotation by 2*pi*j/n
    and a reflection, with character 2cos(2*pi*j*k/n) on r^k and 0 on the reflections."""
    N = 2 * n
    k = np.arange(N) % n
    refl = np.arange(N) >= n
    mul = np.array([[((x % n) + (1 - 2 * (x // n)) * (y % n)) % n + n * ((x // n + y // n) % 2)
                     for y in range(N)] for x in range(N)])
    chars, labels = [(np.ones(N), 1), (np.where(refl, -1.0, 1.0), 1)], ["A1", "A2"]
    if n % 2 == 0:
        alt = np.where(k % 2 == 0, 1.0, -1.0)
        chars += [(alt, 1), (alt * np.where(refl, -1.0, 1.0), 1)]
        labels += ["B1", "B2"]
    for j in range(1, (n + 1) // 2):
        chars.append((np.where(refl, 0.0, 2 * np.cos(2 * np.pi * j * k / n)), 2))
        labels.append("E%d" % j)
    return mul, chars, labels


def cycle_type(p):
    seen, parts = set(), []
    for i in range(len(p)):
        if i in seen:
            continue
        j, length = i, 0
        while j not in seen:
            seen.add(j)
            j = p[j]
            length += 1
        parts.append(length)
    return tuple(sorted(parts, reverse=True))


def symmetric(n):
    """S_n in itertools.permutations order, (g·h)(x) = g(h(x)); characters for n = 4 and 5
    from the published tables (James & Kerber; rows [n], …, [1^n])."""
    perms = list(itertools.permutations(range(n)))
    index = {p: i for i, p in enumerate(perms)}
    mul = np.array([[index[tuple(g[h[x]] for x in range(n))] for h in perms] for g in perms])
    types = [cycle_type(p) for p in perms]
    if n == 4:
        classes = [(1, 1, 1, 1), (2, 1, 1), (2, 2), (3, 1), (4,)]
        table = {  # irrep: values on the classes above
            "[4]": [1, 1, 1, 1, 1],
            "[3,1]": [3, 1, -1, 0, -1],
            "[2,2]": [2, 0, 2, -1, 0],
            "[2,1,1]": [3, -1, -1, 0, 1],
            "[1,1,1,1]": [1, -1, 1, 1, -1],
        }
    elif n == 5:
        classes = [(1, 1, 1, 1, 1), (2, 1, 1, 1), (2, 2, 1), (3, 1, 1), (3, 2), (4, 1), (5,)]
        table = {
            "[5]": [1, 1, 1, 1, 1, 1, 1],
            "[4,1]": [4, 2, 0, 1, -1, 0, -1],
            "[3,2]": [5, 1, 1, -1, 1, -1, 0],
            "[3,1,1]": [6, 0, -2, 0, 0, 0, 1],
            "[2,2,1]": [5, -1, 1, -1, -1, 1, 0],
            "[2,1,1,1]": [4, -2, 0, 1, 1, 0, -1],
            "[1,1,1,1,1]": [1, -1, 1, 1, -1, -1, 1],
        }
    else:
        raise SystemExit("only S_4 and S_5 are tabulated here")
    chars = []
    for label, row in table.items():
        values = np.array([row[classes.index(t)] for t in types], dtype=float)
        chars.append((values, int(row[0])))
    return mul, chars, list(table.keys())


# ---------------------------------------------------------------- networks

def load(path):
    import torch
    d = torch.load(path, map_location="cpu", weights_only=False)
    sd = d["model"]
    u = sd["embed_a.weight"].double().numpy()
    v = sd["embed_b.weight"].double().numpy()
    w = sd["unembed.weight"].double().numpy()
    return u, v, w  # |G| x m each


def load_universality(path):
    """A whole pickled OneLayerMLP of the universality study's layout (W_x, W_y (|G|, d),
    W (2d, m), W_U (m, |G|); examples/train/train_universality_mlp.py): u = W_x @ W[:d],
    v = W_y @ W[d:], w = W_U^T. The pickle names the class __main__.OneLayerMLP; an empty
    nn.Module subclass of that name stands in for it (its state is only tensors)."""
    import __main__
    import torch
    if not hasattr(__main__, "OneLayerMLP"):
        __main__.OneLayerMLP = type("OneLayerMLP", (torch.nn.Module,), {})
    model = torch.load(path, map_location="cpu", weights_only=False)
    sd = {k: t.double().numpy() for k, t in model.state_dict().items()}
    d = sd["W_x"].shape[1]
    return sd["W_x"] @ sd["W"][:d], sd["W_y"] @ sd["W"][d:], sd["W_U"].T


def activation(name):
    return {"quadratic": lambda x: x * x, "relu": lambda x: np.maximum(x, 0)}[name]


def cross_entropy(logits, labels):
    """Mean over the leading axes of log-sum-exp minus the label's logit."""
    mx = logits.max(axis=-1, keepdims=True)
    lse = (mx[..., 0] + np.log(np.exp(logits - mx).sum(axis=-1)))
    picked = np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
    return lse - picked


def projection(mul, inv, chi, d):
    """P[x, y] = (d/|G|) chi(y^-1 x): the projection on a real isotypic component."""
    n = len(inv)
    return np.array([[d / n * chi[mul[inv[y], x]] for y in range(n)] for x in range(n)])


def logit_level(L, mul, chars, labels_of, pairs=None):
    """The logit-level attribution of logits L (a, b, c): similarities, key components,
    restricted and excluded losses (all pairs and on `pairs`)."""
    n = len(mul)
    inv = np.array([int(np.where(mul[a] == 0)[0][0]) for a in range(n)])
    Lc = L - L.mean(axis=2, keepdims=True)
    label = mul                                          # c = a·b (right-to-left: mul[a, b])
    g_c_inv = mul[:, inv]                                # [g, c] = g·c^-1
    # Character cubes T(a, b, c) = chi(a·b·c^-1).
    abc = g_c_inv[label]                                 # (a, b, c) -> element a·b·c^-1
    normL = np.sqrt((Lc ** 2).sum())
    comps = []
    alphas = []
    for (chi, d) in chars:
        Tc = chi[abc]
        inner = (Lc * Tc).sum()
        tt = (Tc ** 2).sum()
        comps.append({"s": inner / (normL * np.sqrt(tt)), "alpha": inner / tt, "cube": Tc})
    key = [c["s"] > THRESHOLD for c in comps]
    restricted = sum(c["alpha"] * c["cube"] for c, k in zip(comps, key) if k) if any(key) else np.zeros_like(Lc)
    excluded = Lc - restricted
    out = {
        "loss": float(cross_entropy(Lc, label).mean()),
        "restricted_loss": float(cross_entropy(restricted, label).mean()),
        "excluded_loss": float(cross_entropy(excluded, label).mean()),
        "key_components": [labels_of[r] for r in range(len(chars)) if key[r]],
        "components": [],
    }
    if pairs is not None:
        pa, pb = pairs[:, 0], pairs[:, 1]
        lab = label[pa, pb]
        out["pairs"] = {
            "count": int(len(pairs)),
            "loss": float(cross_entropy(Lc[pa, pb], lab).mean()),
            "restricted_loss": float(cross_entropy(restricted[pa, pb], lab).mean()),
            "excluded_loss": float(cross_entropy(excluded[pa, pb], lab).mean()),
        }
        # The network's loss on the pairs the list leaves out (the test loss, when it lists
        # the training pairs).
        other = np.ones((n, n), dtype=bool)
        other[pa, pb] = False
        out["pairs"]["other_count"] = int(other.sum())
        out["pairs"]["other_loss"] = float(cross_entropy(Lc, label)[other].mean()) if other.any() else None
    return out, comps, key, Lc, label


def analyze(u, v, w, act, mul, chars, labels_of, pairs=None, cyclic_group=False):
    """The paper's network h_i(a, b) = sigma(u_i[a] + v_i[b]), logits L = H w^T."""
    sigma = activation(act)
    H = sigma(u[:, None, :] + v[None, :, :])           # (a, b, i)
    L = H @ w.T                                          # (a, b, c)
    return attribute(L, H, [u, v], w, mul, chars, labels_of, pairs, cyclic_group)


def attribute(L, H, inputs, w, mul, chars, labels_of, pairs=None, cyclic_group=False):
    """Every measure from the logits L (a, b, c), the hidden activations H (a, b, i), the input
    roles (each |G| x m; their shares taken together) and the unembedding w (|G| x m)."""
    n, m = len(mul), H.shape[2]
    inv = np.array([int(np.where(mul[a] == 0)[0][0]) for a in range(n)])
    out, comps, key, Lc, label = logit_level(L, mul, chars, labels_of, pairs)
    # Embedding shares with explicit projections.
    P = [projection(mul, inv, chi, d) for (chi, d) in chars]
    def share(X):
        total = (X ** 2).sum()
        return [float(((Pr @ X) ** 2).sum() / total) for Pr in P]
    emb = share(np.concatenate(inputs, axis=1))
    unemb = share(w)
    # Hidden neurons.
    Hc = H - H.mean(axis=(0, 1), keepdims=True)
    var = (Hc ** 2).sum(axis=(0, 1))
    K = len(chars)
    if cyclic_group:
        F = np.abs(np.fft.fft2(Hc, axes=(0, 1))) ** 2 / (n * n)    # (k1, k2, i)
        freq = np.minimum(np.arange(n), n - np.arange(n))
        blocks = np.zeros((K, K, m))
        for k1 in range(n):
            for k2 in range(n):
                blocks[freq[k1], freq[k2]] += F[k1, k2]
    else:
        # An orthonormal basis of each isotypic subspace: the eigenvectors of P_rho with
        # eigenvalue 1 (numpy's eigh), then Q^T H Q over both arguments.
        Qs, owner = [], []
        for r, Pr in enumerate(P):
            vals, vecs = np.linalg.eigh((Pr + Pr.T) / 2)
            keep = vecs[:, vals > 0.5]
            Qs.append(keep)
            owner += [r] * keep.shape[1]
        Q = np.concatenate(Qs, axis=1)
        owner = np.array(owner)
        Y = np.tensordot(np.tensordot(Q, Hc, axes=(0, 0)), Q, axes=(1, 0))   # (c, i, c')
        Y2 = Y ** 2
        blocks = np.zeros((K, K, m))
        for r in range(K):
            for s in range(K):
                blocks[r, s] = Y2[owner == r][:, :, owner == s].sum(axis=(0, 2))
    # f_i(g): mean of h~ over the pairs with product g.
    f = np.zeros((n, m))
    for a in range(n):
        for b in range(n):
            f[label[a, b]] += Hc[a, b]
    f /= n
    hidden = []
    for i in range(m):
        if var[i] <= 1e-300:
            hidden.append({"component": None, "fraction": None, "product_share": None})
            continue
        scores = [blocks[r, 0, i] + blocks[0, r, i] + blocks[r, r, i] for r in range(1, K)]
        best = 1 + int(np.argmax(scores))
        ps = n * ((P[best] @ f[:, i]) ** 2).sum() / var[i]
        hidden.append({"component": labels_of[best], "fraction": float(scores[best - 1] / var[i]),
                       "product_share": float(ps)})
    counts = [sum(1 for h in hidden if h["component"] == labels_of[r]) for r in range(K)]
    for r, c in enumerate(comps):
        rl = c["alpha"] * c["cube"]
        entry = {
            "label": labels_of[r],
            "logit_similarity": float(c["s"]),
            "key": bool(key[r]),
            "restricted_loss": float(cross_entropy(rl, label).mean()),
            "excluded_loss": float(cross_entropy(Lc - rl, label).mean()),
            "embedding_share": emb[r],
            "unembedding_share": unemb[r],
            "neurons": counts[r],
        }
        if pairs is not None:
            pa, pb = pairs[:, 0], pairs[:, 1]
            lab = label[pa, pb]
            entry["restricted_loss_on_pairs"] = float(cross_entropy(rl[pa, pb], lab).mean())
            entry["excluded_loss_on_pairs"] = float(cross_entropy((Lc - rl)[pa, pb], lab).mean())
        out["components"].append(entry)
    out["hidden"] = hidden
    return out


def pairs_file(name):
    with open(os.path.join(ROOT, "data", name)) as fh:
        return np.array(json.load(fh), dtype=int)


def pairs_fixture(n):
    path = os.path.join(ROOT, "data", "attribution-pairs-c71.json")
    if not os.path.exists(path):
        rng = np.random.default_rng(13)
        all_pairs = [(a, b) for a in range(n) for b in range(n)]
        pick = rng.permutation(len(all_pairs))[: int(0.3 * len(all_pairs))]
        chosen = sorted(all_pairs[k] for k in pick)
        with open(path, "w") as fh:
            json.dump([list(p) for p in chosen], fh, separators=(",", ":"))
            fh.write("\n")
    with open(path) as fh:
        return np.array(json.load(fh), dtype=int)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--time":
        # Benchmark peer (Benchmarks/attribution.sh): the attribution of the network in an .npz
        # file (embed_a, embed_b, unembed: |G| x m), quadratic activation; prints nothing.
        path, name = sys.argv[2], sys.argv[3]
        if name.startswith("C"):
            (mul, chars, labels), cyc = cyclic(int(name[1:])), True
        else:
            (mul, chars, labels), cyc = symmetric(int(name[1:])), False
        z = np.load(path)
        u, v, w = (z[k].astype(np.float64) for k in ("embed_a.weight", "embed_b.weight", "unembed.weight"))
        analyze(u, v, w, "quadratic", mul, chars, labels, cyclic_group=cyc)
        return
    # (name, activation, group (built only for the runs asked for), cyclic, pairs: True = the
    # C_71 fixture, a file name, or None)
    runs = [
        ("c71-quadratic-final", "quadratic", lambda: cyclic(71), True, True),
        ("c71-relu-final", "relu", lambda: cyclic(71), True, None),
        ("s4-quadratic-final", "quadratic", lambda: symmetric(4), False, None),
        ("s5-quadratic-final", "quadratic", lambda: symmetric(5), False, None),
        ("universality-c113-final", "relu", lambda: cyclic(113), True, "universality-c113-train-pairs.json"),
        ("universality-d59-final", "relu", lambda: dihedral(59), False, "universality-d59-train-pairs.json"),
        # Two checkpoints along the same D_59 run (data/universality-d59-run/): memorizing
        # (epoch 3000) and just after generalizing (epoch 30,000).
        ("universality-d59-run/epoch_3000", "relu", lambda: dihedral(59), False, "universality-d59-train-pairs.json"),
        ("universality-d59-run/epoch_30000", "relu", lambda: dihedral(59), False, "universality-d59-train-pairs.json"),
    ]
    only = set(sys.argv[1:])   # e.g. s5-quadratic-final: only those
    if not only or "transformer-p53-final" in only:
        # The transformer of issue 12: logits and the MLP's activations at the last position
        # from scripts/transformer_expected.py's numpy forward pass; its input role u = W_in·W_E
        # over the group tokens and its readout w = W_U·W_out over the group outputs (the
        # roles docs/networks.md names for this layout).
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        import transformer_expected
        logits, p, g, hidden = transformer_expected.forward(os.path.join(ROOT, "data", "transformer-p53-final.pt"),
                                                            with_hidden=True)
        P = "blocks.0."
        u = (g[P + "mlp.W_in"] @ g["embed.W_E"][:, :p]).T          # (p, d_mlp)
        w = g["unembed.W_U"][:, :p].T @ g[P + "mlp.W_out"]          # (p, d_mlp)
        mul, chars, labels = cyclic(p)
        res = attribute(logits.reshape(p, p, p), hidden.reshape(p, p, -1), [u], w, mul, chars,
                        list(range(p // 2 + 1)), pairs=pairs_file("transformer-p53-train-pairs.json"),
                        cyclic_group=True)
        res.update(file="data/transformer-p53-final.pt", activation="relu", threshold=THRESHOLD,
                   made_by="python3 scripts/attribution_reference.py (numpy %s)" % np.__version__)
        path = os.path.join(ROOT, "data", "expected", "attribution-transformer-p53-final.json")
        with open(path, "w") as fh:
            json.dump(res, fh, indent=1)
            fh.write("\n")
        print("wrote", path, "key:", res["key_components"])
    for name, act, make_group, cyc, with_pairs in runs:
        if only and name not in only:
            continue
        mul, chars, labels = make_group()
        path = os.path.join(ROOT, "data", name + ".pt")
        u, v, w = load_universality(path) if name.startswith("universality") else load(path)
        if with_pairs is True:
            pairs = pairs_fixture(len(mul))
        else:
            pairs = pairs_file(with_pairs) if with_pairs else None
        labels_out = [int(l) for l in labels] if cyc else labels
        res = analyze(u, v, w, act, mul, chars, labels_out, pairs=pairs, cyclic_group=cyc)
        res["file"] = f"data/{name}.pt"
        res["activation"] = act
        res["threshold"] = THRESHOLD
        res["made_by"] = "python3 scripts/attribution_reference.py (numpy %s)" % np.__version__
        # A checkpoint in a run directory: "run/step" -> attribution-run--step.json.
        path = os.path.join(ROOT, "data", "expected", "attribution-%s.json" % name.replace("/", "--"))
        with open(path, "w") as fh:
            json.dump(res, fh, indent=1)
            fh.write("\n")
        print("wrote", path, "key:", res["key_components"], "loss %.6g restricted %.6g excluded %.6g"
              % (res["loss"], res["restricted_loss"], res["excluded_loss"]))


if __name__ == "__main__":
    main()
