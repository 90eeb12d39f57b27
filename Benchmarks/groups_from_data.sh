#!/usr/bin/env bash
# `characters` for groups given by permutation generators (docs/groups-from-data.md §3):
# M_11 (7920), PSL(2,31) (14880) and M_12 (95040), the whole command, next to GAP's
# Irr(CharacterTable(G)) timed inside GAP (Runtime(), the group built from the same
# generators, no stored table) in the same run. Prints seconds and GAP's time / ours.
#
#   bash Benchmarks/groups_from_data.sh      (GAP from Debian: apt-get install -y gap)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-}"
if [ -z "$BIN" ]; then
  swift build -c release --static-swift-stdlib >&2
  BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/irrepscope"
fi
command -v gap >/dev/null 2>&1 || { echo "note: gap not installed (apt-get install -y gap); skipped" >&2; exit 0; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# The generators, 0-based image lists, written by GAP.
cat > "$TMP/gens.g" <<'GAPEOF'
W := function(name, G)
  local n, s, out;
  n := LargestMovedPoint(G);
  s := JoinStringsWithSeparator(List(GeneratorsOfGroup(G), g ->
         Concatenation("[", JoinStringsWithSeparator(List([1..n], i -> String(i^g - 1)), ","), "]")), ",");
  out := OutputTextFile(Concatenation(name, ".json"), false);
  SetPrintFormattingStatus(out, false);
  WriteAll(out, Concatenation("[", s, "]\n"));
  CloseStream(out);
end;
W("DIR/M11", MathieuGroup(11));
W("DIR/PSL2_31", Image(IsomorphismPermGroup(PSL(2, 31))));
W("DIR/M12", MathieuGroup(12));
QUIT;
GAPEOF
sed -i "s|DIR|$TMP|g" "$TMP/gens.g"
gap -q "$TMP/gens.g" < /dev/null

printf "%-10s %8s %14s %14s %10s\n" "group" "order" "irrepscope_s" "gap_irr_s" "gap/ours"
for g in M11 PSL2_31 M12; do
  t0=$(now); "$BIN" characters "perm:$TMP/$g.json" --format json >/dev/null; t1=$(now)
  ours=$(elapsed "$t0" "$t1")
  cat > "$TMP/t.g" <<GAPEOF
gens := List(EvalString(StringFile("$TMP/$g.json")), l -> PermList(List(l, x -> x + 1)));
G := Group(gens);
t0 := Runtime();
irr := Irr(CharacterTable(G));
Print("GAPMS ", Runtime() - t0, " ", Size(G), "\n");
QUIT;
GAPEOF
  out=$(gap -q -o 4g "$TMP/t.g" < /dev/null 2>&1 || true)
  gapS=$(echo "$out" | awk '/GAPMS/ {print $2/1000}')
  order=$(echo "$out" | awk '/GAPMS/ {print $3}')
  if [ -n "$gapS" ]; then
    ratio=$(awk -v g="$gapS" -v o="$ours" 'BEGIN { printf "%.2f", g / o }')
    printf "%-10s %8s %14.3f %14.3f %9sx\n" "$g" "$order" "$ours" "$gapS" "$ratio"
  else
    printf "%-10s %8s %14.3f %14s %10s\n" "$g" "-" "$ours" "(gap: $out)" "-"
  fi
done
