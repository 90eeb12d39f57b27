#!/usr/bin/env bash
# `irrepscope batch` over a sweep of RUNS (default 50) S_5 runs, CKPTS (default 2) checkpoints
# each (random quadratic networks, m = M, default 128, .npz), with the function-level
# attribution (docs/attribution.md) and with --no-attribution, side by side in one run.
# Goal (issue 13): above 20 checkpoints/s on 2 cores with the attribution.
# Measured 2026-12-02 06:23 UTC (2 shared cores, load 0.5–1.2): m = 128, 78.6 checkpoints/s
# with the attribution, 87.3/s without; the build before (27fa698) in the same session:
# 60.7/s with, 106.7/s without (the two without-runs differ by the machine's noise only:
# that path is unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}; CKPTS=${CKPTS:-2}; M=${M:-128}
[ "${NO_BUILD:-0}" = 1 ] || swift build -c release --static-swift-stdlib --product irrepscope >&2
BIN=${BIN:-.build/release/irrepscope}
DIR=.build/bench-data/s5-sweep-$RUNS-$CKPTS-$M
if [ ! -f "$DIR/.complete" ]; then
  python3 - "$DIR" "$RUNS" "$CKPTS" "$M" <<'PY'
import os, sys
import numpy as np
d, runs, ckpts, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(13)
for r in range(runs):
    os.makedirs(os.path.join(d, f"run{r:03d}"), exist_ok=True)
    for s in range(ckpts):
        np.savez(os.path.join(d, f"run{r:03d}", f"step{s:05d}.npz"),
                 **{k: (0.1 * rng.standard_normal((120, m))).astype(np.float32)
                    for k in ("embed_a.weight", "embed_b.weight", "unembed.weight")})
open(os.path.join(d, ".complete"), "w").close()
PY
fi
ls -d "$PWD/$DIR"/run* > "$DIR.runs"
N=$((RUNS * CKPTS))
rate() {
  rm -rf "$DIR.out"
  local t0 t1
  t0=$(date +%s.%N)
  $BIN batch --runs "$DIR.runs" --group S5 --out "$DIR.out" --quiet "$@" >/dev/null
  t1=$(date +%s.%N)
  python3 -c "print($N / ($t1 - $t0))"
}
without=$(rate --no-attribution)
with=$(rate)
python3 -c "import sys; w,a=map(float,sys.argv[1:3]); print(f'batch of a {sys.argv[3]}-run S5 sweep (m = {sys.argv[4]}, {sys.argv[5]} checkpoints): {w:.1f} checkpoints/s with the attribution, {a:.1f}/s without (ratio {a/w:.2f}x; goal > 20/s)')" "$with" "$without" "$RUNS" "$M" "$N"
