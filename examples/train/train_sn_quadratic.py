"""S_4 (or S_5 with --n 5) multiplication table, quadratic activation, L_{2,3} regularization.

Paper: S_4 m = 200, S_5 m = 2000; SGD batch 1000, 75k steps, lambda = 1e-5,
lr 0.05 doubled at 3k, 6k, ..., 24k.  Elements: itertools.permutations(range(n)) order,
(g*h)(x) = g(h(x)), label of (a, b) = a*b.
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common

ap = common.group_argparser(__doc__, dict(steps=75000, width=200, out=None, name=None,
                                          lr=0.05, double_every=3000, max_doublings=8, reg=1e-5, init_std=0.0,
                                          batch_size=1000))
ap.add_argument("--n", type=int, default=4)
args = ap.parse_args()
args.name = args.name or f"s{args.n}-quadratic"      # the defaults follow --n
args.out = args.out or f"runs/s{args.n}-quadratic"
dims = {4: common.S4_NONTRIVIAL_DIMS, 5: common.S5_NONTRIVIAL_DIMS}[args.n]
elems = common.symmetric_elements(args.n)
common.run_group(args, f"S_{args.n}", common.symmetric_table(args.n), "quadratic", reg_power=3, nu=3,
                 gamma_star=common.gamma_star_group(len(elems), dims), element_order=elems)
