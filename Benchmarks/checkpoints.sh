#!/usr/bin/env bash
# Checkpoint reading speed: irrepscope vs torch.load on the same large torch.save file.
#
#   bash Benchmarks/checkpoints.sh            # 4 GiB of float32 (needs ~5 GB free disk, ~10 GB RAM)
#   GB=1 DIR=/tmp bash Benchmarks/checkpoints.sh
#
# Measures, with the file in the page cache:
#   * `irrepscope inspect FILE --format json`: lists the index only (expected: milliseconds);
#   * `irrepscope inspect FILE --read-all`: maps the file and reads every tensor byte;
#   * `python -c 'torch.load(FILE)'` (and with mmap=True plus a pass over every tensor).
# Needs python3 with torch (pip install torch).
#
# Measured 2026-11-29 (2 cores, 24 GiB, torch 2.15 CPU, release build, warm page cache,
# best of 3), 4.30 GB file of 17 float32 tensors (ZIP64 offsets past 2³²):
#   irrepscope inspect (index only)                0.015 s (whole process)
#   irrepscope inspect --read-all (every byte)     0.319 s   13.5 GB/s
#   python: torch.load                             8.59 s     0.5 GB/s (with ~2.4 s of `import torch`)
#   python: torch.load(mmap=True) + sum each       3.29 s     1.3 GB/s
#   python: torch.load inside the interpreter      4.25 s     1.0 GB/s
#   ratios: 27× (read-all vs torch.load command), 13× (vs in-process torch.load), 565× (inspect)
set -euo pipefail
cd "$(dirname "$0")/.."
GB=${GB:-4}
DIR=${DIR:-$(mktemp -d)}
FILE="$DIR/bench-${GB}GB.pt"
REPS=${REPS:-5}

swift build -c release --static-swift-stdlib --product irrepscope >&2
BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)/irrepscope

if [ ! -f "$FILE" ]; then
    echo "writing $FILE ($GB GB of float32)…" >&2
    python3 - "$FILE" "$GB" <<'PY'
import sys, torch
path, gb = sys.argv[1], float(sys.argv[2])
per = 256 << 20                       # 256 MiB tensors
n = max(1, round(gb * 2**30 / per))   # GB counted in GiB: 4 → 16 tensors, past 2³² bytes (ZIP64 offsets)
sd = {f"blocks.{i}.mlp.W_in": torch.full((per // 4 // 1024, 1024), float(i), dtype=torch.float32) for i in range(n)}
sd["embed.W_E"] = torch.randn(113, 128)
torch.save({"model": sd, "epoch": 1}, path)
PY
fi
BYTES=$(stat -c %s "$FILE")
cat "$FILE" > /dev/null   # page cache

source Benchmarks/common.sh   # best()
calc() { python3 -c "print($1)"; }

t_inspect=$(best "$BIN" inspect "$FILE" --format json)
t_read=$(best "$BIN" inspect "$FILE" --read-all)
t_torch=$(best python3 -c "import sys, torch; torch.load(sys.argv[1], weights_only=True)" "$FILE")
t_torch_mmap=$(best python3 -c "
import sys, torch
sd = torch.load(sys.argv[1], mmap=True, weights_only=True)['model']
for t in sd.values(): t.sum()" "$FILE")
t_python=$(best python3 -c "import torch")
# torch.load alone, timed inside the interpreter (no startup, no import): best of REPS.
t_torch_in=$(python3 - "$FILE" "$REPS" <<'PY'
import sys, time, torch
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); sd = torch.load(sys.argv[1], weights_only=True); best = min(best, time.perf_counter() - t); del sd
print(f"{best:.6f}")
PY
)

gbs() { calc "round($BYTES / $1 / 1e9, 2)"; }
printf 'file: %s, %.2f GB, %s tensors\n' "$FILE" "$(calc "$BYTES/1e9")" "$("$BIN" inspect "$FILE" --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tensors"]))')"
printf '%-48s %9.3f s\n' "irrepscope inspect (index only)" "$t_inspect"
printf '%-48s %9.3f s  %6s GB/s\n' "irrepscope inspect --read-all (every byte)" "$t_read" "$(gbs "$t_read")"
printf '%-48s %9.3f s  %6s GB/s\n' "python: torch.load" "$t_torch" "$(gbs "$t_torch")"
printf '%-48s %9.3f s  %6s GB/s\n' "python: torch.load(mmap=True) + sum each tensor" "$t_torch_mmap" "$(gbs "$t_torch_mmap")"
printf '%-48s %9.3f s\n' "python: import torch alone (startup)" "$t_python"
printf '%-48s %9.3f s  %6s GB/s\n' "python: torch.load inside the interpreter" "$t_torch_in" "$(gbs "$t_torch_in")"
printf 'ratios (whole commands): torch.load / irrepscope --read-all = %.1f×, torch.load / inspect = %.0f×\n' \
    "$(calc "$t_torch / $t_read")" "$(calc "$t_torch / $t_inspect")"
printf 'ratio (in-process load vs whole irrepscope --read-all command) = %.1f×\n' "$(calc "$t_torch_in / $t_read")"
"$BIN" inspect "$FILE" --read-all 2>&1 >/dev/null | tail -1
[ -n "${KEEP:-}" ] || rm -f "$FILE"
