#ifndef IRREPSCOPE_CBLAS_SHIM_H
#define IRREPSCOPE_CBLAS_SHIM_H
/* CBLAS from Debian's libopenblas-dev (pkg-config openblas). */
#include <cblas.h>
/* OpenBLAS extension: the number of threads its own kernels may use. */
void openblas_set_num_threads(int num_threads);
#endif
