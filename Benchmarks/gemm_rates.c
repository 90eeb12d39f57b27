/* dgemm against sgemm at the shapes of the forward pass (Benchmarks/gemm_rates.sh): one
 * thread, GFlop/s, best of 20 calls each. The kept double-precision pass of the attribution
 * runs dgemm where `analyze --no-attribution` runs sgemm (docs/attribution.md §10). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>

void openblas_set_num_threads(int);
char *openblas_get_corename(void);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
    openblas_set_num_threads(1);
    /* pairs of one block × classes × hidden width: C_113 (m = 512, 8 rows of 113 pairs) and
       S_5 (m = 2000, 8 rows of 120 pairs). */
    const int shapes[][3] = {{904, 113, 512}, {960, 120, 2000}};
    const size_t len = 960 * 2000;
    double *A = malloc(len * 8), *B = malloc(len * 8), *C = malloc(len * 8);
    float *a = malloc(len * 4), *b = malloc(len * 4), *c = malloc(len * 4);
    if (!A || !B || !C || !a || !b || !c) return 1;
    for (size_t i = 0; i < len; i++) { A[i] = B[i] = (double)(i % 7) * 0.1; a[i] = b[i] = (float)(i % 5) * 0.1f; }
    printf("kernels: %s\n", openblas_get_corename());
    for (int s = 0; s < 2; s++) {
        const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        double bd = 1e9, bs = 1e9;
        for (int r = 0; r < 20; r++) {
            double t = now();
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, A, K, B, N, 0, C, N);
            t = now() - t; if (t < bd) bd = t;
            t = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a, K, b, N, 0, c, N);
            t = now() - t; if (t < bs) bs = t;
        }
        const double flop = 2.0 * M * N * K;
        printf("%d x %d x %d: dgemm %.1f GFlop/s, sgemm %.1f GFlop/s (sgemm %.2fx faster)\n", M, N, K,
               flop / bd * 1e-9, flop / bs * 1e-9, bd / bs);
    }
    return 0;
}
