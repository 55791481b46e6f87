/*
 * report.h: a call as one self-contained HTML page a person can open and share.
 *
 * The page holds the summary, the scores, the observations and, per peer
 * connection and per RTP stream, a chart of every time series with its state
 * changes: no script, no external resource, every string from the dump
 * HTML-escaped (a dump is client input).  The same inputs give the same bytes.
 */
#ifndef RTCSTATS_REPORT_H
#define RTCSTATS_REPORT_H

struct json_object;

/*
 * metadata: the dump's metadata line (url, origin, userAgent, startTime), or
 * NULL; features: the features JSON (features.h), or NULL; analysis: the
 * analysis object (analysis.h: timeseries, observations with times in ms
 * since the epoch, scores, summary, connections), or NULL.  Returns a
 * malloc'd NUL-terminated page, NULL when out of memory.
 */
char	   *rtcstats_report_html(struct json_object *metadata, struct json_object *features,
								 struct json_object *analysis);

#endif
