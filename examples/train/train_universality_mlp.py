"""Train the one-layer ReLU MLP of the universality study on C_n or D_n, with that study's recipe.

The network (Chughtai, Chan, Nanda 2023, "a toy model of universality"; layout in
docs/networks.md): two embeddings W_x, W_y (|G|, d), a hidden matrix W (2d, m) applied to the
concatenation [W_x[a], W_y[b]], ReLU, and W_U (m, |G|); no biases:

    f(a, b) = ReLU([W_x[a], W_y[b]] @ W) @ W_U

which is the network of docs/theory.md §1 with u = W_x·W[:d], v = W_y·W[d:], w = W_Uᵀ. The
recipe is the one the study's configuration files record for its C_113 runs: d = 256,
m = 128, parameters drawn N(0, 1/fan_in) (randn/√d, randn/√(2d), randn/√m), AdamW with lr 1e-3,
weight decay 1, betas (0.9, 0.98), full batch on a random 30% of the |G|² pairs (the pairs
shuffled with the seed, the first 30% kept), 250,000 epochs, mean cross-entropy. This file is
written from those facts; no code of that repository is copied.

The forward pass computes [W_x[a], W_y[b]] @ W as (W_x @ W[:d])[a] + (W_y @ W[d:])[b] — the same
function and the same gradients, without a (pairs × 2d) matrix per step (a 100× cheaper step
on a CPU).

The whole module is saved with torch.save(model), as the study's code does (its
checkpoints are pickled nn.Module objects, not state_dicts): <out>/checkpoints/epoch_N.pt at
the epochs of --save-at, and <out>/model.pt at the end; <out>/cfg.json holds the recipe,
<out>/train_pairs.json the training pairs ([[a, b], ...], sorted), <out>/log.json the
train/test loss and accuracy every --log-every epochs.

    python3 examples/train/train_universality_mlp.py --n 113 --seed 1 --out runs/universality-c113
    python3 examples/train/train_universality_mlp.py --group dihedral --n 59 --seed 1 --out runs/universality-d59

With --group dihedral the task is composition in D_n (order 2n), element k + n*j standing for
r^k s^j and r^a s^i * r^b s^j = r^(a + (-1)^i b) s^(i + j): the numbering and product of the
study's dihedral group, and IrrepScope's default D_n order (docs/conventions.md), so that
`irrepscope analyze --group D59` needs no other flag. The C_113 hyperparameters are used
unchanged for D_n.
"""
import argparse
import json
import math
import os
import platform
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class OneLayerMLP(nn.Module):
    def __init__(self, n, embed_dim, hidden_dim):
        super().__init__()
        self.embed_dim = embed_dim
        self.W_x = nn.Parameter(torch.randn(n, embed_dim) / math.sqrt(embed_dim))
        self.W_y = nn.Parameter(torch.randn(n, embed_dim) / math.sqrt(embed_dim))
        self.W = nn.Parameter(torch.randn(2 * embed_dim, hidden_dim) / math.sqrt(2 * embed_dim))
        self.W_U = nn.Parameter(torch.randn(hidden_dim, n) / math.sqrt(hidden_dim))
        # A submodule, as in the study's class: the pickled module then records its σ.
        self.relu = nn.ReLU()

    def forward(self, a, b):
        d = self.embed_dim
        left = self.W_x @ self.W[:d]          # (|G|, m): the left input's pre-activation
        right = self.W_y @ self.W[d:]
        return self.relu(left[a] + right[b]) @ self.W_U


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--group", choices=["cyclic", "dihedral"], default="cyclic",
                    help="cyclic: C_n, labels (a + b) mod n; dihedral: D_n of order 2n (see above)")
    ap.add_argument("--n", type=int, default=113, help="C_n, or D_n (the n-gon's group, order 2n)")
    ap.add_argument("--embed-dim", type=int, default=256)
    ap.add_argument("--hidden-dim", type=int, default=128)
    ap.add_argument("--frac-train", type=float, default=0.3)
    ap.add_argument("--epochs", type=int, default=250000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=1000)
    ap.add_argument("--save-at", default="0,1000,3000,10000,30000,100000",
                    help="comma-separated epochs with a checkpoint (the last epoch always: model.pt)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    n = args.n if args.group == "cyclic" else 2 * args.n
    os.makedirs(os.path.join(args.out, "checkpoints"), exist_ok=True)

    model = OneLayerMLP(n, args.embed_dim, args.hidden_dim)
    # All pairs (a-major), shuffled with the seed; the first frac_train of them train.
    g = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(n * n, generator=g)
    a_all = torch.arange(n).repeat_interleave(n)[order]
    b_all = torch.arange(n).repeat(n)[order]
    if args.group == "cyclic":
        y_all = (a_all + b_all) % n
    else:
        # r^a s^i * r^b s^j = r^(a + (-1)^i b) s^(i + j); element k + n*j is r^k s^j.
        half = args.n
        ra, sa, rb, sb = a_all % half, a_all // half, b_all % half, b_all // half
        y_all = (ra + (1 - 2 * sa) * rb) % half + half * ((sa + sb) % 2)
    k = int(args.frac_train * n * n)
    tr, te = slice(0, k), slice(k, n * n)
    pairs = sorted([int(a), int(b)] for a, b in zip(a_all[tr], b_all[tr]))
    with open(os.path.join(args.out, "train_pairs.json"), "w") as fh:
        json.dump(pairs, fh, separators=(",", ":"))
        fh.write("\n")
    cfg = {"model": "OneLayerMLP", "group": "CyclicGroup" if args.group == "cyclic" else "DihedralGroup",
           "group_parameter": args.n,
           "layers": {"embed_dim": args.embed_dim, "hidden_dim": args.hidden_dim},
           "lr": args.lr, "weight_decay": args.weight_decay, "betas": [0.9, 0.98],
           "frac_train": args.frac_train, "seed": args.seed, "num_epochs": args.epochs,
           "activation": "relu"}
    with open(os.path.join(args.out, "cfg.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
        fh.write("\n")

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay, betas=(0.9, 0.98))
    save_at = {int(s) for s in args.save_at.split(",") if s}
    log = {"epoch": [], "train_loss": [], "test_loss": [], "train_acc": [], "test_acc": []}

    def record(epoch):
        with torch.no_grad():
            logits = model(a_all, b_all).double()
            losses = F.cross_entropy(logits, y_all, reduction="none")
            right = (logits.argmax(dim=1) == y_all).double()
        log["epoch"].append(epoch)
        log["train_loss"].append(float(losses[tr].mean()))
        log["test_loss"].append(float(losses[te].mean()))
        log["train_acc"].append(float(right[tr].mean()))
        log["test_acc"].append(float(right[te].mean()))

    start = time.time()
    for epoch in range(args.epochs + 1):
        if epoch % args.log_every == 0 or epoch == args.epochs:
            record(epoch)
            print(f"epoch {epoch}: train loss {log['train_loss'][-1]:.3e} test loss {log['test_loss'][-1]:.3e} "
                  f"test acc {log['test_acc'][-1]:.4f} ({time.time() - start:.0f} s)", flush=True)
        if epoch in save_at:
            torch.save(model, os.path.join(args.out, "checkpoints", f"epoch_{epoch}.pt"))
        if epoch == args.epochs:
            break
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(a_all[tr], b_all[tr]), y_all[tr])
        loss.backward()
        opt.step()
    torch.save(model, os.path.join(args.out, "model.pt"))
    log["wall_seconds"] = time.time() - start
    log["versions"] = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    with open(os.path.join(args.out, "log.json"), "w") as fh:
        json.dump(log, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
