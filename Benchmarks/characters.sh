#!/usr/bin/env bash
# Character tables of S_n (n = 20, 25, 30) with IrrepScope and with GAP in the same run, and the
# isotypic decomposition of 1024 neurons over S_6 (720 elements). Prints seconds and ratios.
#
#   bash Benchmarks/characters.sh            (GAP from Debian: apt-get install -y gap)
#
# IrrepScope is timed writing the full JSON table to /dev/null; GAP computes the same table,
# CharacterTable("Symmetric", n), and all its irreducible values (Irr) in a fresh process.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib >&2
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/irrepscope"
NS="${NS:-20 25 30}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

have_gap=0
if command -v gap >/dev/null 2>&1; then have_gap=1; else echo "note: gap not installed (apt-get install -y gap); GAP columns skipped" >&2; fi

printf "%-6s %14s %14s %14s %10s\n" "group" "irrepscope_s" "gap_total_s" "gap_table_s" "ratio"
for n in $NS; do
  t0=$(now); "$BIN" characters "S$n" --format json >/dev/null; t1=$(now)
  ours=$(elapsed "$t0" "$t1")
  if [ "$have_gap" = 1 ]; then
    cat > "$TMP/s.g" <<GAPEOF
t0 := Runtime();
t := CharacterTable("Symmetric", $n);
irr := List(Irr(t), ValuesOfClassFunction);
Print("GAPMS ", Runtime() - t0, "\n");
QUIT;
GAPEOF
    g0=$(now); out=$(gap -q -o 4g "$TMP/s.g" 2>&1); g1=$(now)
    gapTotal=$(elapsed "$g0" "$g1")
    gapTable=$(echo "$out" | awk '/GAPMS/ {print $2/1000}')
    ratio=$(awk -v g="$gapTable" -v o="$ours" 'BEGIN { printf "%.3f", g / o }')
    printf "%-6s %14.3f %14.3f %14.3f %9.1fx\n" "S$n" "$ours" "$gapTotal" "$gapTable" "$ratio"
  else
    printf "%-6s %14.3f %14s %14s %10s\n" "S$n" "$ours" "-" "-" "-"
  fi
done

# 1024 neurons over S_6 (float32, neurons × 720).
python3 - "$TMP/s6.npy" <<'PYEOF'
import struct, sys, random
n, p = 1024, 720
random.seed(1)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, p)
header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (n * p), *[random.gauss(0, 1) for _ in range(n * p)]))
PYEOF
for method in characters matrices; do
  t0=$(now); "$BIN" decompose "$TMP/s6.npy" --group S6 --neuron-axis 0 --method "$method" --format json >/dev/null; t1=$(now)
  printf "decompose 1024 neurons over S6 (%s): %.3f s\n" "$method" "$(elapsed "$t0" "$t1")"
done
