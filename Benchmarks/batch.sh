#!/usr/bin/env bash
# `irrepscope batch` over N small checkpoints (C_113, m = 512, torch.save) next to a Python loop
# doing the same analysis with torch.load and NumPy, in the same run. N=1000 by default; the
# Python loop (about 1 checkpoint/s here) runs on the first PEER_N=100 of them.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
PEER_N=${PEER_N:-100}
python3 -c "import torch, numpy" 2>/dev/null || { echo "batch benchmark: needs torch and numpy (pip install torch numpy)" >&2; exit 0; }
swift build -c release --static-swift-stdlib --product irrepscope >&2
DIR=.build/bench-data/batch-$N
if [ ! -f "$DIR/.complete" ]; then
  mkdir -p "$DIR"
  python3 - "$DIR" "$N" <<'PY'
import os, sys, torch
d, n = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)
for i in range(n):
    sd = {k: torch.randn(113, 512) * 0.1 for k in ("embed_a.weight", "embed_b.weight", "unembed.weight")}
    torch.save({"model": sd, "step": i}, os.path.join(d, f"ckpt_{i:05d}.pt"))
open(os.path.join(d, ".complete"), "w").close()
PY
fi
rm -rf .build/bench-data/batch-out
t0=$(date +%s.%N)
.build/release/irrepscope batch "$DIR" --group C113 --out .build/bench-data/batch-out --quiet
t1=$(date +%s.%N)
ours=$(python3 -c "print($N / ($t1 - $t0))")
peer=$(python3 Benchmarks/batch_peer.py "$DIR" "$PEER_N" | python3 -c "import json,sys; print(json.load(sys.stdin)['checkpoints_per_second'])")
python3 -c "import sys; o,p=float(sys.argv[1]),float(sys.argv[2]); print(f'batch of $N C113 m=512 checkpoints: irrepscope {o:.1f}/s (2 workers)   python loop (torch.load + numpy) {p:.1f}/s   ratio {o/p:.2f}x')" "$ours" "$peer"
