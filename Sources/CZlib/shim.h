// Shim over zlib: inflateInit2 is a macro (it passes the library version and the struct size).
#ifndef STEERLENS_CZLIB_SHIM_H
#define STEERLENS_CZLIB_SHIM_H
#include <zlib.h>

/// Starts a raw-deflate stream (no zlib header), as ZIP entries store it: window bits −15.
static inline int steerlens_inflate_init_raw(z_stream *stream) { return inflateInit2(stream, -15); }
#endif
