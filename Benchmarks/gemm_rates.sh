#!/usr/bin/env bash
# dgemm against sgemm, one thread, at the forward pass's shapes (Benchmarks/gemm_rates.c):
# why the attribution's kept double-precision pass costs what it does (docs/attribution.md §10).
# The kernels are OpenBLAS's choice for this CPU (OPENBLAS_CORETYPE overrides it).
#
# Measured 2026-12-02 (AMD EPYC, OpenBLAS 0.3.21, OPENBLAS_CORETYPE=Haswell as this machine's
# environment sets it): 904 x 113 x 512 dgemm 53.1, sgemm 107.1 GFlop/s; 960 x 120 x 2000
# dgemm 52.8, sgemm 104.7 GFlop/s; with OPENBLAS_CORETYPE=SkylakeX (AVX-512) on the same machine:
# dgemm 79.7 and 73.8, sgemm 199.5 and 183.0 GFlop/s (sgemm 2.5x dgemm).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
cc -O2 -o .build/gemm_rates Benchmarks/gemm_rates.c $(pkg-config --cflags --libs openblas)
.build/gemm_rates
