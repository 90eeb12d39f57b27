#!/usr/bin/env bash
# The transformer forward pass over all 113² inputs [a, b, =] (progress-measures layout,
# d_model 128, 4 heads, d_mlp 512, one block): the whole `irrepscope analyze` command (load,
# forward pass, spectra, JSON) next to a NumPy script doing the forward pass alone (float64,
# IrrepScope's precision, and float32), in the same run. Best of 5 wall times each.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product irrepscope >&2
BIN=.build/release/irrepscope
DIR=.build/bench-data
mkdir -p "$DIR"
python3 Benchmarks/make_transformer_data.py "$DIR"
f="$DIR/transformer-p113.npz"
REPS=${REPS:-5}
source Benchmarks/common.sh   # best()
o=$(best $BIN analyze "$f" --group C113 --format json)
p64=$(best python3 Benchmarks/transformer_peer.py "$f" float64)
p32=$(best python3 Benchmarks/transformer_peer.py "$f" float32)
python3 -c "import sys; o,a,b=map(float,sys.argv[1:]); print(f'transformer p=113 (d 128, 4 heads, d_mlp 512): irrepscope analyze {o:.3f} s   numpy forward float64 {a:.3f} s (ratio {a/o:.2f}x)   float32 {b:.3f} s (ratio {b/o:.2f}x)')" "$o" "$p64" "$p32"
