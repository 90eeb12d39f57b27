#!/usr/bin/env bash
# `make bench`: every benchmark, each against the peer its issue names, measured side by side
# in the same run. Installs the peers when missing: numpy/scipy/torch from PyPI, GAP from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import numpy, scipy" 2>/dev/null || pip install -q numpy scipy
python3 -c "import torch" 2>/dev/null || pip install -q torch || echo "note: torch not installed; checkpoint and batch peers skipped" >&2
if ! command -v gap >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gap >&2 || true
fi
for b in spectrum characters groups_from_data checkpoints orbax analyze attribution gemm_rates attribution_batch transformer batch rendering; do
  echo "### $b"
  bash "Benchmarks/$b.sh"
done
