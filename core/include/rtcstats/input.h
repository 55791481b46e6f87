/*
 * input.h: turn the raw bytes of a dump (plain or gzip, detected by the magic
 * bytes 1f 8b) into lines, one feed at a time.
 *
 * The caller owns the loop (like zlib's inflate): feed chunks of any size as
 * they arrive, then finish.  Memory is bounded by the longest line, and a line
 * longer than max_line_bytes is an error rather than an allocation.  Every
 * line is handed to on_line without its terminating "\n" (or "\r\n").  The
 * concatenation of gzip members is accepted, as gzip(1) does.
 */
#ifndef RTCSTATS_INPUT_H
#define RTCSTATS_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcstats/error.h"

#define RTCSTATS_DEFAULT_MAX_LINE_BYTES (64 * 1024 * 1024)

/*
 * Called once per line.  lineno is 1-based; the buffer is NUL-terminated at
 * line[len] and valid only during the call.  Return RTCSTATS_OK to go on.
 */
typedef rtcstats_status (*rtcstats_line_fn) (void *arg, const char *line, size_t len,
											  long lineno, rtcstats_error *err);

typedef struct rtcstats_input rtcstats_input;

rtcstats_input *rtcstats_input_new(rtcstats_line_fn on_line, void *arg, size_t max_line_bytes);
rtcstats_status rtcstats_input_feed(rtcstats_input *in, const void *data, size_t len,
									rtcstats_error *err);
/* Flushes the last line (which need not end with "\n") and checks the gzip trailer. */
rtcstats_status rtcstats_input_finish(rtcstats_input *in, rtcstats_error *err);
void		rtcstats_input_free(rtcstats_input *in);	/* NULL-safe */

/*
 * When the input starts with '{' (a webrtc-internals document, one JSON
 * value usually on one line), its lines may be up to max_document_bytes
 * instead of max_line_bytes.  Call before the first feed; 0 turns it off.
 */
void		rtcstats_input_set_document_limit(rtcstats_input *in, size_t max_document_bytes);

/* Whether the input turned out to be gzip-compressed (valid after the first feed). */
bool		rtcstats_input_was_gzip(const rtcstats_input *in);
/* Uncompressed bytes seen so far. */
size_t		rtcstats_input_bytes(const rtcstats_input *in);

/* Convenience: feed a whole file (path "-" is stdin) through in, then finish. */
rtcstats_status rtcstats_input_feed_file(rtcstats_input *in, const char *path,
										 rtcstats_error *err);

#endif
