"""Fixtures for the MLP family (issue 12): small networks saved by torch, and the numpy
reference of their outputs written from the formula of the docs (not from the Swift code):

    f(a, b)[c] = sum_i sigma(u_i[a] + v_i[b] + beta_i) * w_i[c] + beta'_c

with u = W_in[:, :n], v = W_in[:, n:] for a concatenated one-hot input [onehot(a); onehot(b)].
Run from the repository root: python3 scripts/make_mlp_fixtures.py
Writes Tests/AnalysisTests/Fixtures/mlp/*.pt and expected.json (accuracy, margin, a few
logits, per network; labels c = (a + b) mod n for C_n, c = a*b right to left for S_3).
"""
import itertools, json, os
import numpy as np
import torch
from torch import nn

out = "Tests/AnalysisTests/Fixtures/mlp"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class Concat(nn.Module):
    def __init__(self, n, m, bias, act):
        super().__init__()
        self.fc1 = nn.Linear(2 * n, m, bias=bias)
        self.fc2 = nn.Linear(m, n, bias=bias)
        self.act = act

    def forward(self, a, b, n):
        x = torch.cat([nn.functional.one_hot(a, n), nn.functional.one_hot(b, n)], dim=1).double()
        h = self.fc1(x)
        h = torch.relu(h) if self.act == "relu" else h ** 2
        return self.fc2(h)


class Embeds(nn.Module):
    def __init__(self, n, m):
        super().__init__()
        self.embed_a = nn.Embedding(n, m)
        self.embed_b = nn.Embedding(n, m)
        self.unembed = nn.Linear(m, n, bias=True)

    def forward(self, a, b, n):
        return self.unembed((self.embed_a(a) + self.embed_b(b)) ** 2)


def s3_table():
    perms = list(itertools.permutations(range(3)))
    index = {p: i for i, p in enumerate(perms)}
    # right to left: (g*h)(x) = g(h(x))
    return np.array([[index[tuple(g[h[x]] for x in range(3))] for h in perms] for g in perms])


def labels(kind, n):
    if kind == "S3":
        return s3_table()
    return (np.arange(n)[:, None] + np.arange(n)[None, :]) % n


def train(model, n, table, steps):
    a = torch.arange(n).repeat_interleave(n)
    b = torch.arange(n).repeat(n)
    y = torch.tensor(table.reshape(-1))
    opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.0)
    model.double()
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(a, b, n), y)
        loss.backward()
        opt.step()
    return model


def reference(sd, n, act, concat):
    """numpy forward pass over all pairs from docs/theory.md §9's formula."""
    if concat:
        W1 = sd["fc1.weight"]              # (m, 2n)
        u, v = W1[:, :n].T, W1[:, n:].T    # (n, m)
        beta = sd.get("fc1.bias", np.zeros(W1.shape[0]))
        W2, beta2 = sd["fc2.weight"], sd.get("fc2.bias", np.zeros(n))
    else:
        u, v, beta = sd["embed_a.weight"], sd["embed_b.weight"], np.zeros(sd["embed_a.weight"].shape[1])
        W2, beta2 = sd["unembed.weight"], sd["unembed.bias"]
    pre = u[:, None, :] + v[None, :, :] + beta           # (n, n, m)
    h = np.maximum(pre, 0) if act == "relu" else pre ** 2
    return h @ W2.T + beta2                               # (n, n, n)


def measure(f, table):
    n = f.shape[0]
    correct, margin = 0, np.inf
    for a in range(n):
        for b in range(n):
            c = table[a, b]
            other = np.max(np.delete(f[a, b], c))
            g = f[a, b, c] - other
            correct += g > 0
            margin = min(margin, g)
    return correct / (n * n), margin


cases = [
    ("c11-concat-relu-bias", "C11", 11, 48, True, "relu", True, 1500),
    ("c7-concat-quadratic-nobias", "C7", 7, 24, False, "quadratic", True, 800),
    ("s3-embeddings-output-bias", "S3", 6, 16, None, "quadratic", False, 800),
]
expected = {}
for name, group, n, m, bias, act, concat, steps in cases:
    table = labels(group, n)
    model = Concat(n, m, bias, act) if concat else Embeds(n, m)
    model = train(model, n, table, steps)
    if concat and bias:
        # Move part of each neuron's pre-activation from the first input's weights into the
        # hidden bias: the function is the same, but a reader that drops the bias is wrong.
        with torch.no_grad():
            shift = 2 * model.fc1.weight[:, :n].std()
            model.fc1.weight[:, :n] -= shift
            model.fc1.bias += shift
    model = model.float()
    torch.save(model.state_dict(), os.path.join(out, name + ".pt"))
    sd = {k: v.double().numpy() for k, v in model.state_dict().items()}
    f = reference(sd, n, act, concat)
    acc, margin = measure(f, table)
    # The same network read as if its biases were absent (what a bias-blind reader computes).
    blind = dict(sd)
    for k in list(blind):
        if k.endswith("bias"):
            blind[k] = np.zeros_like(blind[k])
    acc0, _ = measure(reference(blind, n, act, concat), table)
    expected[name] = {"group": group, "activation": act, "accuracy": acc, "margin": margin,
                      "accuracy_without_biases": acc0,
                      "logits_a1_b2": f[1, 2].tolist(), "logits_a0_b0": f[0, 0].tolist()}
    print(name, "accuracy", acc, "margin", margin, "(biases ignored: accuracy %.4f)" % acc0)
with open(os.path.join(out, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1)
