#!/bin/bash
# Copy the committed subset of runs/ (written by examples/train/run_all.sh) into data/,
# then recompute data/expected/*.json. Run from the repository root.
set -euo pipefail
mkdir -p data/c71-quadratic-run data/logs
for r in c71-quadratic c71-relu s4-quadratic parity-10-4; do
  cp runs/$r/$r-init.pt runs/$r/$r-final.pt data/
  cp runs/$r/$r-log.json data/logs/
done
cp runs/c71-quadratic/c71-quadratic-final.safetensors data/
# one short trajectory of the C_71 quadratic run: init, 4 intermediate checkpoints, final
rm -f data/c71-quadratic-run/*.pt
for s in ${TRAJ_STEPS:-000394 000926 002175 005109}; do
  cp runs/c71-quadratic/c71-quadratic-step$s.pt data/c71-quadratic-run/
done
cp runs/c71-quadratic/c71-quadratic-init.pt data/c71-quadratic-run/c71-quadratic-step000000.pt
cp runs/c71-quadratic/c71-quadratic-final.pt data/c71-quadratic-run/c71-quadratic-step012000.pt
python3 scripts/expected_values.py
