"""C_71 modular addition, quadratic activation, L_{2,3} regularization (paper Sec. 5 / Fig. 1, 4).

Paper: m = 500, full-batch GD 40k steps, lr 0.05 doubled at 1k, 2k, ..., 10k, lambda = 1e-4.
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common

P = 71
ap = common.group_argparser(__doc__, dict(steps=40000, width=500, out="runs/c71-quadratic", name="c71-quadratic",
                                          lr=0.05, double_every=1000, max_doublings=10, reg=1e-4, init_std=0.0))
ap.add_argument("--p", type=int, default=P)
args = ap.parse_args()
common.run_group(args, f"C_{args.p}", common.cyclic_table(args.p), "quadratic", reg_power=3, nu=3,
                 gamma_star=common.gamma_star_cyclic(args.p))
