#ifndef IRREPSCOPE_CZLIB_SHIM_H
#define IRREPSCOPE_CZLIB_SHIM_H
#include <zlib.h>
#endif
