// libdeflate (Debian libdeflate-dev): whole-buffer DEFLATE/zlib compression and CRC-32 for PNG writing.
#ifndef STEERLENS_CDEFLATE_SHIM_H
#define STEERLENS_CDEFLATE_SHIM_H
#include <libdeflate.h>
#endif
