#!/usr/bin/env bash
# Records the outputs of the commands in Tests/Recorded/manifest.tsv, run with the binary
# given as $1 (default .build/debug/irrepscope) from the repository root, into $2 (default
# Tests/Recorded/outputs). Each output is gzip-compressed (gzip -n: no name or time stamp).
# RecordedOutputTests runs the same commands with the current build and compares the
# outputs field by field (numbers to 1e-9 relative; fields added since are allowed).
# Issue 11: run before the library-first redesign, with the build of commit 2f1dc7a.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/irrepscope}
dest=${2:-Tests/Recorded/outputs}
mkdir -p "$dest"
while IFS=$'\t' read -r name output args; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  scratch=$(mktemp -d)
  eval "set -- ${args//\{OUT\}/$scratch}"
  if [[ "$output" == stdout ]]; then
    "$bin" "$@" 2>/dev/null | gzip -n -9 > "$dest/$name.gz"
  else
    "$bin" "$@" >/dev/null 2>&1 || true
    gzip -n -9 < "$scratch/$output" > "$dest/$name.gz"
  fi
  rm -rf "$scratch"
  echo "recorded $name" >&2
done < Tests/Recorded/manifest.tsv
