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
