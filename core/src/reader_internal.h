/*
 * reader_internal.h: what the format readers share inside the core.
 */
#ifndef RTCSTATS_READER_INTERNAL_H
#define RTCSTATS_READER_INTERNAL_H

#include <json-c/json.h>

#include "rtcstats/reader.h"

/*
 * Dispatch one event of a converted dump (webrtc-internals).  getStats
 * values are whole reports that replace the peer connection's previous one,
 * as upstream's internalsToRtcstats() builds them; nothing else is
 * decompressed.  value and extra are borrowed.
 */
rtcstats_status rtcstats_reader_emit(rtcstats_reader *r, const char *pc, const char *method,
									 double timestamp, json_object *value, json_object *extra,
									 rtcstats_error *err);
rtcstats_status rtcstats_reader_emit_metadata(rtcstats_reader *r, json_object *metadata,
											  rtcstats_error *err);

/*
 * internals.c: convert a parsed webrtc-internals document into events, in
 * upstream's order (client trace first, then each peer connection's trace
 * sorted by time), through rtcstats_reader_emit().
 */
rtcstats_status rtcstats_internals_convert(rtcstats_reader *r, json_object *doc,
										   rtcstats_error *err);

/* The JSON nesting limit of the reader's options (for JSON held in strings). */
int			rtcstats_reader_max_depth(const rtcstats_reader *r);

/* JavaScript's String(v) for a scalar; buf (>= 32 bytes) holds a formatted number. */
const char *rtcstats_js_string(json_object *v, char *buf, size_t size);

/*
 * JSON text with its integer literals beyond 64 bits written as the doubles
 * JSON.parse() makes of them: 0 (nothing to change), 1 (*out malloc'd, of
 * *outlen bytes, NUL-terminated), -1 (out of memory).
 */
int			rtcstats_json_widen_integers(const char *s, size_t len, char **out, size_t *outlen);
/* After parsing a widened text: its widened numbers print as JavaScript does. */
void		rtcstats_json_widened(json_object *v, int depth);

/* Whether id is a JavaScript array index ("0", "17"; not "01" or "-1"). */
bool		rtcstats_js_array_index(const char *id, unsigned long *value);

#endif
