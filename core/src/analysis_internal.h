/*
 * analysis_internal.h: state shared by the analysis files.
 *
 * analysis.c turns events into per-peer-connection and per-stream state
 * (previous sample, counters, condition trackers, downsampled series);
 * observations.c, scores.c and summary.c only read that state at finish.
 * Everything is bounded: a fixed number of series per object, each at most
 * TS_MAX_POINTS points, and at most AN_MAX_EVENTS state-change events per
 * peer connection.
 */
#ifndef RTCSTATS_ANALYSIS_INTERNAL_H
#define RTCSTATS_ANALYSIS_INTERNAL_H

#include <stdbool.h>

#include <json-c/json.h>

#include "rtcstats/analysis.h"

/* ---- time series (timeseries.c) ---- */

/* Points kept per series; when full, neighbours merge and each point covers twice as many samples. */
#define TS_MAX_POINTS 300

typedef struct ts_series
{
	double	   *t;				/* allocated on first sample */
	double	   *v;
	int			n;
	int			stride;			/* raw samples per stored point (a power of two) */
	double		acc_t;			/* pending point: time of its first sample */
	double		acc_v;			/* sum of its values */
	int			acc_n;
	long		samples;		/* raw samples seen */
} ts_series;

void		ts_add(ts_series *s, double t, double v);
/* [[t, v], ...] including the pending partial point; NULL when empty. */
json_object *ts_to_json(const ts_series *s);
void		ts_free(ts_series *s);
/* Mean of the stored points in [from, to) of the series' time span as fractions 0..1; NaN if none. */
double		ts_mean_span(const ts_series *s, double from, double to);

/*
 * A condition checked on every stats interval ("loss above 5 %"): how many
 * intervals met it, the longest run of consecutive ones, when it was first
 * and last met, and for how long in total.
 */
typedef struct an_cond
{
	int			count;
	int			run;
	int			max_run;
	double		first;
	double		last;
	double		duration;		/* ms, sum of the intervals that met it */
	double		worst;			/* extreme value seen while met */
	int			intervals;		/* intervals evaluated */
} an_cond;

void		cond_step(an_cond *c, bool hit, double t, double dt, double value, bool higher_worse);

/* ---- per-stream (track) and per-connection state (analysis.c) ---- */

#define AN_MAX_EVENTS 200
/*
 * What a hostile dump can make the analysis keep: peer connections and RTP
 * streams per connection beyond these are not analysed (and counted).  Real
 * calls have a handful of connections and a few dozen streams; each stream
 * costs at most ~45 kB (nine full series).
 */
#define AN_MAX_PCS 1000
#define AN_MAX_STREAMS 256

typedef struct an_stream
{
	char	   *stats_id;
	char	   *track;			/* trackIdentifier, or NULL */
	char	   *rid;
	char		kind[8];		/* "audio" / "video" */
	bool		outbound;
	bool		have_prev;
	double		prev_ts;
	double		prev_bytes;
	double		prev_packets;
	double		prev_lost;
	double		prev_frames;	/* framesDecoded / framesEncoded */
	double		prev_codec_time;	/* totalDecodeTime / totalEncodeTime (s) */
	double		prev_concealed;
	double		prev_silent;
	double		prev_samples;
	double		prev_freeze_count;
	double		prev_freeze_dur;
	double		prev_ri_lost;	/* remote-inbound packetsLost (outbound) */
	double		prev_flushes;
	bool		have_flushes;

	/* series */
	ts_series	s_bitrate;
	ts_series	s_loss;
	ts_series	s_jitter;		/* ms */
	ts_series	s_fps;
	ts_series	s_height;
	ts_series	s_concealment;
	ts_series	s_freezes;		/* freezes per interval */
	ts_series	s_rtt;			/* remote-inbound RTT, ms */
	ts_series	s_remote_loss;	/* remote-inbound fractionLost */

	/* rule state */
	an_cond		c_loss;
	an_cond		c_jitter;
	an_cond		c_fps;
	an_cond		c_conceal;
	an_cond		c_encode;
	an_cond		c_decode;
	an_cond		c_silent;		/* connected, inbound, no bytes */
	int			loss_bursts;
	double		burst_first;
	double		burst_last;
	double		burst_worst;
	double		lost_total;
	double		packets_total;
	double		jitter_sum;
	int			jitter_n;
	double		fps_sum;
	int			fps_n;
	double		height_max;
	double		height_sum;
	int			height_n;
	int			height_drops;
	bool		height_dropped;	/* currently below the drop ratio */
	double		height_drop_min;
	double		height_drop_first;
	double		height_drop_last;
	double		source_height;	/* media-source height (outbound) */
	double		freeze_count;
	double		freeze_duration;	/* s */
	double		freeze_first;
	double		freeze_last;
	double		bytes_total;
	double		first_ts;
	double		last_ts;
	bool		null_decoder;
	double		null_decoder_first;
	double		null_decoder_last;
	int			flush_n;
	double		flush_prev_ts;
	bool		flush_periodic;
	double		flush_first;
	double		flush_last;
	double		jb_delay;		/* jitterBufferDelay (s), last */
	double		jb_emitted;		/* jitterBufferEmittedCount, last */
	double		ql_bandwidth;	/* qualityLimitationDurations, last (s) */
	double		ql_cpu;
	double		ql_other;
	double		ql_none;
	char		ql_reason[16];
	double		ql_first_bw;
	double		ql_last_bw;
	double		ql_first_cpu;
	double		ql_last_cpu;
	double		ri_rtt_sum;
	int			ri_rtt_n;
} an_stream;

typedef struct an_event
{
	double		t;
	const char *what;			/* static: "iceConnectionState", ... */
	char		value[32];
	const char *track;			/* borrowed from an_stream, or NULL */
} an_event;

typedef struct an_pc
{
	char	   *id;
	double		created;
	double		last_ts;
	bool		ice_servers_known;
	int			ice_servers;	/* entries of configuration.iceServers */
	bool		has_turn_server;
	char		ice_state[16];
	char		conn_state[16];
	char		sig_state[24];
	double		first_checking;
	double		ice_connected_at;
	double		conn_connecting_at;
	double		conn_connected_at;
	bool		ever_ice_connected;
	bool		ever_connected;
	bool		ice_failed;
	double		ice_failed_at;
	bool		conn_failed;
	double		conn_failed_at;
	bool		dtls_failed;	/* transport dtlsState "failed" */
	int			disconnections;
	double		disc_start;		/* 0: not disconnected now */
	double		disc_total;
	double		disc_first;
	double		disc_last;
	int			ice_restarts;
	double		restart_first;
	double		restart_last;
	int			remote_candidates;
	bool		had_remote_description;
	int			neg_failures;
	char		neg_failure_method[40];
	char		neg_failure_reason[120];
	double		neg_failure_first;
	double		neg_failure_last;
	int			addice_failures;
	char		addice_failure_reason[120];
	double		addice_failure_first;
	double		addice_failure_last;
	bool		closed;
	double		closed_at;

	/* selected candidate pair */
	bool		have_pair;
	char		local_type[12];	/* host / srflx / prflx / relay */
	char		relay_protocol[8];	/* udp / tcp / tls */
	char		protocol[8];	/* transport of the local candidate */
	double		relay_first;
	double		relay_last;

	/* transport sample */
	bool		have_prev;
	double		prev_ts;
	double		prev_sent;
	double		prev_recv;
	ts_series	s_send;			/* bit/s */
	ts_series	s_recv;
	ts_series	s_rtt;			/* ms */
	ts_series	s_aob;			/* availableOutgoingBitrate, bit/s */
	an_cond		c_rtt;
	an_cond		c_aob;
	double		rtt_sum;
	int			rtt_n;
	bool		sends_video;

	bool		skew_done;
	double		clock_skew;
	double		skew_at;

	an_event   *events;		/* grows up to AN_MAX_EVENTS */
	int			nevents;
	int			cap_events;
	int			events_dropped;
	int			streams_ignored;	/* beyond AN_MAX_STREAMS */

	an_stream **streams;
	int			nstreams;
	int			cap_streams;
} an_pc;

#define AN_MAX_MEDIA 64

typedef struct an_media
{
	char	   *id;
	double		started;
	bool		display;
} an_media;

struct rtcstats_analysis
{
	an_pc	  **pcs;
	int			npcs;
	int			cap_pcs;
	double		first_ts;
	double		last_ts;
	bool		have_ts;

	/* client */
	double		reload_count;
	double		reload_at;
	int			gum_failures;
	char		gum_reason[120];
	double		gum_first;
	double		gum_last;
	bool		gum_success_after;
	int			gdm_failures;
	char		gdm_reason[120];
	double		gdm_first;
	double		gdm_last;
	bool		gdm_success_after;
	an_media	media[AN_MAX_MEDIA];
	int			nmedia;
	int			early_ends;
	char		early_track[64];
	double		early_after;	/* ms from start to end of the first early end */
	double		early_first;
	double		early_last;
	bool		early_spontaneous;	/* ended by the browser (onended), not stop() */
	long		pcs_ignored;	/* events of connections beyond AN_MAX_PCS */
	long		malformed;		/* event lines the reader skipped */
	long		malformed_at[RTCSTATS_SKIPPED_LINES_KEPT];	/* their first line numbers */
	size_t		nmalformed_at;
	int			ws_close_code;	/* the server's last line ["close", null, code]; 0 if none */
	double		ws_close_at;
};

/* observations.c: appends every observation to arr (a json array). */
void		an_observations(rtcstats_analysis *a, json_object *arr);

/* scores.c */
json_object *an_scores(rtcstats_analysis *a, json_object *observations);

/* summary.c */
char	   *an_summary(rtcstats_analysis *a, json_object *observations, json_object *scores);

/* helpers (analysis.c) */
bool		an_is_connected(const an_pc *p);
double		an_setup_ms(const an_pc *p);	/* creation to connected; NaN if never */

/* One stats interval of a stream, as the per-interval rules see it (NaN: not measured). */
typedef struct an_sample
{
	double		t;				/* ms since the epoch, end of the interval */
	double		dt;				/* ms */
	bool		connected;		/* the peer connection was connected */
	double		bytes;			/* delta */
	double		loss;			/* fraction of packets lost in the interval */
	double		jitter_ms;
	double		fps;
	double		concealment;	/* audio: non-silent concealed / received samples */
	double		encode_ms;		/* per frame */
	double		decode_ms;
	double		height;			/* video frameHeight */
} an_sample;

/* observations.c: the per-interval rules, next to the thresholds they use. */
void		an_stream_interval(an_stream *s, const an_sample *x);
void		an_pc_interval(an_pc *p, double t, double dt, double rtt_ms, double aob_bps);
bool		an_track_end_is_early(double lifetime_ms);

#endif
