/*
 * anonymize.h: IP address obfuscation (section 7 of the dump format).
 *
 * The dump anonymizer streams: it reads a dump (plain or gzip, file format 3)
 * line by line and writes the anonymized plain dump through a write callback,
 * one call per output line, each ending with "\n" (the last one too), as
 * upstream's server-side anonymizer does.  A line that holds an address field
 * is re-serialized (JSON-equal to upstream's); any other line is copied as
 * read; empty lines are dropped.  Memory is bounded by the longest line.
 * Errors are the reader's (code, line, detail); with opts->skip_bad_lines a
 * line that is not a JSON array is dropped, never copied.  After an error
 * every call fails.  A webrtc-internals "Create dump" document is read whole
 * (bounded by opts->max_document_bytes) and written back in one call as one
 * pretty-printed JSON document.  What is rewritten where: docs/privacy.md.
 *
 * The single-value helpers return malloc'd strings the caller frees; NULL
 * input gives NULL, "" gives "".
 */
#ifndef RTCSTATS_ANONYMIZE_H
#define RTCSTATS_ANONYMIZE_H

#include <stddef.h>

#include "rtcstats/error.h"
#include "rtcstats/reader.h"

/* Receives output bytes; return RTCSTATS_OK to go on. */
typedef rtcstats_status (*rtcstats_write_fn) (void *arg, const void *data, size_t len,
											   rtcstats_error *err);

typedef struct rtcstats_anonymizer rtcstats_anonymizer;

rtcstats_anonymizer *rtcstats_anonymizer_new(const rtcstats_reader_options *opts,
											 rtcstats_write_fn write, void *arg);
rtcstats_status rtcstats_anonymizer_feed(rtcstats_anonymizer *a, const void *data, size_t len,
										 rtcstats_error *err);
rtcstats_status rtcstats_anonymizer_finish(rtcstats_anonymizer *a, rtcstats_error *err);
void		rtcstats_anonymizer_free(rtcstats_anonymizer *a);	/* NULL-safe */
/* Lines dropped because opts->skip_bad_lines was set (they are never copied). */
long		rtcstats_anonymizer_skipped_lines(const rtcstats_anonymizer *a);

/*
 * "192.0.2.7" -> "192.0.2.x"; "2001:db8:85a3::1" -> "2001:db8:85a3:x:x:x:x:x";
 * "::ffff:203.0.113.7" -> "::ffff:203.0.113.x"; loopback, 0.0.0.0 and
 * hostnames unchanged.  Returns NULL only when out of memory.
 */
char	   *rtcstats_obfuscate_address(const char *address);
/* An ICE candidate ("candidate:..." or "a=candidate:..."); relay addresses kept. */
char	   *rtcstats_anonymize_candidate(const char *candidate);
/* A whole SDP: candidate, c= and a=rtcp: lines. */
char	   *rtcstats_anonymize_sdp(const char *sdp);

#endif
