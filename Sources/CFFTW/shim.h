#ifndef IRREPSCOPE_CFFTW_SHIM_H
#define IRREPSCOPE_CFFTW_SHIM_H
/* Double (fftw_*) and single (fftwf_*) precision FFTW 3 from Debian's libfftw3-dev. */
#include <fftw3.h>
#endif
