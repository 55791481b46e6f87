/*
 * analysis.h: what went wrong in a call, and why, computed in the same single
 * pass as the features.
 *
 * The extractor hands every reader event to rtcstats_analysis_event(), in
 * order; after the last one rtcstats_analysis_finish() builds one JSON object:
 *
 *   {"timeseries":   {"<pc>": {"series": {...}, "events": [...],
 *                              "tracks": {"<stats id>": {...}}}},
 *    "observations": [ {type, category, severity, pc, track, first_seen,
 *                       last_seen, duration_ms, evidence, explanation}, ...],
 *    "scores":       {"call": {...}, "connections": {"<pc>": {...}}},
 *    "summary":      "The call connected in 180 ms over a direct UDP path. ..."}
 *
 * State is kept per peer connection and per RTP stream (counters, the previous
 * sample, time series downsampled into a fixed number of points), so memory
 * does not grow with the length of the call.  docs/analysis.md documents every
 * series, rule, threshold and score formula.
 */
#ifndef RTCSTATS_ANALYSIS_H
#define RTCSTATS_ANALYSIS_H

#include "rtcstats/reader.h"

struct json_object;

typedef struct rtcstats_analysis rtcstats_analysis;

/* NULL when out of memory. */
rtcstats_analysis *rtcstats_analysis_new(void);

/* Every event of the dump, in order (see reader.h); nothing is kept by pointer. */
void		rtcstats_analysis_event(rtcstats_analysis *a, const rtcstats_event *ev);

/*
 * After the last event: a new object {"timeseries", "observations", "scores",
 * "summary"} the caller must json_object_put().  features (the extractor's
 * output, may be NULL) is only read.  NULL when out of memory.
 */
struct json_object *rtcstats_analysis_finish(rtcstats_analysis *a, struct json_object *features);

void		rtcstats_analysis_free(rtcstats_analysis *a);	/* NULL-safe */

/*
 * The malformed event lines the reader skipped (count, the first line
 * numbers): the observation "malformed_lines".  Before finish.
 */
void		rtcstats_analysis_set_malformed(rtcstats_analysis *a, long count, const long *lines,
											size_t nlines);

/*
 * The ITU-T G.107 E-model as used for the audio score (scores.c), exposed for
 * tests and for hosts that want to score other figures.
 *   delay_ms: one-way mouth-to-ear delay Ta; loss_pct: packet loss Ppl in %;
 *   ie, bpl: codec equipment impairment and packet-loss robustness factors;
 *   burst_r: burst ratio (1 for random loss).
 */
double		rtcstats_emodel_r(double delay_ms, double loss_pct, double ie, double bpl,
							  double burst_r);
/* G.107 Annex B: R to the estimated conversational MOS (1 .. 4.5). */
double		rtcstats_emodel_mos(double r);

#endif
