// COpenBLAS: OpenBLAS's CBLAS interface (cblas_sgemm, openblas_set_num_threads).
#ifndef TRIBUTARY_COPENBLAS_SHIM_H
#define TRIBUTARY_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
