"""Reference values for data/transformer-p53-{init,final}.pt (issue 12), from numpy alone:

* accuracy over all 53^2 pairs of a float64 forward pass of the progress-measures layout
  (docs/networks.md §6), full causal attention at every position;
* the embedding's power per frequency k (progress-measures paper: the Fourier norm of W_E
  over its p group-token rows): sum over the d_model directions of |DFT_k|^2, with k and
  p - k merged, k = 1..(p-1)/2; the key frequencies are the fewest, largest first, holding
  at least 90% of the non-trivial power (the definition of docs/networks.md §6).

Run from the repository root: python3 scripts/transformer_expected.py
Writes data/expected/transformer-p53.json.
"""
import json, math
import numpy as np
import torch


def forward(path, with_hidden=False):
    """The logits over the group outputs, (p^2, p) with row a*p + b, p and the weights; with
    with_hidden, also the MLP's activations at the last position, (p^2, d_mlp)."""
    sd = torch.load(path, weights_only=True)["model"]
    g = {k: v.double().numpy() for k, v in sd.items()}
    p = g["embed.W_E"].shape[1] - 1
    WE = g["embed.W_E"].T
    a = np.repeat(np.arange(p), p); b = np.tile(np.arange(p), p)
    toks = [a, b, np.full_like(a, p)]
    x = np.stack([WE[t] + g["pos_embed.W_pos"][i] for i, t in enumerate(toks)], 1)
    P = "blocks.0."
    q = np.einsum("ptd,hed->phte", x, g[P + "attn.W_Q"]); k = np.einsum("ptd,hed->phte", x, g[P + "attn.W_K"])
    v = np.einsum("ptd,hed->phte", x, g[P + "attn.W_V"])
    s = np.einsum("phqe,phke->phqk", q, k) / math.sqrt(q.shape[-1])
    s = np.where(np.tril(np.ones((3, 3), bool)), s, -np.inf)
    A = np.exp(s - s.max(-1, keepdims=True)); A /= A.sum(-1, keepdims=True)
    z = np.einsum("phqk,phke->phqe", A, v).transpose(0, 2, 1, 3).reshape(len(a), 3, -1)
    x = x + z @ g[P + "attn.W_O"].T
    hidden = np.maximum(x @ g[P + "mlp.W_in"].T + g[P + "mlp.b_in"], 0)
    x = x + hidden @ g[P + "mlp.W_out"].T + g[P + "mlp.b_out"]
    logits = (x[:, -1] @ g["unembed.W_U"])[:, :p]
    return (logits, p, g, hidden[:, -1]) if with_hidden else (logits, p, g)


def analyze(path):
    logits, p, g = forward(path)
    WE = g["embed.W_E"].T
    a = np.repeat(np.arange(p), p); b = np.tile(np.arange(p), p)
    acc = float((logits.argmax(1) == (a + b) % p).mean())
    F = np.fft.fft(WE[:p], axis=0)                      # (p, d)
    power = (np.abs(F) ** 2).sum(1)
    per = [float(power[kk] + power[p - kk]) for kk in range(1, (p - 1) // 2 + 1)]
    total = sum(per)
    order = sorted(range(len(per)), key=lambda i: (-per[i], i))
    key, cum = [], 0.0
    for i in order:
        if cum >= 0.9:
            break
        key.append(i + 1); cum += per[i] / total
    return {"accuracy": acc, "key_frequencies": key, "key_shares": [per[f - 1] / total for f in key]}


if __name__ == "__main__":
    out = {"provenance": "scripts/transformer_expected.py (numpy " + np.__version__ + ")",
           "final": analyze("data/transformer-p53-final.pt"), "init": analyze("data/transformer-p53-init.pt")}
    json.dump(out, open("data/expected/transformer-p53.json", "w"), indent=1)
    print(json.dumps(out))
