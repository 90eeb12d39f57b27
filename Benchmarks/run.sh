#!/usr/bin/env bash
# `make bench`: every benchmark, each against the peer its issue names, measured side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in spectrum characters checkpoints batch; do
  if [ -f "Benchmarks/$b.sh" ]; then
    echo "### $b"
    bash "Benchmarks/$b.sh"
  fi
done
