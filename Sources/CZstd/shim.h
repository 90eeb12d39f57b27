#ifndef IRREPSCOPE_CZSTD_SHIM_H
#define IRREPSCOPE_CZSTD_SHIM_H
#include <zstd.h>
#endif
