"""Fixtures for the transformer family (issue 12): small transformers saved by torch in the
two layouts of docs/networks.md §6, and a numpy reference of their outputs written from the
equations of that section (not from the Swift code, and not by calling any torch module):

    x_p = W_E[t_p] + W_pos[p]                              tokens t = [a, b, =] (or [a, b])
    per block:  y = LN1(x);  q_h = W_Q[h] y + b_Q[h], k_h, v_h alike
                A_h = softmax_causal(q_h k_h^T / sqrt(e));  z_h = A_h v_h
                x += W_O concat_h(z_h) + b_O
                x += W_out sigma(W_in LN2(x) + b_in) + b_out
    logits = W_U LN_final(x_last) + b_U, the first |G| outputs
    LN(x) = (x - mean x) / sqrt(var x + 1e-5) * w + b   (biased variance)

The reference runs the full causal pass at every position in float64 on the tensors as the
layout stores them. Labels: c = (a + b) mod n for C_n; for S_3 the lexicographic permutations
composed right to left, (g.h)(x) = g(h(x)) (docs/conventions.md §2).

Run from the repository root: python3 scripts/make_transformer_fixtures.py
Writes Tests/AnalysisTests/Fixtures/transformer/*.pt and expected.json.

The TransformerLens fixtures are state_dicts with HookedTransformer's key names and shapes
(docs/formats.md; buffers attn.mask and attn.IGNORE included) and a `cfg` dict holding
`act_fn`, as research code saves them; TransformerLens itself is not needed.
"""
import itertools, json, math, os
import numpy as np
import torch

out = "Tests/AnalysisTests/Fixtures/transformer"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(12)


def group(name):
    if name[0] == "C":
        n = int(name[1:])
        return n, np.add.outer(np.arange(n), np.arange(n)) % n
    perms = list(itertools.permutations(range(3)))
    idx = {p: i for i, p in enumerate(perms)}
    tab = np.array([[idx[tuple(g[h[x]] for x in range(3))] for h in perms] for g in perms])
    return 6, tab


def act(name, x):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "gelu":
        from math import erf
        return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))
    if name == "gelu_new":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    raise ValueError(name)


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def reference(sd, layout, n, act_fn, blocks, equals):
    """Logits (n*n, n), last-block MLP activations at the last position (n*n, d_mlp), and the
    last block's attention weights from the last position to positions 0 and 1 (n*n, heads, 2)."""
    g = {k: v.double().numpy() for k, v in sd.items() if v.dtype.is_floating_point}
    WE = g["embed.W_E"] if layout == "tl" else g["embed.W_E"].T           # (V, d)
    a = np.repeat(np.arange(n), n)
    b = np.tile(np.arange(n), n)
    toks = [a, b] + ([np.full_like(a, equals)] if equals is not None else [])
    T = len(toks)
    x = np.stack([WE[t] + g["pos_embed.W_pos"][p] for p, t in enumerate(toks)], 1)   # (P, T, d)
    hidden = None
    for l in range(blocks):
        p = f"blocks.{l}."
        y = layer_norm(x, g[p + "ln1.w"], g[p + "ln1.b"]) if p + "ln1.w" in g else x
        if layout == "tl":
            q = np.einsum("ptd,hde->phte", y, g[p + "attn.W_Q"]) + g[p + "attn.b_Q"][None, :, None, :]
            k = np.einsum("ptd,hde->phte", y, g[p + "attn.W_K"]) + g[p + "attn.b_K"][None, :, None, :]
            v = np.einsum("ptd,hde->phte", y, g[p + "attn.W_V"]) + g[p + "attn.b_V"][None, :, None, :]
        else:
            q = np.einsum("ptd,hed->phte", y, g[p + "attn.W_Q"])
            k = np.einsum("ptd,hed->phte", y, g[p + "attn.W_K"])
            v = np.einsum("ptd,hed->phte", y, g[p + "attn.W_V"])
        e = q.shape[-1]
        s = np.einsum("phqe,phke->phqk", q, k) / math.sqrt(e)
        s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        A = s / s.sum(-1, keepdims=True)
        last_attention = A[:, :, -1, :2]
        z = np.einsum("phqk,phke->phqe", A, v)
        if layout == "tl":
            x = x + np.einsum("phqe,hed->pqd", z, g[p + "attn.W_O"]) + g[p + "attn.b_O"]
        else:
            zf = z.transpose(0, 2, 1, 3).reshape(x.shape[0], T, -1)
            x = x + np.einsum("pqf,df->pqd", zf, g[p + "attn.W_O"])
        y = layer_norm(x, g[p + "ln2.w"], g[p + "ln2.b"]) if p + "ln2.w" in g else x
        if layout == "tl":
            pre = y @ g[p + "mlp.W_in"] + g[p + "mlp.b_in"]
            h = act(act_fn, pre)
            x = x + h @ g[p + "mlp.W_out"] + g[p + "mlp.b_out"]
        else:
            pre = y @ g[p + "mlp.W_in"].T + g[p + "mlp.b_in"]
            h = act(act_fn, pre)
            x = x + h @ g[p + "mlp.W_out"].T + g[p + "mlp.b_out"]
        hidden = h[:, -1]
    xl = x[:, -1]
    if "ln_final.w" in g:
        xl = layer_norm(xl, g["ln_final.w"], g["ln_final.b"])
    logits = xl @ g["unembed.W_U"] + (g["unembed.b_U"] if "unembed.b_U" in g else 0)
    return logits[:, :n], hidden, last_attention


def randn(*shape, scale=1.0):
    return torch.tensor(rng.standard_normal(shape) * scale, dtype=torch.float32)


def make(layout, n, d, H, e, m, blocks, ln, vocab, outputs):
    # ln: True (ln1, ln2 and ln_final), False (none), or the set of those present
    ln = {"ln1", "ln2", "final"} if ln is True else (set() if ln is False else set(ln))
    sd = {}
    sd["embed.W_E"] = randn(vocab, d) if layout == "tl" else randn(d, vocab)
    sd["pos_embed.W_pos"] = randn(3, d, scale=0.5)
    for l in range(blocks):
        p = f"blocks.{l}."
        if "ln1" in ln:
            sd[p + "ln1.w"] = 1 + randn(d, scale=0.2); sd[p + "ln1.b"] = randn(d, scale=0.2)
        for w in "QKV":
            sd[p + f"attn.W_{w}"] = randn(H, d, e, scale=1 / math.sqrt(d)) if layout == "tl" else randn(H, e, d, scale=1 / math.sqrt(d))
        if layout == "tl":
            for w in "QKV":
                sd[p + f"attn.b_{w}"] = randn(H, e, scale=0.3)
            sd[p + "attn.W_O"] = randn(H, e, d, scale=1 / math.sqrt(H * e))
            sd[p + "attn.b_O"] = randn(d, scale=0.2)
        else:
            sd[p + "attn.W_O"] = randn(d, H * e, scale=1 / math.sqrt(H * e))
        sd[p + "attn.mask"] = torch.tril(torch.ones(3, 3))
        if layout == "tl":
            sd[p + "attn.IGNORE"] = torch.tensor(-1e5)
        if "ln2" in ln:
            sd[p + "ln2.w"] = 1 + randn(d, scale=0.2); sd[p + "ln2.b"] = randn(d, scale=0.2)
        if layout == "tl":
            sd[p + "mlp.W_in"] = randn(d, m, scale=1 / math.sqrt(d)); sd[p + "mlp.W_out"] = randn(m, d, scale=1 / math.sqrt(m))
        else:
            sd[p + "mlp.W_in"] = randn(m, d, scale=1 / math.sqrt(d)); sd[p + "mlp.W_out"] = randn(d, m, scale=1 / math.sqrt(m))
        sd[p + "mlp.b_in"] = randn(m, scale=0.3); sd[p + "mlp.b_out"] = randn(d, scale=0.2)
    if "final" in ln:
        sd["ln_final.w"] = 1 + randn(d, scale=0.2); sd["ln_final.b"] = randn(d, scale=0.2)
    sd["unembed.W_U"] = randn(d, outputs, scale=1 / math.sqrt(d))
    if layout == "tl":
        sd["unembed.b_U"] = randn(outputs, scale=0.2)
    return sd


# name, layout, group, d, heads, e, d_mlp, blocks, LayerNorm (all, none, or which), activation, how saved
cases = [
    ("pm-c7-relu", "pm", "C7", 16, 2, 8, 24, 1, False, "relu", "pm-wrapper"),
    ("pm-c11-gelu-2blocks", "pm", "C11", 24, 3, 8, 32, 2, False, "gelu", "pm-wrapper-config"),
    ("tl-c11-ln-gelu_new-2blocks", "tl", "C11", 20, 2, 10, 40, 2, True, "gelu_new", "tl-cfg"),
    ("tl-s3-relu", "tl", "S3", 12, 2, 6, 20, 1, False, "relu", "tl-plain"),
    ("tl-c7-ln-gelu-module", "tl", "C7", 16, 4, 4, 32, 1, True, "gelu", "module-prefix"),
    # one block without LN2 (IrrepScope's tabulated route): LN1 and LN_final with gelu_new, and
    # the progress-measures layout with the exact GELU
    ("tl-c5-ln1-lnfinal-gelu_new", "tl", "C5", 12, 3, 4, 16, 1, ("ln1", "final"), "gelu_new", "tl-cfg"),
    ("pm-c5-gelu", "pm", "C5", 12, 2, 6, 20, 1, False, "gelu", "pm-wrapper-config"),
]
expected = {"provenance": "scripts/make_transformer_fixtures.py (numpy float64 reference of docs/networks.md §6); "
                          f"torch {torch.__version__}, numpy {np.__version__}, rng seed 12", "networks": {}}
for name, layout, gname, d, H, e, m, blocks, ln, act_fn, how in cases:
    n, table = group(gname)
    vocab = n + 1
    outputs = n + 1 if layout == "pm" else n
    sd = make(layout, n, d, H, e, m, blocks, ln, vocab, outputs)
    if how == "pm-wrapper":
        obj = {"model": sd, "optimizer": {"state": {}, "param_groups": [{"lr": 1e-3, "weight_decay": 1.0}]},
               "train_losses": [4.0 - 0.001 * i for i in range(300)], "epoch": 300}
    elif how == "pm-wrapper-config":
        obj = {"model": sd, "config": {"act_fn": act_fn, "p": n, "d_model": d}, "train_losses": [1.0, 0.5]}
    elif how == "tl-cfg":
        obj = {"state_dict": sd, "cfg": {"act_fn": act_fn, "d_model": d, "n_layers": blocks, "normalization_type": "LN"}}
    elif how == "module-prefix":
        obj = {("module." + k): v for k, v in sd.items()}
    else:
        obj = sd
    torch.save(obj, os.path.join(out, name + ".pt"))
    logits, hidden, attention = reference(sd, layout, n, act_fn, blocks, n)
    labels = table.reshape(-1)
    P = n * n
    correct = logits.argmax(1) == labels
    others = logits.copy()
    others[np.arange(P), labels] = -np.inf
    margins = logits[np.arange(P), labels] - others.max(1)
    shifted = logits - logits.max(1, keepdims=True)
    loss = float(np.mean(np.log(np.exp(shifted).sum(1)) - shifted[np.arange(P), labels]))
    picks = [0, 1, P // 2, P - 1]
    expected["networks"][name] = {
        "group": gname, "layout": layout, "activation": act_fn, "blocks": blocks, "layer_norm": bool(ln),
        "d_model": d, "heads": H, "d_head": e, "d_mlp": m,
        "needs_activation_flag": how == "module-prefix",
        "accuracy": float(correct.mean()), "margin": float(margins.min()), "loss": loss,
        "logit_sum": float(logits.sum()), "logit_square_sum": float((logits ** 2).sum()),
        "hidden_sum": float(hidden.sum()), "hidden_square_sum": float((hidden ** 2).sum()),
        "selected_pairs": picks,
        "selected_logits": [logits[i].tolist() for i in picks],
        "selected_hidden": [hidden[i].tolist() for i in picks],
        # per head of the last block: mean and (population) standard deviation over the pairs of
        # the last position's attention to a, then to b
        "head_attention": [[float(attention[:, h, 0].mean()), float(attention[:, h, 0].std()),
                            float(attention[:, h, 1].mean()), float(attention[:, h, 1].std())] for h in range(H)],
    }
    # two-token variant of the first fixture: [a, b] without the = token
    if name == "pm-c7-relu":
        l2, h2, _ = reference(sd, layout, n, act_fn, blocks, None)
        expected["networks"][name]["no_equals"] = {"logit_sum": float(l2.sum()), "logit_square_sum": float((l2 ** 2).sum()),
                                                  "selected_logits": [l2[i].tolist() for i in picks]}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", len(cases), "fixtures to", out)
