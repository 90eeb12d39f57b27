# Sourced by the benchmark scripts: `best CMD…` prints the best wall time in seconds of REPS
# runs of a command (stdout and stderr discarded; a failing run stops the benchmark). Each
# script sets REPS (its documented default) before calling it.
best() {
  python3 - "${REPS:-5}" "$@" <<'PY'
import subprocess, sys, time
reps, cmd = int(sys.argv[1]), sys.argv[2:]
best = float("inf")
for _ in range(reps):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    best = min(best, time.perf_counter() - t)
print(f"{best:.6f}")
PY
}

# `best_alternating CMD1 -- CMD2 [-- CMD3 …]` prints the best wall time of each command (one
# line, seconds, in argument order) over REPS rounds in which the commands run one after the
# other: a ratio of two commands then compares runs made seconds apart, under the same load on
# a shared machine, rather than two series made at different moments.
best_alternating() {
  python3 - "${REPS:-5}" "$@" <<'PY'
import subprocess, sys, time
reps, args = int(sys.argv[1]), sys.argv[2:]
cmds, cur = [], []
for a in args:
    if a == "--":
        cmds.append(cur); cur = []
    else:
        cur.append(a)
cmds.append(cur)
best = [float("inf")] * len(cmds)
for _ in range(reps):
    for k, cmd in enumerate(cmds):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best[k] = min(best[k], time.perf_counter() - t)
print(" ".join(f"{b:.6f}" for b in best))
PY
}
