#!/usr/bin/env python3
"""The peer of the transformer benchmark: the forward pass of docs/networks.md §6 over all
113² inputs [a, b, =] with NumPy, vectorized with BLAS matmuls (np.einsum with optimize=True
and @), as a user would write it from the model's equations: embeddings, causal attention
at every position, ReLU MLP, logits at the last position; then accuracy and margin.
Usage: transformer_peer.py FILE.npz [float32|float64] (default float64, IrrepScope's precision)."""
import math, sys
import numpy as np

path = sys.argv[1]
dt = np.float32 if len(sys.argv) > 2 and sys.argv[2] == "float32" else np.float64
z = np.load(path)
g = {k: z[k].astype(dt) for k in z.files}
p = g["embed.W_E"].shape[1] - 1
a = np.repeat(np.arange(p), p); b = np.tile(np.arange(p), p)
tokens = np.stack([a, b, np.full_like(a, p)], 1)
x = g["embed.W_E"].T[tokens] + g["pos_embed.W_pos"][None]           # (P, 3, d)
P = "blocks.0."
H, e, d = g[P + "attn.W_Q"].shape
WQ = g[P + "attn.W_Q"].reshape(H * e, d).T; WK = g[P + "attn.W_K"].reshape(H * e, d).T; WV = g[P + "attn.W_V"].reshape(H * e, d).T
n2 = len(a)
x2 = x.reshape(n2 * 3, d)                                               # 2-D: one BLAS gemm per product
q = (x2 @ WQ).reshape(n2, 3, H, e); k = (x2 @ WK).reshape(n2, 3, H, e); v = (x2 @ WV).reshape(n2, 3, H, e)
s = np.einsum("pqhe,pkhe->phqk", q, k, optimize=True) / math.sqrt(e)
s = np.where(np.tril(np.ones((3, 3), bool)), s, -np.inf)
s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
zz = np.einsum("phqk,pkhe->pqhe", s, v, optimize=True).reshape(n2 * 3, H * e)
x2 = x2 + zz @ g[P + "attn.W_O"].T
x2 = x2 + np.maximum(x2 @ g[P + "mlp.W_in"].T + g[P + "mlp.b_in"], 0) @ g[P + "mlp.W_out"].T + g[P + "mlp.b_out"]
x = x2.reshape(n2, 3, d)
logits = (x[:, -1] @ g["unembed.W_U"])[:, :p]
labels = (a + b) % p
acc = (logits.argmax(1) == labels).mean()
other = logits.copy(); other[np.arange(len(a)), labels] = -np.inf
margin = (logits[np.arange(len(a)), labels] - other.max(1)).min()
print(f"accuracy {acc:.6f} margin {margin:.9g}")
