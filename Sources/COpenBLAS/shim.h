// Shim over OpenBLAS: the CBLAS interface plus its thread controls.
#ifndef STEERLENS_COPENBLAS_SHIM_H
#define STEERLENS_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
