#!/usr/bin/env bash
# The hand-written JSON writer against Foundation's JSONEncoder on the C_71 report record
# (500 neurons, six profiled), and the cost of rendering report.html with its SVG plots.
# Release build, best of REPS runs in one process (Benchmarks/RenderingBenchmark/main.swift).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product rendering-benchmark >&2
"$(swift build -c release --show-bin-path)/rendering-benchmark" data/c71-quadratic-final.pt C71 "${REPS:-20}"
