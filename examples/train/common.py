"""Shared pieces of the IrrepScope example trainers (PyTorch, CPU).

Networks are exactly those of docs/theory.md section 1 (one hidden layer, no biases):

* group tasks:  f(a, b)[c] = sum_i sigma(u_i[a] + v_i[b]) * w_i[c]
  u_i = embed_a.weight[:, i], v_i = embed_b.weight[:, i], w_i = unembed.weight[:, i]
* sparse parity: f(x) = sum_i (u_i . x)^k * w_i
  u_i = hidden.weight[i, :], w_i = readout.weight[:, i]

The dataset is always the whole population, the loss is the mean cross-entropy over it
plus lambda * sum_i ||omega_i||_2^nu_reg (omega_i = concat(u_i, v_i, w_i), or (u_i, w_i)).
The logged normalized margin is h(theta) / sum_i ||omega_i||_2^nu (docs/theory.md §2), with
nu the homogeneity degree of the network, computed in float64.
"""
import itertools
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


# --------------------------------------------------------------------------- groups
def cyclic_table(p):
    """mult[a, b] = (a + b) mod p."""
    a = np.arange(p)
    return (a[:, None] + a[None, :]) % p


def symmetric_elements(n):
    """Permutations of {0..n-1} in lexicographic order (itertools.permutations order)."""
    return list(itertools.permutations(range(n)))


def symmetric_table(n):
    """mult[a, b] = index of g_a . g_b with (g . h)(x) = g(h(x))."""
    elems = symmetric_elements(n)
    index = {g: i for i, g in enumerate(elems)}
    N = len(elems)
    mult = np.zeros((N, N), dtype=np.int64)
    for i, g in enumerate(elems):
        for j, h in enumerate(elems):
            mult[i, j] = index[tuple(g[h[x]] for x in range(n))]
    return mult


def group_population(mult):
    N = mult.shape[0]
    a = torch.arange(N).repeat_interleave(N)      # a-major: pair index = a * N + b
    b = torch.arange(N).repeat(N)
    y = torch.as_tensor(mult.reshape(-1), dtype=torch.long)
    return a, b, y


def parity_population(n, support):
    """All 2^n inputs; input index j has x_t = 1 - 2 * ((j >> t) & 1); label index 0 for
    y = prod_{t in S} x_t = +1 and 1 for y = -1."""
    j = np.arange(2 ** n)
    bits = (j[:, None] >> np.arange(n)[None, :]) & 1
    x = 1.0 - 2.0 * bits
    yprod = np.prod(x[:, list(support)], axis=1)
    y = np.where(yprod > 0, 0, 1)
    return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)


# --------------------------------------------------------------------------- networks
class GroupNet(nn.Module):
    """f(a, b) = unembed(sigma(embed_a(a) + embed_b(b))), no biases."""

    def __init__(self, group_order, width, activation="quadratic"):
        super().__init__()
        self.embed_a = nn.Embedding(group_order, width)
        self.embed_b = nn.Embedding(group_order, width)
        self.unembed = nn.Linear(width, group_order, bias=False)
        self.activation = activation

    def forward(self, a, b):
        h = self.embed_a(a) + self.embed_b(b)
        h = h * h if self.activation == "quadratic" else F.relu(h)
        return self.unembed(h)

    def neuron_vectors(self):
        """omega_i rows: (m, 3|G|) = concat(u_i, v_i, w_i)."""
        return torch.cat([self.embed_a.weight.t(), self.embed_b.weight.t(), self.unembed.weight.t()], dim=1)


class ParityNet(nn.Module):
    """f(x) = readout((hidden(x))^k), no biases."""

    def __init__(self, n, width, k):
        super().__init__()
        self.hidden = nn.Linear(n, width, bias=False)
        self.readout = nn.Linear(width, 2, bias=False)
        self.k = k

    def forward(self, x):
        return self.readout(self.hidden(x) ** self.k)

    def neuron_vectors(self):
        return torch.cat([self.hidden.weight, self.readout.weight.t()], dim=1)


def init_normal_(model, std):
    """Re-initialize every weight N(0, std^2) (a common choice for these small nets)."""
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, std)


# --------------------------------------------------------------------------- theory
def gamma_star_cyclic(p):
    return math.sqrt(2.0 / 27.0) / (math.sqrt(p) * (p - 1))


def gamma_star_parity(k):
    return math.factorial(k) * math.sqrt(2.0 * (k + 1) ** (-(k + 1)))


def gamma_star_group(order, nontrivial_dims):
    return 2.0 / (3.0 * math.sqrt(3.0 * order)) / sum(d ** 2.5 for d in nontrivial_dims)


S4_NONTRIVIAL_DIMS = [3, 2, 3, 1]  # [3,1], [2,2], [2,1,1], [1^4]
S5_NONTRIVIAL_DIMS = [4, 5, 6, 5, 4, 1]


# --------------------------------------------------------------------------- metrics
def margin_stats(logits, y, neuron_vectors, nu):
    """Exact docs/theory.md §2 quantities in float64."""
    logits = logits.double()
    correct = logits.gather(1, y[:, None])[:, 0]
    other = logits.clone()
    other.scatter_(1, y[:, None], -float("inf"))
    margins = correct - other.max(dim=1).values
    h = margins.min().item()
    norm_nu = neuron_vectors.double().norm(dim=1).pow(nu).sum().item()
    acc = (logits.argmax(dim=1) == y).double().mean().item()
    return {"margin": h, "norm_nu": norm_nu, "normalized_margin": h / norm_nu, "train_accuracy": acc}


def float64_copy(model):
    m = __import__("copy").deepcopy(model)
    return m.double()


# --------------------------------------------------------------------------- training loop
def lr_at(step, base_lr, double_every, max_doublings):
    if double_every <= 0:
        return base_lr
    return base_lr * 2 ** min(max_doublings, step // double_every)


def checkpoint_steps(total, count):
    """count roughly geometric intermediate steps in (0, total)."""
    s = set()
    for i in range(1, count + 1):
        s.add(int(round(total ** (i / (count + 1)))))
    return sorted(x for x in s if 0 < x < total)


def versions():
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}


def save_checkpoint(path, model, step, config, extra=None):
    d = {"model": {k: v.detach().clone().float().contiguous() for k, v in model.state_dict().items()},
         "step": int(step), "config": config}
    if extra:
        d.update(extra)
    torch.save(d, path)


def train(model, forward_all, y, config, out_dir, run_name, nu, reg_power, reg_lambda, gamma_star,
          steps, base_lr, double_every=0, max_doublings=0, batch_size=None, n_checkpoints=10,
          log_every=100, seed=0, extra=None):
    """Full-batch GD (batch_size None or >= population) or SGD on minibatches.

    forward_all(model, idx) -> logits for population indices idx (None = all).
    """
    os.makedirs(out_dir, exist_ok=True)
    N = y.shape[0]
    opt = torch.optim.SGD(model.parameters(), lr=base_lr)
    gen = torch.Generator().manual_seed(seed + 1)
    ck_steps = set(checkpoint_steps(steps, n_checkpoints))
    log = {"run": run_name, "config": config, "nu": nu, "gamma_star": gamma_star,
           "versions": versions(), "records": [], "checkpoints": []}
    full_batch = batch_size is None or batch_size >= N

    def record(step, lr):
        with torch.no_grad():
            m64 = float64_copy(model)
            logits = forward_all(m64, None)
            ce = F.cross_entropy(logits, y).item()
            reg = reg_lambda * m64.neuron_vectors().norm(dim=1).pow(reg_power).sum().item()
            st = margin_stats(logits, y, m64.neuron_vectors(), nu)
        r = {"step": step, "lr": lr, "loss": ce + reg, "ce_loss": ce, "reg_loss": reg, **st,
             "normalized_margin_over_gamma_star": (st["normalized_margin"] / gamma_star) if gamma_star else None}
        log["records"].append(r)
        return r

    def save(step, tag):
        path = os.path.join(out_dir, f"{run_name}-{tag}.pt")
        save_checkpoint(path, model, step, config, extra)
        log["checkpoints"].append({"step": step, "file": os.path.basename(path)})

    record(0, base_lr)
    save(0, "init")
    t0 = time.time()
    for step in range(steps):
        lr = lr_at(step, base_lr, double_every, max_doublings)
        for g in opt.param_groups:
            g["lr"] = lr
        if full_batch:
            idx = None
            target = y
        else:
            idx = torch.randint(0, N, (batch_size,), generator=gen)
            target = y[idx]
        logits = forward_all(model, idx)
        loss = F.cross_entropy(logits, target)
        if reg_lambda:
            loss = loss + reg_lambda * model.neuron_vectors().norm(dim=1).pow(reg_power).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done = step + 1
        if done % log_every == 0 or done == steps:
            r = record(done, lr)
            if done % (log_every * 10) == 0 or done == steps:
                print(f"[{run_name}] step {done} lr {lr:g} loss {r['loss']:.5g} acc {r['train_accuracy']:.4f} "
                      f"nmargin {r['normalized_margin']:.4e} ratio {r['normalized_margin_over_gamma_star']} "
                      f"t {time.time() - t0:.0f}s", flush=True)
            if not math.isfinite(r["loss"]):
                raise RuntimeError("loss diverged")
        if done in ck_steps:
            save(done, f"step{done:06d}")
    wall = time.time() - t0
    save(steps, "final")
    log["wall_time_s"] = wall
    log["process_cpu_time_s"] = time.process_time()
    with open(os.path.join(out_dir, f"{run_name}-log.json"), "w") as f:
        json.dump(log, f, indent=1)
    return log


# --------------------------------------------------------------------------- entry helpers
def group_argparser(description, defaults):
    import argparse
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--steps", type=int, default=defaults["steps"])
    ap.add_argument("--width", type=int, default=defaults["width"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=defaults["out"], help="directory for checkpoints and the JSON log")
    ap.add_argument("--name", default=defaults["name"], help="run name, prefix of every file")
    ap.add_argument("--lr", type=float, default=defaults["lr"])
    ap.add_argument("--double-every", type=int, default=defaults["double_every"],
                    help="double the learning rate every this many steps (0: constant)")
    ap.add_argument("--max-doublings", type=int, default=defaults["max_doublings"])
    ap.add_argument("--reg", type=float, default=defaults["reg"], help="lambda of the regularizer")
    ap.add_argument("--init-std", type=float, default=defaults["init_std"],
                    help="std of an N(0, std^2) re-initialization of every weight; 0 keeps PyTorch's defaults "
                         "(nn.Embedding N(0, 1), nn.Linear U(-1/sqrt(m), 1/sqrt(m)))")
    ap.add_argument("--batch-size", type=int, default=defaults.get("batch_size", 0),
                    help="0: full batch (gradient descent on the whole population)")
    ap.add_argument("--checkpoints", type=int, default=10, help="number of intermediate checkpoints")
    ap.add_argument("--log-every", type=int, default=defaults.get("log_every", 100))
    ap.add_argument("--safetensors", action="store_true", help="also save the final model as .safetensors")
    return ap


def run_group(args, group, mult, activation, reg_power, nu, gamma_star, element_order=None):
    torch.manual_seed(args.seed)
    N = mult.shape[0]
    model = GroupNet(N, args.width, activation)
    if args.init_std > 0:
        init_normal_(model, args.init_std)
    a, b, y = group_population(mult)

    def forward_all(m, idx):
        return m(a, b) if idx is None else m(a[idx], b[idx])

    config = {"group": group, "group_order": N, "width": args.width, "activation": activation,
              "steps": args.steps, "seed": args.seed, "lr": args.lr, "double_every": args.double_every,
              "max_doublings": args.max_doublings, "regularizer": f"lambda * sum_i ||omega_i||_2^{reg_power}",
              "reg_lambda": args.reg, "reg_power": reg_power, "init_std": args.init_std,
              "batch_size": args.batch_size or N * N, "nu": nu,
              "layout": "u_i = embed_a.weight[:, i], v_i = embed_b.weight[:, i], w_i = unembed.weight[:, i]",
              "label": "c = a * b (group product)"}
    extra = {}
    if element_order is not None:
        config["element_order"] = "itertools.permutations lexicographic; (g*h)(x) = g(h(x))"
        extra["elements"] = [list(g) for g in element_order]
    log = train(model, forward_all, y, config, args.out, args.name, nu=nu, reg_power=reg_power,
                reg_lambda=args.reg, gamma_star=gamma_star, steps=args.steps, base_lr=args.lr,
                double_every=args.double_every, max_doublings=args.max_doublings,
                batch_size=args.batch_size or None, n_checkpoints=args.checkpoints,
                log_every=args.log_every, seed=args.seed, extra=extra)
    if args.safetensors:
        from safetensors.torch import save_file
        save_file({k: v.detach().float().contiguous() for k, v in model.state_dict().items()},
                  os.path.join(args.out, f"{args.name}-final.safetensors"),
                  metadata={"step": str(args.steps), "group": group, "activation": activation})
    return model, log
