/*
 * reader.h: decode a dump into a stream of events, in one pass.
 *
 * Accepts rtcstats file format 3 (first line "RTCStatsDump", a metadata object,
 * then one JSON array per line; rtcstats-js streams and Chrome's own rtcstats
 * export alike) and Chrome's webrtc-internals "Create dump" JSON document,
 * plain or gzip.  For format 3 the reader applies every decompression rule of
 * the dump format (methods, getStats deltas with stats property/type names,
 * SDP sections, quoted state values, running timestamps), so callers see the
 * same events upstream's readRTCStatsDump() produces.  Memory is bounded by the
 * per-peer-connection state (the current full stats report, the last local
 * descriptions), never by the length of the call.  The webrtc-internals format
 * is one JSON document and is read whole (bounded by max_document_bytes),
 * in memory about three times the document: its stats values are kept as
 * text and parsed when their report is emitted.
 */
#ifndef RTCSTATS_READER_H
#define RTCSTATS_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcstats/error.h"

struct json_object;

typedef enum rtcstats_format
{
	RTCSTATS_FORMAT_UNKNOWN = 0,
	RTCSTATS_FORMAT_RTCSTATS,	/* file format 3 */
	RTCSTATS_FORMAT_INTERNALS	/* chrome://webrtc-internals "Create dump" */
} rtcstats_format;

/*
 * One decoded event.  Every pointer is valid only during the callback: the
 * reader reuses and mutates its objects (in particular the getStats report is
 * the reader's running full report, updated in place by the next delta).
 * Take a reference (json_object_get) or copy what must outlive the call.
 */
/* One stats report of a getStats event, in the order upstream's Object.keys() sees. */
typedef struct rtcstats_stats_entry
{
	const char *id;
	struct json_object *report;
} rtcstats_stats_entry;

typedef struct rtcstats_event
{
	const char *pc;				/* peer connection id, NULL for client-level events */
	int			pc_index;		/* dense 0-based index of pc in order of appearance; -1 for NULL */
	const char *method;			/* decompressed: "getStats", "setLocalDescription", ... */
	double		timestamp;		/* ms since the epoch: the running sum of deltas */
	struct json_object *value;	/* decoded value (may be NULL for JSON null) */
	struct json_object *extra;	/* array of the elements between value and delta; never NULL */
	long		line;			/* 1-based line in the (uncompressed) dump; 0 for internals */
	size_t		line_bytes;		/* length of the line */
	/*
	 * getStats only: the full report's entries in JavaScript key order
	 * (array-index ids ascending, then other ids), which decides upstream's
	 * "first report that ..." searches.  value is the same report as an object.
	 */
	const rtcstats_stats_entry *stats;
	size_t		nstats;
} rtcstats_event;

typedef struct rtcstats_reader_callbacks
{
	/* The metadata object (line 2), or a synthesized one for internals dumps. */
	rtcstats_status (*on_metadata) (void *arg, struct json_object *metadata,
									rtcstats_error *err);
	rtcstats_status (*on_event) (void *arg, const rtcstats_event *ev, rtcstats_error *err);
} rtcstats_reader_callbacks;

typedef struct rtcstats_reader_options
{
	size_t		max_line_bytes;		/* 0: RTCSTATS_DEFAULT_MAX_LINE_BYTES */
	size_t		max_document_bytes; /* internals JSON; 0: 64 MiB */
	int			max_depth;			/* JSON nesting; 0: 64 */
	/*
	 * The anonymizer's choice for a malformed line (anonymize.h): false (the
	 * default) stops with an error naming the line; true drops it, counted.
	 */
	bool		skip_bad_lines;
	/*
	 * The reader's choice for a malformed event line (one that is not JSON,
	 * not an array, has fewer than 3 elements or no numeric time delta last):
	 * false (the default) skips it, counted in rtcstats_reader_skipped_lines()
	 * with its line number (the extractor's analysis reports them as the
	 * observation "malformed_lines"), so one bad line from a client does not
	 * void the features of the session; true stops with an error naming the
	 * line.  A file that is not a dump (first or metadata line) always fails.
	 */
	bool		strict_lines;
} rtcstats_reader_options;

/* How many skipped line numbers the reader keeps (the first ones). */
#define RTCSTATS_SKIPPED_LINES_KEPT 10

typedef struct rtcstats_reader rtcstats_reader;

rtcstats_reader *rtcstats_reader_new(const rtcstats_reader_options *opts,
									 const rtcstats_reader_callbacks *cb, void *arg);
/* Raw bytes of the dump, plain or gzip, in chunks of any size. */
rtcstats_status rtcstats_reader_feed(rtcstats_reader *r, const void *data, size_t len,
									 rtcstats_error *err);
rtcstats_status rtcstats_reader_finish(rtcstats_reader *r, rtcstats_error *err);
void		rtcstats_reader_free(rtcstats_reader *r);	/* NULL-safe */

rtcstats_format rtcstats_reader_format(const rtcstats_reader *r);
long		rtcstats_reader_skipped_lines(const rtcstats_reader *r);
/* The line numbers of the first skipped lines (up to RTCSTATS_SKIPPED_LINES_KEPT); *n set. */
const long *rtcstats_reader_skipped_line_numbers(const rtcstats_reader *r, size_t *n);

/* Full name of a (possibly compressed) method key: "6" -> "setLocalDescription". */
const char *rtcstats_decompress_method(const char *key);
/* Full stats property / type names; unknown keys are returned unchanged. */
const char *rtcstats_decompress_stats_property(const char *key);
const char *rtcstats_decompress_stats_type(const char *key);

#endif
