/*
 * features.h: the upstream rtcstats-features, computed while the dump streams by.
 *
 * The result is one JSON object shaped like upstream's bin/features.js output:
 * client features at the top level and "peerConnections": [ {connection
 * features..., "tracks": [ {track features...} ] } ], peer connections in the
 * order they first appear, tracks in discovery order.  A feature upstream
 * leaves undefined is absent.  State is kept per peer connection and per track
 * (counters, first/last values), so memory does not grow with the call.
 */
#ifndef RTCSTATS_FEATURES_H
#define RTCSTATS_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcstats/error.h"
#include "rtcstats/reader.h"

struct json_object;

typedef struct rtcstats_extractor rtcstats_extractor;

rtcstats_extractor *rtcstats_extractor_new(const rtcstats_reader_options *opts);
rtcstats_status rtcstats_extractor_feed(rtcstats_extractor *x, const void *data, size_t len,
										rtcstats_error *err);
/* On success *features is a new json object the caller must json_object_put(). */
rtcstats_status rtcstats_extractor_finish(rtcstats_extractor *x, struct json_object **features,
										  rtcstats_error *err);
void		rtcstats_extractor_free(rtcstats_extractor *x);	/* NULL-safe */

/*
 * Also run the analysis (analysis.h) in the same pass, for callers that want
 * rtcstats_extractor_analysis(); call before the first feed.  Features alone
 * do not pay for it.  False when out of memory.
 */
bool		rtcstats_extractor_enable_analysis(rtcstats_extractor *x);

/*
 * After a successful rtcstats_extractor_finish() of an extractor with the
 * analysis enabled: the analysis of the same
 * pass (analysis.h: timeseries, observations, scores, summary, plus
 * "connections": the peer connection ids in the order of the features'
 * "peerConnections", which carry none) as a new
 * object the caller must json_object_put(); features (that call's output)
 * is only read.  NULL when out of memory or when the analysis was not
 * enabled.
 */
struct json_object *rtcstats_extractor_analysis(rtcstats_extractor *x,
												struct json_object *features);

/* The dump's metadata line (borrowed; NULL before it was read). */
struct json_object *rtcstats_extractor_metadata(const rtcstats_extractor *x);

/* Malformed event lines skipped (rtcstats_reader_options.strict_lines unset). */
long		rtcstats_extractor_skipped_lines(const rtcstats_extractor *x);
/* The first of their line numbers (up to RTCSTATS_SKIPPED_LINES_KEPT); *n set. */
const long *rtcstats_extractor_skipped_line_numbers(const rtcstats_extractor *x, size_t *n);

/* Convenience wrappers over the streaming API. */
rtcstats_status rtcstats_extract_buffer(const void *data, size_t len,
										struct json_object **features, rtcstats_error *err);
rtcstats_status rtcstats_extract_file(const char *path, struct json_object **features,
									  rtcstats_error *err);

#endif
