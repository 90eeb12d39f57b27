"""C_71 modular addition, ReLU activation, L2 regularization lambda * ||theta||_2^2 (paper Fig. 4).

The ReLU network is 2-homogeneous, so its normalized margin uses the L_{2,2} norm:
h(theta) / sum_i ||omega_i||^2.  docs/theory.md gives no gamma* for ReLU (Theorem 7 is for x^2):
the log's gamma_star is null.
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common

P = 71
ap = common.group_argparser(__doc__, dict(steps=40000, width=500, out="runs/c71-relu", name="c71-relu",
                                          lr=0.05, double_every=1000, max_doublings=10, reg=1e-4, init_std=0.0))
ap.add_argument("--p", type=int, default=P)
args = ap.parse_args()
common.run_group(args, f"C_{args.p}", common.cyclic_table(args.p), "relu", reg_power=2, nu=2, gamma_star=None)
