#ifndef IRREPSCOPE_KERNELS_H
#define IRREPSCOPE_KERNELS_H
/* Small numeric kernels in C, compiled for several instruction sets (AVX2+FMA, AVX-512,
   baseline x86-64) and chosen at load time by the CPU (GNU ifunc via target_clones), so one
   binary runs everywhere and uses the widest vectors available. Swift code itself targets
   baseline x86-64 (SSE2). */
#include <stddef.h>

/* The folded real-DFT inputs of `count` contiguous neurons of length p (neuron j at
   u + j*neuron_stride, samples at unit stride): e[0] = u[0], e[a] = u[a] + u[p-a] and
   o[a-1] = u[a] - u[p-a] for 0 < a < p/2, e[p/2] = u[p/2] for even p. Neuron j's folded
   vectors go to even + j*even_size and odd + j*odd_size. */
void irrepscope_fold_f32(const float *u, ptrdiff_t count, ptrdiff_t neuron_stride, ptrdiff_t p,
                         float *even, ptrdiff_t even_size, float *odd, ptrdiff_t odd_size);
void irrepscope_fold_f64(const double *u, ptrdiff_t count, ptrdiff_t neuron_stride, ptrdiff_t p,
                         double *even, ptrdiff_t even_size, double *odd, ptrdiff_t odd_size);

/* Per row of bin powers (row j at rows + j*stride, bins entries; entry 0 is DC): the sum,
   the sum of squares and the maximum of entries 1..bins-1, and the first index attaining
   the maximum (1 when bins == 1). Sums run in eight lanes by k mod 8, combined in a fixed
   order, with no fused multiply-adds, so every instruction set gives the same bits. */
void irrepscope_row_summaries(const double *rows, ptrdiff_t count, ptrdiff_t stride, ptrdiff_t bins,
                              double *sum, double *squares, double *best, int *arg);

/* h[i] = σ(x[i] + y[i]) for i < m, with σ(t) = t² (kind 0), max(t, 0) (kind 1) or t^k by
   k − 1 successive products (kind 2). Adds and products only, so every instruction set gives
   the same bits. */
void irrepscope_hidden_f32(const float *x, const float *y, ptrdiff_t m, float *h, int kind, int k);
void irrepscope_hidden_f64(const double *x, const double *y, ptrdiff_t m, double *h, int kind, int k);

/* f[g·m + i] = Σ_{a < n} (p[a·m + i] + q[b·m + i])², b = pair[g·n + a], for every label g < n
   and neuron i in [i0, i0 + width): the sum over the n pairs (a, b) of label g, in the order of
   a, each term rounded as (p + q) then squared, no fused multiply-adds (the same bits as the plain
   scalar loop on every instruction set). The raw means of quadratic neurons over the pairs of
   one product (Analysis/Attribution.swift). */
void irrepscope_label_squares_f64(const double *p, const double *q, ptrdiff_t m, ptrdiff_t n, const int *pair,
                                  ptrdiff_t i0, ptrdiff_t width, double *f);

/* out[i] = e^{x[i] − shift} for i < n (arguments above 0 taken as 0; callers pass the maximum
   of x as the shift), by the eight-lane exponential of `irrepscope_logit_rows_f64` (about
   2e-16 relative, 0 below −708, the same bits on every instruction set); returns Σ_i out[i]
   summed in index order. The caller keeps non-finite inputs away. */
double irrepscope_exp_shifted(const double *x, ptrdiff_t n, double shift, double *out);

/* out[i] = σ(base[i] + Σ_{j<count} w[j]·rows[j][i]) for i < m, the sum left to right with each
   product rounded before it is added, σ the identity (kind −1), t² (kind 0), max(t, 0) (kind 1)
   or t^k by k − 1 successive products (kind 2). Adds and products only, so every instruction set
   gives the bits of the plain scalar loop. The transformer's per-pair mixing of tabulated
   vectors by attention weights (Analysis/TransformerNetwork.swift). */
void irrepscope_mix_f64(const double *base, const double *const *rows, const double *w, ptrdiff_t count, ptrdiff_t m,
                        double *out, int kind, int k);

/* Per row j of `count` rows of n logits (row j at x + j*n): top[j] = the largest value and
   arg[j] its first index, second[j] = the largest of the others (a tie gives second = top),
   both −∞ and arg 0 when no value exceeds −∞ (NaNs are never taken), and sumexp[j] =
   Σ_c exp(x_c − top[j]) (the softmax's denominator, ≥ 1). The exponential is a rational
   approximation with relative error about 2e-16 (values below e^−708 count 0); the sum runs in
   eight lanes by c mod 8 combined in a fixed order, with no fused multiply-adds, so every
   instruction set gives the same bits. The transformer's accuracy, margin and loss per pair. */
void irrepscope_logit_rows_f64(const double *x, ptrdiff_t count, ptrdiff_t n, double *top, int *arg, double *second,
                               double *sumexp);

/* *lo and *hi: the least and the largest of x[0 ..< n], NaNs skipped (+∞ and −∞ when there is
   no other value). Comparisons only: the same result on every instruction set. */
void irrepscope_range(const double *x, ptrdiff_t n, double *lo, double *hi);

/* Σ_i log x[i] for i < n, as the log of the product: the significands multiplied in eight lanes,
   each lane renormalized to [1, 2) after every product with the exponents counted exactly, the
   lanes combined in a fixed order and one log taken at the end (ln 2 in two parts). One
   rounding per product (relative error of the product at most about n·2^−53, far below one
   unit of the sum's last place for the n here) and n times fewer logs. The same bits on every
   instruction set. NaN when some x[i] is not a positive normal number (the caller then takes
   the logs one by one). */
double irrepscope_sum_log(const double *x, ptrdiff_t n);

/* Per row j of `count` rows of n values (row j at x + j*n): top[j], arg[j] and second[j] as in
   `irrepscope_logit_rows_f64`; the row less its mean into y (row j at y + j*n), and sumsq[j] =
   Σ_c (x_c − mean)². The mean and the sum of squares are eight lane sums by c mod 8 combined in
   a fixed order, with no fused multiply-adds: the same bits on every instruction set. The
   centered logits of the attribution's forward pass (Analysis/LogitPass.swift). */
void irrepscope_center_rows_f64(const double *x, ptrdiff_t count, ptrdiff_t n, double *y, double *top, int *arg,
                                double *second, double *sumsq);

/* Maps the pages of [p, p + bytes) in one system call instead of one fault per page
   (Linux ≥ 5.14: MADV_POPULATE_READ / MADV_POPULATE_WRITE). Page faults are costly (notably in VMs), and a fresh multi-megabyte array
   or a freshly mapped checkpoint otherwise takes thousands. Best effort: errors are ignored. */
void irrepscope_prefault(const void *p, size_t bytes, int for_writing);

#endif
