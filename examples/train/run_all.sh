#!/bin/bash
# The exact commands that produced data/ (see data/README.md). Run from the repository root.
set -x
T=examples/train
TIME=""; [ -x /usr/bin/time ] && TIME="/usr/bin/time -v"   # wall/CPU time report
$TIME python3 $T/train_c71_quadratic.py --steps 12000 --width 500 --double-every 500 --init-std 0 --seed 0 --safetensors --out runs/c71-quadratic
$TIME python3 $T/train_sn_quadratic.py --n 4 --steps 75000 --width 200 --init-std 0 --seed 0 --log-every 250 --out runs/s4-quadratic
$TIME python3 $T/train_parity.py --steps 30000 --init-std 0 --seed 0 --out runs/parity-10-4
$TIME python3 $T/train_c71_relu.py --steps 12000 --width 500 --double-every 500 --init-std 0 --seed 0 --out runs/c71-relu
# S_5 at the paper's width and steps (about 45 min of one core; run separately, then
# `bash scripts/collect_s5.sh runs/s5-quadratic` copies it into data/):
# $TIME python3 $T/train_sn_quadratic.py --n 5 --steps 75000 --width 2000 --init-std 0 --seed 0 --log-every 250 --out runs/s5-quadratic
