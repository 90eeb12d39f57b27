#!/usr/bin/env bash
# `irrepscope analyze` end to end (load, spectra or isotypic decomposition of u, v, w, margin over
# all |G|² pairs, JSON) on C_113 with m = 512 and S_5 with m = 2000, next to a NumPy script doing
# the margin computation alone on the same file, in the same run. Best of 5 wall times each.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/common.sh   # best(), release_and_analyze_data
release_and_analyze_data
REPS=${REPS:-5}
for case in "c113-m512 C113" "s5-m2000 S5"; do
  set -- $case
  f="$DIR/$1.npz"
  o=$(best $BIN analyze "$f" --group "$2" --format json)
  p=$(best python3 Benchmarks/analyze_peer.py "$f" "$2")
  python3 -c "import sys; o,p=float(sys.argv[1]),float(sys.argv[2]); print(f'analyze $2 (m from $1): irrepscope {o:.3f} s   numpy margin script {p:.3f} s   ratio {p/o:.2f}x')" "$o" "$p"
done
