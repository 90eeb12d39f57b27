#!/bin/bash
# Copy the S_5 run (examples/train/train_sn_quadratic.py --n 5, see data/README.md) into data/:
# the initial and final checkpoints as written (float32), three intermediate checkpoints of the
# trajectory rounded to float16 (to halve their size; the precision lost is measured in
# data/README.md), the log; then recompute their data/expected/*.json. Run from the repository
# root:  bash scripts/collect_s5.sh [RUN_DIR]   (default runs/s5-quadratic)
set -euo pipefail
run=${1:-runs/s5-quadratic}
mkdir -p data/s5-quadratic-run data/logs
cp "$run/s5-quadratic-init.pt" "$run/s5-quadratic-final.pt" data/
cp "$run/s5-quadratic-log.json" data/logs/
rm -f data/s5-quadratic-run/*.pt
for s in ${TRAJ_STEPS:-003512 009743 027032}; do
  python3 - "$run/s5-quadratic-step$s.pt" "data/s5-quadratic-run/s5-quadratic-step$s.pt" <<'PY'
import sys, torch
src, dst = sys.argv[1:]
ck = torch.load(src, map_location="cpu", weights_only=True)
ck["model"] = {k: v.half() for k, v in ck["model"].items()}
ck["config"] = {**ck["config"], "stored_dtype": "float16 (rounded from the float32 training weights)"}
torch.save(ck, dst)
PY
done
python3 scripts/expected_values.py data/s5-quadratic-init.pt data/s5-quadratic-final.pt data/s5-quadratic-run/*.pt
