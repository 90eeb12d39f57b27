# Sourced by the benchmark scripts: `best CMD…` prints the best wall time in seconds of REPS
# runs of a command (stdout and stderr discarded; a failing run stops the benchmark). Each
# script sets REPS (its documented default) before calling it. With CPU_TIMES=1 both
# functions also print each command's mean CPU time per run (user + system) to stderr.
# One command: its arguments are passed whole (a "--" among them is not a separator).
best() { BEST_ONE_COMMAND=1 best_alternating "$@"; }

# `best_alternating CMD1 -- CMD2 [-- CMD3 …]` prints the best wall time of each command (one
# line, seconds, in argument order) over REPS rounds in which the commands run one after the
# other: a ratio of two commands then compares runs made seconds apart, under the same load on
# a shared machine, rather than two series made at different moments.
best_alternating() {
  python3 - "${REPS:-5}" "$@" <<'PY'
import os, resource, subprocess, sys, time
reps, args = int(sys.argv[1]), sys.argv[2:]
if os.environ.get("BEST_ONE_COMMAND"):
    cmds = [args]
else:
    cmds, cur = [], []
    for a in args:
        if a == "--":
            cmds.append(cur); cur = []
        else:
            cur.append(a)
    cmds.append(cur)
best = [float("inf")] * len(cmds)
cpu = [0.0] * len(cmds)
for _ in range(reps):
    for k, cmd in enumerate(cmds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best[k] = min(best[k], time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[k] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(" ".join(f"{b:.6f}" for b in best))
if os.environ.get("CPU_TIMES"):
    # Mean CPU seconds per run (user + system, all threads), one line per command, to stderr.
    for k, c in enumerate(cpu):
        print(f"cpu {c / reps:.4f} s: {' '.join(cmds[k])}", file=sys.stderr)
PY
}

# `release_and_analyze_data`: builds the release binary into BIN and writes the analyze
# benchmarks' random networks (Benchmarks/make_analyze_data.py) into DIR (.build/bench-data).
release_and_analyze_data() {
  swift build -c release --static-swift-stdlib --product irrepscope >&2
  BIN=.build/release/irrepscope
  DIR=.build/bench-data
  mkdir -p "$DIR"
  python3 Benchmarks/make_analyze_data.py "$DIR"
}
