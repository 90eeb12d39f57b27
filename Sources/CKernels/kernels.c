#include "kernels.h"
#include <math.h>
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

/* out[i] = σ(base[i] + w[0]·r[0][i] + w[1]·r[1][i] + … + w[count−1]·r[count−1][i]), the sum taken
   left to right, each product rounded before it is added (contraction is off above), so every
   instruction set gives the bits of the plain scalar loop. Vectors of 32, then 8, doubles, then
   a scalar tail. */
#define MIX_ACTIVATE(s)                                                                              \
    do {                                                                                             \
        if (kind == 0) s = s * s;                                                                    \
        else if (kind == 1) s = BLEND(s > zero, s, zero);                                            \
        else if (kind == 2) { v8d t = s; for (int q = 1; q < k; q++) s = s * t; }                    \
    } while (0)

MULTIVERSION
void irrepscope_mix_f64(const double *restrict base, const double *const *restrict rows, const double *restrict w,
                        ptrdiff_t count, ptrdiff_t m, double *restrict out, int kind, int k) {
    const v8d zero = {0};
    ptrdiff_t i = 0;
    for (; i + 31 < m; i += 32) {
        v8d s0, s1, s2, s3;
        __builtin_memcpy(&s0, base + i, sizeof s0);
        __builtin_memcpy(&s1, base + i + 8, sizeof s1);
        __builtin_memcpy(&s2, base + i + 16, sizeof s2);
        __builtin_memcpy(&s3, base + i + 24, sizeof s3);
        for (ptrdiff_t j = 0; j < count; j++) {
            const double *r = rows[j] + i;
            const double c = w[j];
            v8d r0, r1, r2, r3;
            __builtin_memcpy(&r0, r, sizeof r0);
            __builtin_memcpy(&r1, r + 8, sizeof r1);
            __builtin_memcpy(&r2, r + 16, sizeof r2);
            __builtin_memcpy(&r3, r + 24, sizeof r3);
            s0 = s0 + c * r0; s1 = s1 + c * r1; s2 = s2 + c * r2; s3 = s3 + c * r3;
        }
        MIX_ACTIVATE(s0); MIX_ACTIVATE(s1); MIX_ACTIVATE(s2); MIX_ACTIVATE(s3);
        __builtin_memcpy(out + i, &s0, sizeof s0);
        __builtin_memcpy(out + i + 8, &s1, sizeof s1);
        __builtin_memcpy(out + i + 16, &s2, sizeof s2);
        __builtin_memcpy(out + i + 24, &s3, sizeof s3);
    }
    for (; i + 7 < m; i += 8) {
        v8d s0;
        __builtin_memcpy(&s0, base + i, sizeof s0);
        for (ptrdiff_t j = 0; j < count; j++) {
            v8d r0;
            __builtin_memcpy(&r0, rows[j] + i, sizeof r0);
            s0 = s0 + w[j] * r0;
        }
        MIX_ACTIVATE(s0);
        __builtin_memcpy(out + i, &s0, sizeof s0);
    }
    for (; i < m; i++) {
        double s = base[i];
        for (ptrdiff_t j = 0; j < count; j++) s = s + w[j] * rows[j][i];
        if (kind == 0) s = s * s;
        else if (kind == 1) s = s > 0 ? s : 0;
        else if (kind == 2) { double t = s; for (int q = 1; q < k; q++) s = s * t; }
        out[i] = s;
    }
}

/* y = exp(x) for x ≤ 0 in eight lanes (a macro, like BLEND): Cephes' rational approximation on
   |r| ≤ ln2/2 after x = k·ln2 + r (peak relative error about 2e-16), 0 below −708 (where
   exp(x) < 2^−1021) and for −∞, NaN for NaN. Adds, products and one quotient, so every
   instruction set gives the same bits. */
#define EXP_MAGIC 6755399441055744.0          /* 1.5·2^52: adding it rounds to an integer */
#define EXP_MAGIC_BITS 0x4338000000000000LL
#define EXP_NONPOSITIVE(y, x)                                                                        \
    do {                                                                                             \
        v8d t_ = (x) * 1.4426950408889634073599 + EXP_MAGIC;                                          \
        v8d k_ = t_ - EXP_MAGIC;                                                                     \
        v8d r_ = ((x) - k_ * 6.93145751953125E-1) - k_ * 1.42860682030941723212E-6;                   \
        v8d rr_ = r_ * r_;                                                                           \
        v8d p_ = r_ * ((1.26177193074810590878E-4 * rr_ + 3.02994407707441961300E-2) * rr_           \
                       + 9.99999999999999999910E-1);                                                 \
        v8d q_ = ((3.00198505138664455042E-6 * rr_ + 2.52448340349684104192E-3) * rr_                \
                  + 2.27265548208155028766E-1) * rr_ + 2.00000000000000000009E0;                      \
        v8d e_ = p_ / (q_ - p_);                                                                     \
        e_ = e_ + e_ + 1.0;                                                                          \
        v8l tb_;                                                                                     \
        __builtin_memcpy(&tb_, &t_, sizeof tb_);                                                     \
        v8l sb_ = ((tb_ - EXP_MAGIC_BITS) + 1023) << 52;                                             \
        v8d s_;                                                                                      \
        __builtin_memcpy(&s_, &sb_, sizeof s_);                                                      \
        v8d z_ = e_ * s_;                                                                            \
        const v8d zero_ = {0};                                                                       \
        z_ = BLEND((x) < -708.0, zero_, z_);                                                         \
        (y) = BLEND((x) != (x), (x), z_);                                                            \
    } while (0)

/* The largest value of row[0 ..< n], its first index and the largest of the others (a tie
   gives second = top; NaNs never taken; −∞ and index 0 when no value exceeds −∞): per lane
   (c mod 8) the scalar rule, the lanes merged, then the tail by the scalar rule. With `lanes`,
   also the eight lane sums of the row (entry c in lane c mod 8, in order of c). Inlined into
   each kernel's clones. */
static inline __attribute__((always_inline)) void top_two(const double *restrict row, ptrdiff_t n, double *top,
                                                          int *arg, double *second, v8d *lanes) {
    const v8d lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8d zero = {0};
    const double inf = __builtin_inf();
    v8d t1 = zero - inf, t2 = zero - inf, at = zero + 1e300, index = lane, sum = zero;
    ptrdiff_t c = 0;
    for (; c + 7 < n; c += 8) {
        v8d v;
        __builtin_memcpy(&v, row + c, sizeof v);
        sum += v;
        v8l higher = v > t1;
        v8l runner = (v > t2) & ~higher;
        t2 = BLEND(higher, t1, BLEND(runner, v, t2));
        t1 = BLEND(higher, v, t1);
        at = BLEND(higher, index, at);
        index += 8.0;
    }
    double m1 = -inf, m2 = -inf, i1 = 1e300;
    for (int l = 0; l < 8; l++) {
        double a = t1[l], b = t2[l], ia = at[l];
        if (a > m1) { m2 = m1 > b ? m1 : b; m1 = a; i1 = ia; }
        else if (a == m1) { m2 = a; if (ia < i1) i1 = ia; }
        else if (a > m2) m2 = a;
    }
    if (lanes) {
        /* The lane sums (c mod 8) including the tail. */
        if (c < n) {
            v8d v = zero;
            __builtin_memcpy(&v, row + c, (size_t)(n - c) * sizeof(double));
            sum += v;
        }
        *lanes = sum;
    }
    for (; c < n; c++) {
        double v = row[c];
        if (v > m1) { m2 = m1; m1 = v; i1 = (double)c; }
        else if (v > m2) m2 = v;
    }
    *top = m1;
    *second = m2;
    *arg = i1 < 1e300 ? (int)i1 : 0;
}

MULTIVERSION
void irrepscope_logit_rows_f64(const double *restrict x, ptrdiff_t count, ptrdiff_t n, double *restrict top,
                               int *restrict arg, double *restrict second, double *restrict sumexp) {
    const v8d lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8d zero = {0};
    for (ptrdiff_t j = 0; j < count; j++) {
        const double *row = x + j * n;
        top_two(row, n, &top[j], &arg[j], &second[j], 0);
        const double m1 = top[j];
        /* Σ_c exp(x_c − max): eight lane sums combined in a fixed order. */
        v8d s = zero;
        ptrdiff_t c = 0;
        for (; c + 7 < n; c += 8) {
            v8d v, y;
            __builtin_memcpy(&v, row + c, sizeof v);
            v = v - m1;
            EXP_NONPOSITIVE(y, v);
            s += y;
        }
        if (c < n) {
            v8d v = zero, y;
            __builtin_memcpy(&v, row + c, (size_t)(n - c) * sizeof(double));
            v = v - m1;
            EXP_NONPOSITIVE(y, v);
            v8l real = lane < (double)(n - c);
            s += BLEND(real, y, zero);
        }
        sumexp[j] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
}

MULTIVERSION
double irrepscope_exp_shifted(const double *restrict x, ptrdiff_t n, double shift, double *restrict out) {
    const v8d zero = {0};
    ptrdiff_t i = 0;
    for (; i + 7 < n; i += 8) {
        v8d v, y;
        __builtin_memcpy(&v, x + i, sizeof v);
        v = v - shift;
        v = BLEND(v > 0.0, zero, v);
        EXP_NONPOSITIVE(y, v);
        __builtin_memcpy(out + i, &y, sizeof y);
    }
    if (i < n) {
        v8d v = zero, y;
        __builtin_memcpy(&v, x + i, (size_t)(n - i) * sizeof(double));
        v = v - shift;
        v = BLEND(v > 0.0, zero, v);
        EXP_NONPOSITIVE(y, v);
        __builtin_memcpy(out + i, &y, (size_t)(n - i) * sizeof(double));
    }
    double total = 0.0;
    for (ptrdiff_t k = 0; k < n; k++) total += out[k];
    return total;
}

MULTIVERSION
void irrepscope_range(const double *restrict x, ptrdiff_t n, double *lo, double *hi) {
    const double inf = __builtin_inf();
    v8d mn = {inf, inf, inf, inf, inf, inf, inf, inf}, mx = -mn;
    ptrdiff_t i = 0;
    for (; i + 7 < n; i += 8) {
        v8d v;
        __builtin_memcpy(&v, x + i, sizeof v);
        mx = BLEND(v > mx, v, mx);
        mn = BLEND(v < mn, v, mn);
    }
    double a = inf, b = -inf;
    for (int k = 0; k < 8; k++) { if (mn[k] < a) a = mn[k]; if (mx[k] > b) b = mx[k]; }
    for (; i < n; i++) { if (x[i] < a) a = x[i]; if (x[i] > b) b = x[i]; }
    *lo = a;
    *hi = b;
}

MULTIVERSION
double irrepscope_sum_log(const double *restrict x, ptrdiff_t n) {
    const v8l mantissa = {0xfffffffffffffLL, 0xfffffffffffffLL, 0xfffffffffffffLL, 0xfffffffffffffLL,
                          0xfffffffffffffLL, 0xfffffffffffffLL, 0xfffffffffffffLL, 0xfffffffffffffLL};
    const v8l one = {0x3ff0000000000000LL, 0x3ff0000000000000LL, 0x3ff0000000000000LL, 0x3ff0000000000000LL,
                     0x3ff0000000000000LL, 0x3ff0000000000000LL, 0x3ff0000000000000LL, 0x3ff0000000000000LL};
    v8d p = (v8d)one;
    v8l e = {0}, bad = {0};
    for (ptrdiff_t i = 0; i < n; i += 8) {
        v8d v = (v8d)one;
        __builtin_memcpy(&v, x + i, (size_t)(n - i < 8 ? n - i : 8) * sizeof(double));
        v8l b = (v8l)v;
        v8l ex = (b >> 52) & 0x7ff;
        bad |= (ex == 0) | (ex == 0x7ff) | (b < 0);
        e += ex - 1023;
        p = p * (v8d)((b & mantissa) | one);
        v8l pb = (v8l)p;
        e += ((pb >> 52) & 0x7ff) - 1023;
        p = (v8d)((pb & mantissa) | one);
    }
    long long total = 0, anyBad = 0;
    double product = 1.0;
    for (int k = 0; k < 8; k++) { total += e[k]; anyBad |= bad[k]; product *= p[k]; }
    if (anyBad) return __builtin_nan("");
    const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const double t = (double)total;
    return t * ln2_hi + (log(product) + t * ln2_lo);
}

MULTIVERSION
void irrepscope_center_rows_f64(const double *restrict x, ptrdiff_t count, ptrdiff_t n, double *restrict y,
                                double *restrict top, int *restrict arg, double *restrict second,
                                double *restrict sumsq) {
    const v8d lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8d zero = {0};
    for (ptrdiff_t j = 0; j < count; j++) {
        const double *row = x + j * n;
        double *out = y + j * n;
        v8d s;
        top_two(row, n, &top[j], &arg[j], &second[j], &s);
        const double mean = (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) / (double)n;
        v8d q = zero;
        ptrdiff_t c = 0;
        for (; c + 7 < n; c += 8) {
            v8d v;
            __builtin_memcpy(&v, row + c, sizeof v);
            v = v - mean;
            q += v * v;
            __builtin_memcpy(out + c, &v, sizeof v);
        }
        if (c < n) {
            v8d v = zero;
            __builtin_memcpy(&v, row + c, (size_t)(n - c) * sizeof(double));
            v = v - mean;
            v8l real = lane < (double)(n - c);
            v = BLEND(real, v, zero);
            q += v * v;
            __builtin_memcpy(out + c, &v, (size_t)(n - c) * sizeof(double));
        }
        sumsq[j] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
    }
}

MULTIVERSION
void irrepscope_label_squares_f64(const double *restrict p, const double *restrict q, ptrdiff_t m, ptrdiff_t n,
                                  const int *restrict pair, ptrdiff_t i0, ptrdiff_t width, double *restrict f) {
    const v8d zero = {0};
    ptrdiff_t i = i0;
    const ptrdiff_t end = i0 + width;
    /* 64 neurons at a time in eight registers, over every label and its n pairs (fewer passes
       over the rows of q, which a label visits in no particular order). */
    for (; i + 63 < end; i += 64) {
        for (ptrdiff_t g = 0; g < n; g++) {
            v8d s[8] = {zero, zero, zero, zero, zero, zero, zero, zero};
            const int *row = pair + g * n;
            for (ptrdiff_t a = 0; a < n; a++) {
                const double *x = p + a * m + i, *y = q + (ptrdiff_t)row[a] * m + i;
                for (int k = 0; k < 8; k++) {
                    v8d u, v;
                    __builtin_memcpy(&u, x + 8 * k, 64);
                    __builtin_memcpy(&v, y + 8 * k, 64);
                    u = u + v;
                    s[k] += u * u;
                }
            }
            double *out = f + g * m + i;
            for (int k = 0; k < 8; k++) __builtin_memcpy(out + 8 * k, &s[k], 64);
        }
    }
    for (; i + 7 < end; i += 8) {
        for (ptrdiff_t g = 0; g < n; g++) {
            v8d s0 = zero;
            const int *row = pair + g * n;
            for (ptrdiff_t a = 0; a < n; a++) {
                v8d u, v;
                __builtin_memcpy(&u, p + a * m + i, 64);
                __builtin_memcpy(&v, q + (ptrdiff_t)row[a] * m + i, 64);
                u = u + v;
                s0 += u * u;
            }
            __builtin_memcpy(f + g * m + i, &s0, 64);
        }
    }
    /* The rest one neuron at a time, by the same rule. */
    for (; i < end; i++) {
        for (ptrdiff_t g = 0; g < n; g++) {
            double acc = 0;
            const int *row = pair + g * n;
            for (ptrdiff_t a = 0; a < n; a++) { double t = p[a * m + i] + q[(ptrdiff_t)row[a] * m + i]; acc += t * t; }
            f[g * m + i] = acc;
        }
    }
}
