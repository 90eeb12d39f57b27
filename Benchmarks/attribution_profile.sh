#!/usr/bin/env bash
# Where the CPU time of `irrepscope analyze` with the attribution goes on S_5 (m = 2000): a
# `perf record` of RUNS (10) runs, the shares of OpenBLAS's dgemm kernel, its packing, the
# attribution's preparation and its work after the pass, and the population of the logit array
# (madvise); then the population alone, each page size, in a fresh process
# (Benchmarks/page_population.c). docs/attribution.md §10. Needs perf (Debian: linux-perf) and
# permission to sample (kernel.perf_event_paranoid ≤ 2); not part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "attribution_profile.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }
source Benchmarks/common.sh   # best(), release_and_analyze_data
release_and_analyze_data
RUNS=${RUNS:-10}
perf record -q -g -F 4999 -o "$DIR/attribution.perf" -- bash -c \
  "for i in \$(seq $RUNS); do $BIN analyze $DIR/s5-m2000.npz --group S5 --format json > /dev/null; done" 2>/dev/null
perf report -i "$DIR/attribution.perf" --children --sort symbol --stdio -g none 2>/dev/null | python3 -c '
import re, sys
parts = {"dgemm kernel": r"dgemm_kernel", "dgemm packing": r"dgemm_[io][nt]copy",
         "attribution preparation": r"AttributionV11PreparationV7network", "attribution after the pass": r"AttributionV7compute7network",
         "logit array population (madvise)": r"^__madvise$"}
shares = {k: 0.0 for k in parts}
for line in sys.stdin:
    m = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
    if not m: continue
    children, own, sym = float(m.group(1)), float(m.group(2)), m.group(3)
    for k, pat in parts.items():
        if re.search(pat, sym):
            # OpenBLAS routines by their own samples (summed); ours with their callees, the
            # outermost frame (nested closures repeat the name: the largest share, not a sum).
            shares[k] = shares[k] + own if k.startswith("dgemm") else max(shares[k], children)
for k, v in shares.items(): print(f"{k}: {v:.1f} % of the CPU time")'
cc -O2 -o .build/page_population Benchmarks/page_population.c
.build/page_population 10
