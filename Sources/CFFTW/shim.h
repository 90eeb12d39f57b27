#ifndef IRREPSCOPE_CFFTW_SHIM_H
#define IRREPSCOPE_CFFTW_SHIM_H
/* Double (fftw_*) and single (fftwf_*) precision FFTW 3 from Debian's libfftw3-dev. */
#include <fftw3.h>
/* The library's version string ("fftw-3.3.10-sse2-avx"); an array of unknown size in fftw3.h. */
static inline const char *irrepscope_fftw_version(void) { return fftw_version; }
#endif
