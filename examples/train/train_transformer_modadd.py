"""Train a one-layer transformer on modular addition in the progress-measures layout.

The network is the one of docs/networks.md §6 as the progress-measures code lays it out
(Nanda et al. 2023): embed.W_E stored (d_model, p+1), pos_embed.W_pos (3, d_model), per-head
W_Q/W_K/W_V (heads, d_head, d_model), W_O (d_model, heads*d_head), causal attention scaled
by 1/sqrt(d_head), a ReLU MLP with biases, unembed.W_U (d_model, p+1), no LayerNorm. The
module is written here from those equations (no code of that repository is copied).

Input [a, b, =] with the '=' token id p; the label (a + b) mod p is read at the last position;
the loss is the cross-entropy over all p+1 outputs (as the paper's code does). Full batch
over a random train fraction of the p^2 pairs, AdamW (lr 1e-3, weight decay 1, betas
(0.9, 0.98)), CPU, one thread. Saves init and final checkpoints as
{'model': state_dict, 'train_losses': [...], 'test_losses': [...], 'epoch': N, 'config': {...}}
in float32.

    python3 examples/train/train_transformer_modadd.py --p 53 --epochs 20000 --seed 0 --out runs/transformer-p53

Also writes <out>/train_pairs.json, the training pairs ([[a, b], ...], sorted) for
`irrepscope analyze/batch --pairs`. With --save-every N it also saves epoch_N.pt every N epochs
(a training run for `irrepscope batch`); the training itself is the same.
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

torch.set_num_threads(1)


class OneLayerTransformer(nn.Module):
    def __init__(self, p, d_model, heads, d_mlp, n_ctx=3):
        super().__init__()
        d_vocab = p + 1
        d_head = d_model // heads
        self.heads, self.d_head = heads, d_head
        self.embed = nn.Module()
        self.embed.W_E = nn.Parameter(torch.randn(d_model, d_vocab) / math.sqrt(d_model))
        self.pos_embed = nn.Module()
        self.pos_embed.W_pos = nn.Parameter(torch.randn(n_ctx, d_model) / math.sqrt(d_model))
        block = nn.Module()
        block.attn = nn.Module()
        for name in ("W_K", "W_Q", "W_V"):
            setattr(block.attn, name, nn.Parameter(torch.randn(heads, d_head, d_model) / math.sqrt(d_model)))
        block.attn.W_O = nn.Parameter(torch.randn(d_model, heads * d_head) / math.sqrt(d_model))
        block.attn.register_buffer("mask", torch.tril(torch.ones(n_ctx, n_ctx)))
        block.mlp = nn.Module()
        block.mlp.W_in = nn.Parameter(torch.randn(d_mlp, d_model) / math.sqrt(d_model))
        block.mlp.b_in = nn.Parameter(torch.zeros(d_mlp))
        block.mlp.W_out = nn.Parameter(torch.randn(d_model, d_mlp) / math.sqrt(d_model))
        block.mlp.b_out = nn.Parameter(torch.zeros(d_model))
        self.blocks = nn.ModuleList([block])
        self.unembed = nn.Module()
        self.unembed.W_U = nn.Parameter(torch.randn(d_model, d_vocab) / math.sqrt(d_vocab))

    def forward(self, tokens):
        """Logits at the last position, (B, d_vocab). With one block only the last position's
        residual reaches these logits, so the query, the attention output and the MLP are
        computed there alone (keys and values at every position): the same function as the
        full causal pass, at a third of the cost."""
        x = self.embed.W_E.T[tokens] + self.pos_embed.W_pos[: tokens.shape[1]]      # (B, T, d)
        blk = self.blocks[0]
        at = blk.attn
        q = torch.einsum("hed,bd->bhe", at.W_Q, x[:, -1])
        k = torch.einsum("hed,btd->bhte", at.W_K, x)
        v = torch.einsum("hed,btd->bhte", at.W_V, x)
        # the last position attends to every position (causal mask row T-1 is all ones)
        scores = torch.einsum("bhe,bhke->bhk", q, k) / math.sqrt(self.d_head)
        z = torch.einsum("bhk,bhke->bhe", scores.softmax(-1), v).reshape(x.shape[0], -1)   # (B, h*e)
        r = x[:, -1] + z @ at.W_O.T
        hidden = F.relu(r @ blk.mlp.W_in.T + blk.mlp.b_in)
        r = r + hidden @ blk.mlp.W_out.T + blk.mlp.b_out
        return r @ self.unembed.W_U


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--p", type=int, default=53)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-mlp", type=int, default=512)
    ap.add_argument("--frac", type=float, default=0.4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=20000)
    ap.add_argument("--stop-after", type=int, default=1000,
                    help="stop this many epochs after the test accuracy first reaches 100%%")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--save-every", type=int, default=0,
                    help="also save a checkpoint every this many epochs (a multiple of --log-every), as "
                         "epoch_N.pt, for `irrepscope batch` (0: init and final only)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.save_every < 0 or (args.save_every and args.save_every % args.log_every):
        ap.error("--save-every must be 0 or a positive multiple of --log-every (%d)" % args.log_every)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    p = args.p
    model = OneLayerTransformer(p, args.d_model, args.heads, args.d_mlp)
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    tokens = torch.stack([a, b, torch.full_like(a, p)], 1)
    labels = (a + b) % p
    perm = torch.randperm(p * p)
    cut = int(args.frac * p * p)
    train, test = perm[:cut], perm[cut:]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd, betas=(0.9, 0.98))
    config = {k: v for k, v in vars(args).items()}
    config.update(layout="progress-measures", act_fn="relu", d_vocab=p + 1, n_ctx=3, d_head=args.d_model // args.heads,
                  task="(a + b) mod p, input [a, b, =], '=' token id p", torch=str(torch.__version__),
                  python=platform.python_version())

    def save(name, epoch, train_losses, test_losses):
        sd = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
        torch.save({"model": sd, "train_losses": train_losses, "test_losses": test_losses, "epoch": epoch,
                    "config": config, "train_indices": train.tolist()}, os.path.join(args.out, name))

    save("init.pt", 0, [], [])
    # The training pairs, sorted [a, b] (what `irrepscope analyze/batch --pairs` reads).
    with open(os.path.join(args.out, "train_pairs.json"), "w") as fh:
        json.dump(sorted([int(a[i]), int(b[i])] for i in train.tolist()), fh, separators=(",", ":"))
    train_losses, test_losses, log = [], [], []
    t0 = time.time()
    first_full = None
    for epoch in range(1, args.epochs + 1):
        logits = model(tokens[train])
        loss = F.cross_entropy(logits.double(), labels[train])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % args.log_every == 0 or epoch == args.epochs:
            with torch.no_grad():
                all_logits = model(tokens).double()
                test_loss = F.cross_entropy(all_logits[test], labels[test]).item()
                pred = all_logits[:, :p].argmax(-1)
                train_acc = (pred[train] == labels[train]).double().mean().item()
                test_acc = (pred[test] == labels[test]).double().mean().item()
            train_losses.append(round(loss.item(), 8))
            test_losses.append(round(test_loss, 8))
            row = dict(epoch=epoch, train_loss=loss.item(), test_loss=test_loss, train_acc=train_acc,
                       test_acc=test_acc, seconds=round(time.time() - t0, 1))
            log.append(row)
            print(json.dumps(row), flush=True)
            if args.save_every and epoch % args.save_every == 0:
                save("epoch_%d.pt" % epoch, epoch, list(train_losses), list(test_losses))
            if test_acc == 1.0 and first_full is None:
                first_full = epoch
            if first_full is not None and epoch >= first_full + args.stop_after:
                break
    config.update(seconds=round(time.time() - t0, 1), epochs_run=epoch, first_full_test_accuracy=first_full)
    save("final.pt", epoch, train_losses, test_losses)
    with open(os.path.join(args.out, "log.json"), "w") as f:
        json.dump({"config": config, "log": log}, f, indent=1)


if __name__ == "__main__":
    main()
