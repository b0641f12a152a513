// Shim over FFmpeg's headers: static inline wrappers for the function-like macros Swift cannot import.
#ifndef STEERLENS_CFFMPEG_SHIM_H
#define STEERLENS_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/sha.h>

/// AVERROR(EAGAIN): the codec wants more input (or has more output) before it can go on.
static inline int steerlens_averror_eagain(void) { return AVERROR(EAGAIN); }
/// AVERROR(code) for any POSIX errno value (ENOENT, EACCES, EIO…).
static inline int steerlens_averror(int posix_code) { return AVERROR(posix_code); }
/// AVERROR_DECODER_NOT_FOUND: no decoder for the stream's codec in this build.
static inline int steerlens_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
/// AVERROR_EOF: end of stream.
static inline int steerlens_averror_eof(void) { return AVERROR_EOF; }
/// AV_NOPTS_VALUE: "no timestamp".
static inline int64_t steerlens_av_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AV_TIME_BASE: FFmpeg's internal time base (microseconds).
static inline int steerlens_av_time_base(void) { return AV_TIME_BASE; }

/// av_err2str without the compound literal: writes FFmpeg's message for `code` into `buffer`.
static inline const char *steerlens_av_error_string(int code, char *buffer, size_t size) {
    av_strerror(code, buffer, size);
    return buffer;
}

#endif
