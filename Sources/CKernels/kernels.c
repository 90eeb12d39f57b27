#include "kernels.h"
#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

void irrepscope_prefault(const void *p, size_t bytes, int for_writing) {
#if defined(__linux__)
    if (p == NULL || bytes < (1u << 16)) return;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes + page - 1) & ~(uintptr_t)(page - 1);
#ifdef MADV_HUGEPAGE
    /* Large fresh arrays: 2 MiB pages where the kernel has them (one page operation instead of 512). */
    if (for_writing && bytes >= (8u << 20)) madvise((void *)start, end - start, MADV_HUGEPAGE);
#endif
    madvise((void *)start, end - start, for_writing ? 23 /* MADV_POPULATE_WRITE */ : 22 /* MADV_POPULATE_READ */);
#else
    (void)p; (void)bytes; (void)for_writing;
#endif
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
/* The ifunc resolvers run before the sanitizer runtime is up: one baseline version. */
#define IRREPSCOPE_NO_MULTIVERSION 1
#endif
#endif

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__) && !defined(IRREPSCOPE_NO_MULTIVERSION)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

#define DEFINE_FOLD(NAME, T)                                                                         \
    MULTIVERSION                                                                                     \
    void NAME(const T *restrict u, ptrdiff_t count, ptrdiff_t neuron_stride, ptrdiff_t p,             \
              T *restrict even, ptrdiff_t even_size, T *restrict odd, ptrdiff_t odd_size) {            \
        const ptrdiff_t h = p / 2, s = (p + 1) / 2 - 1;                                              \
        for (ptrdiff_t j = 0; j < count; j++) {                                                      \
            const T *x = u + j * neuron_stride;                                                      \
            T *e = even + j * even_size, *o = odd + j * odd_size;                                    \
            e[0] = x[0];                                                                             \
            const T *lo = x + 1, *hi = x + (p - 1);                                                  \
            for (ptrdiff_t a = 0; a < s; a++) {                                                      \
                T l = lo[a], r = hi[-a];                                                             \
                e[a + 1] = l + r;                                                                    \
                o[a] = l - r;                                                                        \
            }                                                                                        \
            if (p % 2 == 0 && h >= 1) e[h] = x[h];                                                   \
        }                                                                                            \
    }

DEFINE_FOLD(irrepscope_fold_f32, float)
DEFINE_FOLD(irrepscope_fold_f64, double)

#define DEFINE_HIDDEN(NAME, T)                                                                       \
    MULTIVERSION                                                                                     \
    void NAME(const T *restrict x, const T *restrict y, ptrdiff_t m, T *restrict h, int kind, int k) { \
        if (kind == 0) {                                                                             \
            for (ptrdiff_t i = 0; i < m; i++) { T t = x[i] + y[i]; h[i] = t * t; }                   \
        } else if (kind == 1) {                                                                      \
            for (ptrdiff_t i = 0; i < m; i++) { T t = x[i] + y[i]; h[i] = t > 0 ? t : 0; }           \
        } else {                                                                                     \
            for (ptrdiff_t i = 0; i < m; i++) {                                                      \
                T t = x[i] + y[i], r = t;                                                            \
                for (int j = 1; j < k; j++) r *= t;                                                  \
                h[i] = r;                                                                            \
            }                                                                                        \
        }                                                                                            \
    }

DEFINE_HIDDEN(irrepscope_hidden_f32, float)
DEFINE_HIDDEN(irrepscope_hidden_f64, double)

/* Same bits on every instruction set: no contraction of a*a + s into an FMA. */
#pragma clang fp contract(off)

/* Eight doubles, compiled to whatever the target has (one zmm, two ymm, four xmm): element-wise
   operations only, so the lanes' arithmetic does not depend on the instruction set. */
typedef double v8d __attribute__((vector_size(64), aligned(8)));
typedef long long v8l __attribute__((vector_size(64), aligned(8)));

/* mask ? a : b, lane by lane (a macro: vector arguments would change the ABI per target). */
#define BLEND(mask, a, b) ((v8d)((((v8l)(a)) & (mask)) | (((v8l)(b)) & ~(mask))))

MULTIVERSION
void irrepscope_row_summaries(const double *restrict rows, ptrdiff_t count, ptrdiff_t stride, ptrdiff_t bins,
                              double *restrict sum, double *restrict squares, double *restrict best, int *restrict arg) {
    const v8d first = {1, 2, 3, 4, 5, 6, 7, 8};
    for (ptrdiff_t j = 0; j < count; j++) {
        const double *row = rows + j * stride;
        v8d t = {0}, q = {0}, top = first * 0.0 - 1.0, at = first, index = first;
        ptrdiff_t k = 1;
        for (; k + 7 < bins; k += 8) {
            v8d v;
            __builtin_memcpy(&v, row + k, sizeof v);
            t += v;
            q += v * v;
            v8l higher = v > top;
            top = BLEND(higher, v, top);
            at = BLEND(higher, index, at);
            index += 8.0;
        }
        double s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
        double sq = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
        /* The largest lane, then the smallest index among the lanes holding it: in-register
           reductions over halves, quarters and pairs. */
        v8d m = top, y;
        y = __builtin_shufflevector(m, m, 4, 5, 6, 7, 0, 1, 2, 3); m = BLEND(y > m, y, m);
        y = __builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5); m = BLEND(y > m, y, m);
        y = __builtin_shufflevector(m, m, 1, 0, 3, 2, 5, 4, 7, 6); m = BLEND(y > m, y, m);
        const v8d none = first * 0.0 + 1e300;
        v8d c = BLEND(top == m, at, none);
        y = __builtin_shufflevector(c, c, 4, 5, 6, 7, 0, 1, 2, 3); c = BLEND(y < c, y, c);
        y = __builtin_shufflevector(c, c, 2, 3, 0, 1, 6, 7, 4, 5); c = BLEND(y < c, y, c);
        y = __builtin_shufflevector(c, c, 1, 0, 3, 2, 5, 4, 7, 6); c = BLEND(y < c, y, c);
        double b = m[0];
        ptrdiff_t bk = c[0] < 1e300 ? (ptrdiff_t)c[0] : 1;
        for (; k < bins; k++) {
            double v = row[k];
            s += v;
            sq += v * v;
            if (v > b) { b = v; bk = k; }
        }
        sum[j] = s;
        squares[j] = sq;
        best[j] = b;
        arg[j] = (int)bk;
    }
}

/* e^t for t in [-708, 0]: t = k ln 2 + r with k = round(t / ln 2) (Cody–Waite: ln 2 in two
   parts, so r is exact to the last bits), |r| ≤ ln 2 / 2; e^r by its Taylor polynomial of
   degree 13 (truncation below 4e-18 relative) in Horner form; 2^k built in the exponent
   bits. Adds and products only, no fused multiply-adds (contraction off), so every
   instruction set gives the same bits. */
static inline double exp_nonpositive(double t) {
#pragma clang fp contract(off)
    const double log2e = 1.4426950408889634, ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
    const double shifter = 6755399441055744.0; /* 0x1.8p52: adding it rounds to an integer in the low bits */
    double kd = t * log2e + shifter;
    union { double d; unsigned long long u; } kb = { kd };
    kd -= shifter;
    double r = (t - kd * ln2hi) - kd * ln2lo;
    double p = 1.0 / 6227020800.0;          /* 1/13! */
    p = p * r + 1.0 / 479001600.0;           /* 1/12! */
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    union { unsigned long long u; double d; } scale = { (kb.u + 1023ull) << 52 };
    return p * scale.d;
}

MULTIVERSION
double irrepscope_exp_shifted(const double *restrict x, ptrdiff_t n, double shift, double *restrict out) {
#pragma clang fp contract(off)
    for (ptrdiff_t i = 0; i < n; i++) {
        double t = x[i] - shift;
        t = t < -708.0 ? -708.0 : (t > 0.0 ? 0.0 : t);
        out[i] = exp_nonpositive(t);
    }
    double total = 0.0;
    for (ptrdiff_t i = 0; i < n; i++) total += out[i];
    return total;
}
