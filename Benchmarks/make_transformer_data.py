"""The transformer of the transformer benchmark (transformer.sh): p = 113, the progress-measures
layout (docs/networks.md §6), d_model 128, 4 heads of 32, d_mlp 512, one block, random weights
at the scale of that code's initialization, float32, saved as .npz into the directory given."""
import os, sys
import numpy as np

d = sys.argv[1]
f = os.path.join(d, "transformer-p113.npz")
if not os.path.exists(f):
    rng = np.random.default_rng(7)
    p, dm, h, e, m = 113, 128, 4, 32, 512
    r = lambda *s, scale: (scale * rng.standard_normal(s)).astype(np.float32)
    np.savez(f, **{
        "embed.W_E": r(dm, p + 1, scale=dm ** -0.5), "pos_embed.W_pos": r(3, dm, scale=dm ** -0.5),
        "blocks.0.attn.W_Q": r(h, e, dm, scale=dm ** -0.5), "blocks.0.attn.W_K": r(h, e, dm, scale=dm ** -0.5),
        "blocks.0.attn.W_V": r(h, e, dm, scale=dm ** -0.5), "blocks.0.attn.W_O": r(dm, h * e, scale=dm ** -0.5),
        "blocks.0.mlp.W_in": r(m, dm, scale=dm ** -0.5), "blocks.0.mlp.b_in": np.zeros(m, np.float32),
        "blocks.0.mlp.W_out": r(dm, m, scale=dm ** -0.5), "blocks.0.mlp.b_out": np.zeros(dm, np.float32),
        "unembed.W_U": r(dm, p + 1, scale=(p + 1) ** -0.5)})
