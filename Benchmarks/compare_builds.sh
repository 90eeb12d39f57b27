#!/usr/bin/env bash
# Two builds of irrepscope side by side on the same inputs, runs interleaved (A B A B …),
# best of N wall times each, and each build's largest peak resident memory over its runs: the
# check that a redesign is no slower and no larger.
#   Benchmarks/compare_builds.sh OLD_BINARY NEW_BINARY [N]
# Inputs: the analyze benchmark's random C_113 (m = 512), S_5 (m = 2000) and S_6 (m = 256) networks, a
# 100000 × 113 float32 matrix for `histogram`, the universality study's trained MLPs in data/ (the
# hidden-matrix layout W_x, W_y, W, W_U, read from .pt), and the training runs in data/ for `batch`.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2 N=${3:-7}
DIR=.build/bench-data
mkdir -p "$DIR"
python3 Benchmarks/make_analyze_data.py "$DIR"
python3 - "$DIR" <<'PY'
import os, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
f = os.path.join(d, "spectrum-100000x113.npy")
if not os.path.exists(f):
    np.save(f, rng.standard_normal((100000, 113)).astype(np.float32))
PY
python3 - "$OLD" "$NEW" "$N" "$DIR" <<'PY'
import os, shutil, subprocess, sys, tempfile, time
old, new, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cases = [
    ("analyze C113 m=512", ["analyze", f"{d}/c113-m512.npz", "--group", "C113", "--format", "json"]),
    ("analyze S5 m=2000", ["analyze", f"{d}/s5-m2000.npz", "--group", "S5", "--format", "json"]),
    ("analyze C113 m=512 ReLU", ["analyze", f"{d}/c113-m512.npz", "--group", "C113", "--activation", "relu", "--format", "json"]),
    ("analyze S5 m=2000 ReLU", ["analyze", f"{d}/s5-m2000.npz", "--group", "S5", "--activation", "relu", "--format", "json"]),
    ("analyze S6 m=256", ["analyze", f"{d}/s6-m256.npz", "--group", "S6", "--format", "json"]),
    ("analyze C71 table (data/)", ["analyze", "data/c71-quadratic-final.pt", "--group", "C71"]),
    ("analyze universality C113 (data/)", ["analyze", "data/universality-c113-final.pt", "--group", "C113", "--format", "json"]),
    ("analyze universality C113 no-attr", ["analyze", "data/universality-c113-final.pt", "--group", "C113", "--no-attribution", "--format", "json"]),
    ("analyze universality D59 --pairs", ["analyze", "data/universality-d59-final.pt", "--group", "D59", "--pairs", "data/universality-d59-train-pairs.json", "--format", "json"]),
    ("histogram 100000x113", ["histogram", f"{d}/spectrum-100000x113.npy", "--p", "113", "--format", "json"]),
    ("batch data/c71-quadratic-run", ["batch", "data/c71-quadratic-run", "--group", "C71", "--quiet", "--out", "OUT"]),
    ("batch data/universality-d59-run", ["batch", "data/universality-d59-run", "--group", "D59", "--pairs", "data/universality-d59-train-pairs.json", "--quiet", "--out", "OUT"]),
]
def once(binary, args):
    out = tempfile.mkdtemp()
    a = [x.replace("OUT", out + "/o") for x in args]
    t = time.perf_counter()
    p = subprocess.Popen([binary] + a, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{binary} {' '.join(a)} failed")
    shutil.rmtree(out)
    return dt, usage.ru_maxrss / 1024   # ru_maxrss is in KiB on Linux
for name, args in cases:
    bo = bn = float("inf")
    mo = mn = 0.0
    for _ in range(n):
        t, m = once(old, args); bo = min(bo, t); mo = max(mo, m)
        t, m = once(new, args); bn = min(bn, t); mn = max(mn, m)
    print(f"{name:32s} old {bo:.4f} s {mo:7.0f} MiB   new {bn:.4f} s {mn:7.0f} MiB   new/old {bn/bo:.3f}")
PY
