#!/usr/bin/env bash
# Per-neuron Fourier spectra: IrrepScope (FFTW, Swift) next to scipy.fft (workers=2) on the
# same float32 matrices, in the same run. Prints neurons/s and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import numpy, scipy" 2>/dev/null || pip install -q numpy scipy
swift build -c release --static-swift-stdlib --product irrepscope >&2
swift build -c release --static-swift-stdlib --product spectrum-benchmark >&2
BIN=.build/release
DIR=.build/bench-data
mkdir -p "$DIR"
python3 - "$DIR" <<'PY'
import os, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
for n, p in [(100000, 113), (20000, 1021), (100000, 128)]:
    f = os.path.join(d, f"w{n}x{p}.npy")
    if not os.path.exists(f):
        np.save(f, rng.standard_normal((n, p), dtype=np.float32))
PY
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "== core computation (FFT + bin powers + max normalized power + histogram), best of 5 =="
# Variants: the default (automatic backend, all bin powers kept, as `spectrum` does), without
# keeping the bin powers (as `histogram` does), and each backend forced (p = 128 shows FFTW
# winning on a power of two; prime p shows the GEMM backend winning).
for shape in 100000x113 20000x1021 100000x128; do
  f="$DIR/w$shape.npy"
  for variant in "keep 0 automatic" "nokeep 0 automatic" "nokeep 0 fftw" "nokeep 0 gemm"; do
    set -- $variant
    peer=$(python3 Benchmarks/spectrum_peer.py core "$f" 5)
    ours=$($BIN/spectrum-benchmark "$f" 5 2 "$1" "$2" "$3")
    o=$(field "$ours" neurons_per_second); s=$(field "$peer" neurons_per_second)
    printf '%-11s %-7s backend %-5s  irrepscope %10.0f neurons/s   scipy.fft(workers=2) %10.0f neurons/s   ratio %sx\n' \
      "$shape" "$1" "$(field "$ours" backend)" "$o" "$s" "$(ratio "$o" "$s")"
  done
done

echo "== whole command: histogram of a 100000 x 113 float32 .npy (load, FFT, max power, histogram), best of 5 =="
f="$DIR/w100000x113.npy"
best() {  # best wall time of 5 runs of a command, in seconds
  python3 - "$@" <<'PY'
import subprocess, sys, time
best = float("inf")
for _ in range(6):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
    best = min(best, time.perf_counter() - t)
print(best)
PY
}
o=$(best $BIN/irrepscope histogram "$f" --p 113 --format json)
s=$(best python3 Benchmarks/spectrum_peer.py histogram "$f")
printf 'irrepscope histogram %.3f s   python (numpy.load + scipy.fft) %.3f s   ratio %sx\n' "$o" "$s" "$(ratio "$s" "$o")"
