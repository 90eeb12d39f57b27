#ifndef IRREPSCOPE_CBLAS_SHIM_H
#define IRREPSCOPE_CBLAS_SHIM_H
/* CBLAS from Debian's libopenblas-dev (pkg-config openblas). */
#include <cblas.h>
/* OpenBLAS extensions: the number of threads its own kernels may use, and stopping its
   thread pool (whose idle threads otherwise spin on sched_yield for a while). */
void openblas_set_num_threads(int num_threads);
int blas_thread_shutdown_(void);
/* The build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64". */
char *openblas_get_config(void);
#endif
