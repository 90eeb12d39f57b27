"""GELU fixtures for the one-hidden-layer families (issue 12): tiny networks trained by torch
with the exact GELU (torch F.gelu, erf) and its tanh approximation (approximate="tanh", the
`gelu_new` of TransformerLens), and a numpy reference of all their outputs written from the
equations (not from the Swift code, and not by calling any torch module):

    f(a, b)[c] = sum_i sigma(u_i[a] + v_i[b] + beta_i) * w_i[c] + beta'_c
    gelu(x)     = x/2 * (1 + erf(x / sqrt 2))
    gelu_new(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))

* `c7-concat-gelu-bias`, `c7-concat-gelu_new-bias`: a concatenated one-hot input
  nn.Linear(2n, m) with bias (u = W[:, :n], v = W[:, n:], beta its bias), nn.Linear(m, n) with
  bias (the MLP family);
* `c5-embeddings-gelu`, `c5-embeddings-gelu_new`: two embeddings and a bias-free output layer
  (the paper's layout: the one-hidden-layer family).

Labels c = (a + b) mod n. Run from the repository root: python3 scripts/make_gelu_mlp_fixtures.py
Writes Tests/AnalysisTests/Fixtures/mlp-gelu/*.pt (float32 state_dicts) and expected.json
(accuracy, margin, every logit f[a][b][c] of the float64 reference on the saved weights).
"""
import json, math, os
import numpy as np
import torch
from torch import nn

out = "Tests/AnalysisTests/Fixtures/mlp-gelu"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)


def torch_act(name):
    return (lambda x: nn.functional.gelu(x)) if name == "gelu" else (lambda x: nn.functional.gelu(x, approximate="tanh"))


class Concat(nn.Module):
    def __init__(self, n, m, act):
        super().__init__()
        self.fc1 = nn.Linear(2 * n, m, bias=True)
        self.fc2 = nn.Linear(m, n, bias=True)
        self.act = torch_act(act)

    def forward(self, a, b, n):
        x = torch.cat([nn.functional.one_hot(a, n), nn.functional.one_hot(b, n)], dim=1).to(self.fc1.weight.dtype)
        return self.fc2(self.act(self.fc1(x)))


class Embeds(nn.Module):
    def __init__(self, n, m, act):
        super().__init__()
        self.embed_a = nn.Embedding(n, m)
        self.embed_b = nn.Embedding(n, m)
        self.unembed = nn.Linear(m, n, bias=False)
        self.act = torch_act(act)

    def forward(self, a, b, n):
        return self.unembed(self.act(self.embed_a(a) + self.embed_b(b)))


def sigma(name, x):
    if name == "gelu":
        erf = np.vectorize(math.erf)
        return 0.5 * x * (1 + erf(x / math.sqrt(2)))
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def reference(sd, n, act, concat):
    """f (n, n, n) from the formula, on the saved weights in float64."""
    if concat:
        W1 = sd["fc1.weight"]                         # (m, 2n)
        u, v, beta = W1[:, :n].T, W1[:, n:].T, sd["fc1.bias"]
        W2, beta2 = sd["fc2.weight"], sd["fc2.bias"]  # (n, m), (n,)
    else:
        u, v, beta = sd["embed_a.weight"], sd["embed_b.weight"], np.zeros(sd["embed_a.weight"].shape[1])
        W2, beta2 = sd["unembed.weight"], np.zeros(n)
    h = sigma(act, u[:, None, :] + v[None, :, :] + beta)  # (n, n, m)
    return h @ W2.T + beta2


cases = [
    ("c7-concat-gelu-bias", 7, 24, "gelu", True),
    ("c7-concat-gelu_new-bias", 7, 24, "gelu_new", True),
    ("c5-embeddings-gelu", 5, 16, "gelu", False),
    ("c5-embeddings-gelu_new", 5, 16, "gelu_new", False),
]
expected = {"provenance": "scripts/make_gelu_mlp_fixtures.py (numpy float64 reference from the formula); "
                          f"torch {torch.__version__}, numpy {np.__version__}, seed 0", "networks": {}}
for name, n, m, act, concat in cases:
    a = torch.arange(n).repeat_interleave(n)
    b = torch.arange(n).repeat(n)
    y = (a + b) % n
    model = (Concat if concat else Embeds)(n, m, act).double()
    opt = torch.optim.AdamW(model.parameters(), lr=0.02, weight_decay=0.0)
    for _ in range(400):
        opt.zero_grad()
        nn.functional.cross_entropy(model(a, b, n), y).backward()
        opt.step()
    model = model.float()
    torch.save(model.state_dict(), os.path.join(out, name + ".pt"))
    sd = {k: v.double().numpy() for k, v in model.state_dict().items()}
    f = reference(sd, n, act, concat)
    # torch's own float64 forward on the same weights agrees (a check of the script, not a reference)
    with torch.no_grad():
        ft = model.double()(a, b, n).numpy().reshape(n, n, n)
    assert np.allclose(f, ft, rtol=1e-12, atol=1e-12), (name, np.abs(f - ft).max())
    labels = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n
    target = np.take_along_axis(f, labels[:, :, None], 2)[:, :, 0]
    others = f.copy()
    np.put_along_axis(others, labels[:, :, None], -np.inf, 2)
    margins = target - others.max(2)
    expected["networks"][name] = {"group": f"C{n}", "activation": act, "family": "MLP" if concat else "one hidden layer",
                                  "width": m, "accuracy": float((margins > 0).mean()), "margin": float(margins.min()),
                                  "logits": f.reshape(-1).tolist()}
    print(name, "accuracy", float((margins > 0).mean()), "margin", float(margins.min()))
with open(os.path.join(out, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1)
