"""(n, k)-sparse parity, activation x^k, L_{2,k+1} regularization (paper Fig. 5).

Paper: (10, 4), m = 40, lambda = 1e-3, lr 0.1, 30k steps.  Population: all 2^n inputs,
x_t = 1 - 2 * bit_t(index); support S = {0, ..., k-1}; class 0 <-> prod_S x = +1.
u_i = hidden.weight[i, :], w_i = readout.weight[:, i].
"""
import argparse, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
import common

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--n", type=int, default=10)
ap.add_argument("--k", type=int, default=4)
ap.add_argument("--steps", type=int, default=30000)
ap.add_argument("--width", type=int, default=40)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--lr", type=float, default=0.1)
ap.add_argument("--reg", type=float, default=1e-3)
ap.add_argument("--init-std", type=float, default=0.0, help="0: PyTorch default nn.Linear init")
ap.add_argument("--out", default="runs/parity-10-4")
ap.add_argument("--name", default="parity-10-4")
ap.add_argument("--checkpoints", type=int, default=10)
ap.add_argument("--log-every", type=int, default=100)
args = ap.parse_args()

torch.manual_seed(args.seed)
support = list(range(args.k))
model = common.ParityNet(args.n, args.width, args.k)
if args.init_std > 0:
    common.init_normal_(model, args.init_std)
x, y = common.parity_population(args.n, support)


def forward_all(m, idx):
    xx = x.to(next(m.parameters()).dtype)
    return m(xx) if idx is None else m(xx[idx])


nu = args.k + 1
config = {"task": f"({args.n},{args.k})-sparse parity", "n": args.n, "k": args.k, "support": support,
          "width": args.width, "activation": f"x^{args.k}", "steps": args.steps, "seed": args.seed,
          "lr": args.lr, "regularizer": f"lambda * sum_i ||omega_i||_2^{nu}", "reg_lambda": args.reg,
          "reg_power": nu, "nu": nu, "init_std": args.init_std, "batch_size": 2 ** args.n,
          "layout": "u_i = hidden.weight[i, :], w_i = readout.weight[:, i]",
          "inputs": "index j: x_t = 1 - 2*((j >> t) & 1)", "label": "class 0 iff prod_{t in S} x_t = +1"}
common.train(model, forward_all, y, config, args.out, args.name, nu=nu, reg_power=nu, reg_lambda=args.reg,
             gamma_star=common.gamma_star_parity(args.k), steps=args.steps, base_lr=args.lr,
             n_checkpoints=args.checkpoints, log_every=args.log_every, seed=args.seed)
