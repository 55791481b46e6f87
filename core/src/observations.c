/*
 * observations.c: every analysis rule, in one place.
 *
 * A rule reads the state analysis.c kept (per-interval condition trackers,
 * counters, state machines) and appends an observation:
 *   {type, category, severity, pc, track, first_seen, last_seen, duration_ms,
 *    evidence {...}, explanation}
 * category is connectivity / network / media / client / api; severity is
 * info / warning / error.  Times are ms since the epoch (the dump's clock).
 * Thresholds are named constants with the reason for their value; to add a
 * rule, add its constant, (if it is per interval) a line in an_stream_interval()
 * or an_pc_interval(), and a block in the matching *_rules() function, then
 * a row in docs/analysis.md and a test in core/test/test_analysis.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analysis_internal.h"

/*
 * Consecutive stats intervals a per-interval condition must hold to count as
 * sustained.  rtcstats-js polls getStats every second by default
 * (rtcstats-js getStatsInterval), so 3 intervals are about 3 s: long enough
 * to be heard or seen, short enough to catch a real episode.
 */
#define SUSTAIN_INTERVALS 3

/* ICE checking -> connected.  RFC 8445 checks retransmit with an RTO of at least 500 ms; > 2 s means several were lost or a relay was needed. */
#define ICE_SLOW_MS 2000.0
/* ICE connected -> connectionState connected (the DTLS handshake).  RFC 6347 4.2.4.1 starts the retransmission timer at 1 s: longer means a flight was lost. */
#define DTLS_SLOW_MS 1000.0
/* ITU-T G.114: one-way delay up to 150 ms keeps conversation transparent, i.e. a 300 ms round trip. */
#define RTT_HIGH_MS 300.0
/* Rising RTT: the last third of the call's RTT series at least twice the first third and 100 ms more (project heuristic: queues building up, bufferbloat). */
#define RTT_RISE_FACTOR 2.0
#define RTT_RISE_MIN_MS 100.0
/*
 * Packet loss.  With the E-model figures of scores.c (Ie 0, Bpl 25.1) 5 %
 * random loss costs about 16 R points, one MOS category: sustained loss above
 * it is audible.  A single interval losing 20 % or more (Ie,eff ~ 42) is a burst.
 */
#define LOSS_SUSTAINED 0.05
#define LOSS_BURST 0.20
/* ITU-T Y.1541 classes 0 and 1: IP packet delay variation up to 50 ms. */
#define JITTER_HIGH_MS 50.0
/* libwebrtc's default minimum video bitrate is 30 kbps but a 360p camera stream needs ~300 kbps (project heuristic): below it, video degrades. */
#define AOB_LOW_BPS 300000.0
/* Received video below 15 frames/s no longer looks fluid (ITU-T P.910 lists 15 fps among the reduced test rates; project heuristic). */
#define FPS_LOW 15.0
/* Non-silent concealed audio above 5 % of samples in an interval: NetEq is inventing audio a listener can hear (project heuristic, same order as LOSS_SUSTAINED). */
#define CONCEAL_HIGH 0.05
/* Encode or decode taking more than a frame period at 30 fps per frame cannot keep up with 30 fps. */
#define CODEC_SLOW_MS 33.3
/* Share of the encoder's time limited by bandwidth or CPU (qualityLimitationDurations) worth a warning (project heuristic: 10 %). */
#define QL_LIMITED_FRACTION 0.10
/* A video resolution drop: frameHeight below 3/4 of the stream's highest so far (e.g. 720p -> 480p, 480p -> 360p). */
#define RES_DROP_RATIO 0.75
/* One-way media: a connected inbound stream receiving no bytes for this many intervals (~5 s). */
#define ONE_WAY_INTERVALS 5
/* Clock skew between Date.now() and the stats timestamp: normally a few ms; 1 s means a suspended page or a clock jump (features.md clockSkew). */
#define CLOCK_SKEW_MS 1000.0
/* A capture track ending within a second of getUserMedia's success is unusable (issue 6). */
#define TRACK_EARLY_END_MS 1000.0

/* RFC 6455 7.4.1: 1006 is "closed abnormally" (no close frame: crash, killed tab, lost network). */
#define WS_CLOSE_ABNORMAL 1006

/* ---- per-interval rules (called by analysis.c) ---- */

void
an_stream_interval(an_stream *s, const an_sample *x)
{
	if (!isnan(x->loss))
	{
		cond_step(&s->c_loss, x->loss >= LOSS_SUSTAINED, x->t, x->dt, x->loss, true);
		if (x->loss >= LOSS_BURST)
		{
			if (s->loss_bursts++ == 0)
				s->burst_first = x->t;
			s->burst_last = x->t;
			if (x->loss > s->burst_worst)
				s->burst_worst = x->loss;
		}
	}
	if (!isnan(x->jitter_ms))
		cond_step(&s->c_jitter, x->jitter_ms > JITTER_HIGH_MS, x->t, x->dt, x->jitter_ms, true);
	/* frame rate only while frames flow: a stopped stream is the one-way rule's business */
	if (!isnan(x->fps) && !s->outbound && x->fps > 0)
		cond_step(&s->c_fps, x->fps < FPS_LOW, x->t, x->dt, x->fps, false);
	if (!isnan(x->concealment))
		cond_step(&s->c_conceal, x->concealment > CONCEAL_HIGH, x->t, x->dt, x->concealment, true);
	if (!isnan(x->encode_ms))
		cond_step(&s->c_encode, x->encode_ms > CODEC_SLOW_MS, x->t, x->dt, x->encode_ms, true);
	if (!isnan(x->decode_ms))
		cond_step(&s->c_decode, x->decode_ms > CODEC_SLOW_MS, x->t, x->dt, x->decode_ms, true);
	if (!s->outbound && !isnan(x->bytes))
		cond_step(&s->c_silent, x->connected && x->bytes == 0, x->t, x->dt, 0, true);
	if (!isnan(x->height) && x->height > 0 && s->height_max > 0)
	{
		bool		dropped = x->height < RES_DROP_RATIO * s->height_max;

		if (dropped && !s->height_dropped)
		{
			if (s->height_drops++ == 0)
			{
				s->height_drop_first = x->t;
				s->height_drop_min = x->height;
			}
		}
		if (dropped)
		{
			s->height_drop_last = x->t;
			if (x->height < s->height_drop_min)
				s->height_drop_min = x->height;
		}
		s->height_dropped = dropped;
	}
}

void
an_pc_interval(an_pc *p, double t, double dt, double rtt_ms, double aob_bps)
{
	if (!isnan(rtt_ms))
		cond_step(&p->c_rtt, rtt_ms > RTT_HIGH_MS, t, dt, rtt_ms, true);
	if (!isnan(aob_bps) && p->sends_video)
		cond_step(&p->c_aob, aob_bps < AOB_LOW_BPS, t, dt, aob_bps, false);
}

bool
an_track_end_is_early(double lifetime_ms)
{
	return lifetime_ms >= 0 && lifetime_ms < TRACK_EARLY_END_MS;
}

/* ---- building observations ---- */

static json_object *
number(double d)
{
	if (!isfinite(d))
		return NULL;
	d = round(d * 1000.0) / 1000.0;
	if (d == floor(d) && fabs(d) < 9e15)
		return json_object_new_int64((int64_t) d);
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), "%.3f", d);	/* as written, not 0.10000000000000001 */
		return json_object_new_double_s(d, buf);
	}
}

/*
 * Appends one observation and returns its evidence object for the caller to
 * fill.  first/last of 0 (never set) and a NaN duration become null.
 */
static json_object *
add(json_object *arr, const char *type, const char *category, const char *severity,
	const char *pc, const char *track, double first, double last, double duration,
	const char *fmt,...) __attribute__((format(printf, 10, 11)));

static json_object *
add(json_object *arr, const char *type, const char *category, const char *severity,
	const char *pc, const char *track, double first, double last, double duration,
	const char *fmt,...)
{
	json_object *o = json_object_new_object();
	json_object *ev = json_object_new_object();
	char		text[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "category", json_object_new_string(category));
	json_object_object_add(o, "severity", json_object_new_string(severity));
	json_object_object_add(o, "pc", pc ? json_object_new_string(pc) : NULL);
	json_object_object_add(o, "track", track ? json_object_new_string(track) : NULL);
	json_object_object_add(o, "first_seen", first > 0 ? number(first) : NULL);
	json_object_object_add(o, "last_seen", last > 0 ? number(last) : NULL);
	json_object_object_add(o, "duration_ms", number(duration));
	json_object_object_add(o, "evidence", ev);
	json_object_object_add(o, "explanation", json_object_new_string(text));
	json_object_array_add(arr, o);
	return ev;
}

static void
put(json_object *ev, const char *key, double d)
{
	json_object_object_add(ev, key, number(d));
}

static void
put_str(json_object *ev, const char *key, const char *s)
{
	json_object_object_add(ev, key, s ? json_object_new_string(s) : NULL);
}

/* The direction and kind of a stream as words: "Inbound audio". */
static const char *
stream_words(const an_stream *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", s->outbound ? "Outbound" : "Inbound",
			 s->kind[0] ? s->kind : "media");
	return buf;
}

static void
client_rules(rtcstats_analysis *a, json_object *arr)
{
	json_object *ev;

	if (a->gum_failures > 0)
	{
		ev = add(arr, "getusermedia_failure", "api", a->gum_success_after ? "warning" : "error",
				 NULL, NULL, a->gum_first, a->gum_last, NAN,
				 "getUserMedia failed %d time%s (last: %s)%s.", a->gum_failures,
				 a->gum_failures == 1 ? "" : "s", a->gum_reason,
				 a->gum_success_after ? "; a later call succeeded" : " and never succeeded afterwards");
		put(ev, "failures", a->gum_failures);
		put_str(ev, "lastError", a->gum_reason);
		json_object_object_add(ev, "succeededAfter", json_object_new_boolean(a->gum_success_after));
	}
	if (a->gdm_failures > 0)
	{
		ev = add(arr, "getdisplaymedia_failure", "api", a->gdm_success_after ? "warning" : "error",
				 NULL, NULL, a->gdm_first, a->gdm_last, NAN,
				 "getDisplayMedia failed %d time%s (last: %s)%s.", a->gdm_failures,
				 a->gdm_failures == 1 ? "" : "s", a->gdm_reason,
				 a->gdm_success_after ? "; a later call succeeded" : " and never succeeded afterwards");
		put(ev, "failures", a->gdm_failures);
		put_str(ev, "lastError", a->gdm_reason);
		json_object_object_add(ev, "succeededAfter", json_object_new_boolean(a->gdm_success_after));
	}
	if (a->early_ends > 0)
	{
		ev = add(arr, "track_ended_early", "media", a->early_spontaneous ? "warning" : "info",
				 NULL, a->early_track, a->early_first, a->early_last, NAN,
				 "%d capture track%s ended within %.0f ms of being obtained (the first after %.0f ms)%s.",
				 a->early_ends, a->early_ends == 1 ? "" : "s", TRACK_EARLY_END_MS, a->early_after,
				 a->early_spontaneous ? ", ended by the browser or device" : ", stopped by the page");
		put(ev, "tracks", a->early_ends);
		put(ev, "firstLifetimeMs", a->early_after);
		put(ev, "thresholdMs", TRACK_EARLY_END_MS);
	}
	if (a->ws_close_code == WS_CLOSE_ABNORMAL)
	{
		ev = add(arr, "abrupt_close", "client", "warning", NULL, NULL, a->ws_close_at,
				 a->ws_close_at, NAN,
				 "The recording ended abnormally (WebSocket close code %d): the page crashed, was killed or lost its network.",
				 a->ws_close_code);
		put(ev, "closeCode", a->ws_close_code);
	}
	if (a->pcs_ignored > 0)
	{
		ev = add(arr, "analysis_limit", "client", "info", NULL, NULL, 0, 0, NAN,
				 "The dump has more than %d peer connections: the analysis covers the first %d.",
				 AN_MAX_PCS, AN_MAX_PCS);
		put(ev, "eventsIgnored", (double) a->pcs_ignored);
	}
	if (a->malformed > 0)
	{
		json_object *at = json_object_new_array();

		ev = add(arr, "malformed_lines", "client", "warning", NULL, NULL, 0, 0, NAN,
				 "%ld line%s of the dump could not be read (not a JSON event array) and %s skipped; the first: line %ld.",
				 a->malformed, a->malformed == 1 ? "" : "s", a->malformed == 1 ? "was" : "were",
				 a->nmalformed_at ? a->malformed_at[0] : 0L);
		put(ev, "lines", (double) a->malformed);
		for (size_t i = 0; i < a->nmalformed_at; i++)
			json_object_array_add(at, json_object_new_int64(a->malformed_at[i]));
		json_object_object_add(ev, "firstLines", at);
	}
	if (a->reload_count >= 1)
	{
		ev = add(arr, "page_reload", "client", "warning", NULL, NULL, a->reload_at, a->reload_at,
				 NAN, "The page had been reloaded %.0f time%s in this browser tab before this session (rtcstats-js countReloads).",
				 a->reload_count, a->reload_count == 1 ? "" : "s");
		put(ev, "reloadCount", a->reload_count);
	}
}

/* Connectivity and negotiation of one peer connection. */
static void
connectivity_rules(rtcstats_analysis *a, an_pc *p, json_object *arr)
{
	json_object *ev;
	double		ice_ms = (p->first_checking > 0 && p->ice_connected_at > 0) ?
		p->ice_connected_at - p->first_checking : NAN;
	double		dtls_ms = (p->ice_connected_at > 0 && p->conn_connected_at > 0) ?
		p->conn_connected_at - p->ice_connected_at : NAN;
	double		end = p->closed ? p->closed_at : a->last_ts;

	/* ICE failure: iceConnectionState failed, or connectionState failed before ICE ever connected. */
	if (p->ice_failed || (p->conn_failed && !p->ever_ice_connected))
	{
		double		at = p->ice_failed ? p->ice_failed_at : p->conn_failed_at;
		double		since = p->first_checking > 0 ? p->first_checking : p->created;

		ev = add(arr, "ice_failure", "connectivity", "error", p->id, NULL, at, at, at - since,
				 "ICE failed %.1f s after checks began%s: no candidate pair worked.",
				 (at - since) / 1000.0, p->ever_ice_connected ? " (after having connected)" : "");
		put(ev, "remoteCandidates", p->remote_candidates);
		put(ev, "iceServers", p->ice_servers);
		json_object_object_add(ev, "everConnected", json_object_new_boolean(p->ever_ice_connected));
	}
	else if (p->conn_failed || p->dtls_failed)
	{
		double		at = p->conn_failed ? p->conn_failed_at : p->last_ts;

		ev = add(arr, "dtls_failure", "connectivity", "error", p->id, NULL, at, at, NAN,
				 "The connection failed after ICE had connected: the DTLS handshake or consent failed.");
		json_object_object_add(ev, "dtlsStateFailed", json_object_new_boolean(p->dtls_failed));
		put_str(ev, "connectionState", p->conn_state);
	}
	if (p->disconnections > 0)
	{
		ev = add(arr, "ice_disconnected", "connectivity", "warning", p->id, NULL, p->disc_first,
				 p->disc_last, p->disc_total,
				 "ICE was disconnected %d time%s for %.1f s in total.", p->disconnections,
				 p->disconnections == 1 ? "" : "s", p->disc_total / 1000.0);
		put(ev, "disconnections", p->disconnections);
		put(ev, "totalMs", p->disc_total);
	}
	if (!isnan(ice_ms) && ice_ms > ICE_SLOW_MS)
	{
		ev = add(arr, "slow_ice", "connectivity", "warning", p->id, NULL, p->first_checking,
				 p->ice_connected_at, ice_ms,
				 "ICE took %.0f ms from the first checks to connected (more than %.0f ms).",
				 ice_ms, ICE_SLOW_MS);
		put(ev, "iceMs", ice_ms);
		put(ev, "thresholdMs", ICE_SLOW_MS);
	}
	if (!isnan(dtls_ms) && dtls_ms > DTLS_SLOW_MS)
	{
		ev = add(arr, "slow_dtls", "connectivity", "warning", p->id, NULL, p->ice_connected_at,
				 p->conn_connected_at, dtls_ms,
				 "The DTLS handshake took %.0f ms after ICE connected (more than %.0f ms).",
				 dtls_ms, DTLS_SLOW_MS);
		put(ev, "dtlsMs", dtls_ms);
		put(ev, "thresholdMs", DTLS_SLOW_MS);
	}
	if (p->ice_restarts > 0)
	{
		ev = add(arr, "ice_restart", "connectivity", "info", p->id, NULL, p->restart_first,
				 p->restart_last, NAN, "The application restarted ICE %d time%s.", p->ice_restarts,
				 p->ice_restarts == 1 ? "" : "s");
		put(ev, "restarts", p->ice_restarts);
	}
	if (p->have_pair && strcmp(p->local_type, "relay") == 0)
	{
		bool		tcp = strcmp(p->relay_protocol, "tcp") == 0 || strcmp(p->relay_protocol, "tls") == 0;

		ev = add(arr, tcp ? "relay_tcp" : "relayed_connection", "network", tcp ? "warning" : "info",
				 p->id, NULL, p->relay_first, p->relay_last, p->relay_last - p->relay_first,
				 tcp ? "Media went through a TURN relay over %s: head-of-line blocking adds delay and loss bursts."
				 : "Media went through a TURN relay (%s to the relay) rather than a direct path.",
				 p->relay_protocol[0] ? p->relay_protocol : "udp");
		put_str(ev, "relayProtocol", p->relay_protocol[0] ? p->relay_protocol : NULL);
		put_str(ev, "localCandidateType", p->local_type);
	}
	if (p->ice_servers_known && p->ice_servers == 0)
	{
		ev = add(arr, "no_ice_servers", "connectivity", "info", p->id, NULL, p->created, p->created,
				 NAN, "No STUN or TURN server was configured: only host candidates can connect, so calls across NATs will fail.");
		put(ev, "iceServers", 0);
	}
	if (p->had_remote_description && p->remote_candidates == 0)
	{
		bool		bad = !p->ever_ice_connected;

		ev = add(arr, "no_remote_candidates", "connectivity", bad ? "warning" : "info", p->id, NULL,
				 p->created, end, NAN,
				 "No remote ICE candidate was received (neither trickled nor in the remote description)%s.",
				 bad ? " and ICE never connected" : "");
		put(ev, "remoteCandidates", 0);
	}
	if (p->neg_failures > 0)
	{
		ev = add(arr, "negotiation_failure", "api", "error", p->id, NULL, p->neg_failure_first,
				 p->neg_failure_last, NAN, "%s failed (%s)%s.", p->neg_failure_method,
				 p->neg_failure_reason, p->neg_failures > 1 ? ", among other negotiation failures" : "");
		put(ev, "failures", p->neg_failures);
		put_str(ev, "method", p->neg_failure_method);
		put_str(ev, "error", p->neg_failure_reason);
	}
	if (p->addice_failures > 0)
	{
		ev = add(arr, "add_ice_candidate_failure", "api", "warning", p->id, NULL,
				 p->addice_failure_first, p->addice_failure_last, NAN,
				 "addIceCandidate failed %d time%s (%s).", p->addice_failures,
				 p->addice_failures == 1 ? "" : "s", p->addice_failure_reason);
		put(ev, "failures", p->addice_failures);
		put_str(ev, "error", p->addice_failure_reason);
	}
	if (p->sig_state[0] && strcmp(p->sig_state, "stable") != 0 && strcmp(p->sig_state, "closed") != 0)
	{
		ev = add(arr, "negotiation_pending", "api", "warning", p->id, NULL, end, end, NAN,
				 "Negotiation never completed: the signaling state was still %s at the end.",
				 p->sig_state);
		put_str(ev, "signalingState", p->sig_state);
	}
	if (!p->closed && an_is_connected(p))
	{
		ev = add(arr, "not_closed", "api", "info", p->id, NULL, end, end, NAN,
				 "The connection was still up when the recording ended: the page went away without calling close().");
		put_str(ev, "connectionState", p->conn_state[0] ? p->conn_state : p->ice_state);
	}
	if (p->streams_ignored > 0)
	{
		ev = add(arr, "analysis_limit", "client", "info", p->id, NULL, 0, 0, NAN,
				 "The connection has more than %d RTP streams: the analysis covers the first %d.",
				 AN_MAX_STREAMS, AN_MAX_STREAMS);
		put(ev, "reportsIgnored", p->streams_ignored);
	}
	if (p->skew_done && fabs(p->clock_skew) > CLOCK_SKEW_MS)
	{
		ev = add(arr, "clock_skew", "client", "warning", p->id, NULL, p->skew_at, p->skew_at, NAN,
				 "The page clock and the stats clock differed by %.1f s (a suspended page or a clock change).",
				 p->clock_skew / 1000.0);
		put(ev, "clockSkewMs", p->clock_skew);
		put(ev, "thresholdMs", CLOCK_SKEW_MS);
	}
}

/* RTT and bandwidth of one peer connection's selected pair. */
static void
network_rules(an_pc *p, json_object *arr)
{
	json_object *ev;

	if (p->c_rtt.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "high_rtt", "network", "warning", p->id, NULL, p->c_rtt.first, p->c_rtt.last,
				 p->c_rtt.duration,
				 "The round-trip time stayed above %.0f ms (up to %.0f ms) for %.0f s.",
				 RTT_HIGH_MS, p->c_rtt.worst, p->c_rtt.duration / 1000.0);
		put(ev, "maxRttMs", p->c_rtt.worst);
		put(ev, "intervals", p->c_rtt.count);
		put(ev, "thresholdMs", RTT_HIGH_MS);
	}
	if (p->s_rtt.n >= 3 * SUSTAIN_INTERVALS)
	{
		double		head = ts_mean_span(&p->s_rtt, 0, 1.0 / 3);
		double		tail = ts_mean_span(&p->s_rtt, 2.0 / 3, 1);

		if (tail >= RTT_RISE_FACTOR * head && tail - head >= RTT_RISE_MIN_MS)
		{
			ev = add(arr, "rising_rtt", "network", "warning", p->id, NULL, p->s_rtt.t[0],
					 p->s_rtt.t[p->s_rtt.n - 1], NAN,
					 "The round-trip time rose from %.0f ms to %.0f ms over the call (queues building up).",
					 head, tail);
			put(ev, "firstThirdMs", head);
			put(ev, "lastThirdMs", tail);
		}
	}
	if (p->c_aob.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "low_bandwidth", "network", "warning", p->id, NULL, p->c_aob.first,
				 p->c_aob.last, p->c_aob.duration,
				 "The estimated available outgoing bandwidth stayed below %.0f kbps (down to %.0f kbps) for %.0f s.",
				 AOB_LOW_BPS / 1000.0, p->c_aob.worst / 1000.0, p->c_aob.duration / 1000.0);
		put(ev, "minBps", p->c_aob.worst);
		put(ev, "thresholdBps", AOB_LOW_BPS);
	}
}

/* Media of one stream. */
static void
stream_rules(an_pc *p, an_stream *s, json_object *arr)
{
	json_object *ev;
	char		w[32];
	bool		video = strcmp(s->kind, "video") == 0;

	stream_words(s, w, sizeof(w));
	if (s->c_loss.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "packet_loss", "network", "warning", p->id, s->track, s->c_loss.first,
				 s->c_loss.last, s->c_loss.duration,
				 "%s lost %.0f%% or more of its packets (up to %.0f%%) for %.0f s.", w,
				 LOSS_SUSTAINED * 100, s->c_loss.worst * 100, s->c_loss.duration / 1000.0);
		put(ev, "maxLoss", s->c_loss.worst);
		put(ev, "intervals", s->c_loss.count);
		put(ev, "packetsLost", s->lost_total);
		put(ev, "packets", s->packets_total);
		put(ev, "threshold", LOSS_SUSTAINED);
	}
	else if (s->loss_bursts > 0)
	{
		ev = add(arr, "packet_loss_burst", "network", "info", p->id, s->track, s->burst_first,
				 s->burst_last, NAN,
				 "%s had %d short burst%s of packet loss (up to %.0f%% in one interval).", w,
				 s->loss_bursts, s->loss_bursts == 1 ? "" : "s", s->burst_worst * 100);
		put(ev, "bursts", s->loss_bursts);
		put(ev, "maxLoss", s->burst_worst);
		put(ev, "threshold", LOSS_BURST);
	}
	if (s->c_jitter.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "high_jitter", "network", "warning", p->id, s->track, s->c_jitter.first,
				 s->c_jitter.last, s->c_jitter.duration,
				 "%s jitter stayed above %.0f ms (up to %.0f ms) for %.0f s.", w, JITTER_HIGH_MS,
				 s->c_jitter.worst, s->c_jitter.duration / 1000.0);
		put(ev, "maxJitterMs", s->c_jitter.worst);
		put(ev, "thresholdMs", JITTER_HIGH_MS);
	}
	if (s->outbound && video)
	{
		double		total = s->ql_bandwidth + s->ql_cpu + s->ql_other + s->ql_none;

		if (total > 0 && s->ql_bandwidth / total >= QL_LIMITED_FRACTION)
		{
			ev = add(arr, "bandwidth_limited", "media", "warning", p->id, s->track, s->ql_first_bw,
					 s->ql_last_bw, s->ql_bandwidth * 1000.0,
					 "Outbound video was limited by bandwidth %.0f%% of the time.",
					 100.0 * s->ql_bandwidth / total);
			put(ev, "fraction", s->ql_bandwidth / total);
			put(ev, "seconds", s->ql_bandwidth);
			put(ev, "threshold", QL_LIMITED_FRACTION);
		}
		if (total > 0 && s->ql_cpu / total >= QL_LIMITED_FRACTION)
		{
			ev = add(arr, "cpu_limited", "media", "warning", p->id, s->track, s->ql_first_cpu,
					 s->ql_last_cpu, s->ql_cpu * 1000.0,
					 "Outbound video was limited by CPU %.0f%% of the time.", 100.0 * s->ql_cpu / total);
			put(ev, "fraction", s->ql_cpu / total);
			put(ev, "seconds", s->ql_cpu);
			put(ev, "threshold", QL_LIMITED_FRACTION);
		}
	}
	if (s->freeze_count >= 1)
	{
		ev = add(arr, "video_freeze", "media", "warning", p->id, s->track, s->freeze_first,
				 s->freeze_last, s->freeze_duration * 1000.0,
				 "Inbound video froze %.0f time%s for %.1f s in total.", s->freeze_count,
				 s->freeze_count == 1 ? "" : "s", s->freeze_duration);
		put(ev, "freezes", s->freeze_count);
		put(ev, "totalSeconds", s->freeze_duration);
	}
	if (s->c_fps.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "low_frame_rate", "media", "warning", p->id, s->track, s->c_fps.first,
				 s->c_fps.last, s->c_fps.duration,
				 "Inbound video ran below %.0f frames/s (down to %.0f) for %.0f s.", FPS_LOW,
				 s->c_fps.worst, s->c_fps.duration / 1000.0);
		put(ev, "minFps", s->c_fps.worst);
		put(ev, "thresholdFps", FPS_LOW);
	}
	if (s->height_drops > 0)
	{
		ev = add(arr, "resolution_drop", "media", "info", p->id, s->track, s->height_drop_first,
				 s->height_drop_last, NAN,
				 "%s resolution dropped %d time%s, from %.0fp down to %.0fp.", w, s->height_drops,
				 s->height_drops == 1 ? "" : "s", s->height_max, s->height_drop_min);
		put(ev, "drops", s->height_drops);
		put(ev, "maxHeight", s->height_max);
		put(ev, "minHeight", s->height_drop_min);
		put(ev, "ratio", RES_DROP_RATIO);
	}
	if (s->c_conceal.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "audio_concealment", "media", "warning", p->id, s->track, s->c_conceal.first,
				 s->c_conceal.last, s->c_conceal.duration,
				 "More than %.0f%% of inbound audio was concealed (up to %.0f%%) for %.0f s: listeners heard gaps or artefacts.",
				 CONCEAL_HIGH * 100, s->c_conceal.worst * 100, s->c_conceal.duration / 1000.0);
		put(ev, "maxConcealment", s->c_conceal.worst);
		put(ev, "threshold", CONCEAL_HIGH);
	}
	if (s->c_silent.max_run >= ONE_WAY_INTERVALS)
	{
		bool		never = s->bytes_total == 0;

		ev = add(arr, "no_media_received", "media", never ? "error" : "warning", p->id, s->track,
				 s->c_silent.first, s->c_silent.last, s->c_silent.duration,
				 "%s received no data for %.0f s while the connection was up%s.", w,
				 s->c_silent.duration / 1000.0, never ? " (nothing at all, one-way media)" : "");
		put(ev, "intervals", s->c_silent.count);
		put(ev, "bytesReceived", s->bytes_total);
	}
	if (s->null_decoder)
	{
		ev = add(arr, "null_video_decoder", "media", "error", p->id, s->track,
				 s->null_decoder_first, s->null_decoder_last, NAN,
				 "Inbound video used the NullVideoDecoder: no decoder could be created, so nothing was shown.");
		put_str(ev, "decoderImplementation", "NullVideoDecoder");
	}
	if (s->flush_n >= 3 && s->flush_periodic)
	{
		ev = add(arr, "periodic_jitter_buffer_flush", "media", "warning", p->id, s->track,
				 s->flush_first, s->flush_last, NAN,
				 "The audio jitter buffer was flushed %d times at a regular ~4 s cadence (a known NetEq pathology).",
				 s->flush_n);
		put(ev, "flushes", s->flush_n);
	}
	if (s->c_encode.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "slow_encode", "client", "warning", p->id, s->track, s->c_encode.first,
				 s->c_encode.last, s->c_encode.duration,
				 "Encoding took more than %.1f ms per frame (up to %.1f ms) for %.0f s.",
				 CODEC_SLOW_MS, s->c_encode.worst, s->c_encode.duration / 1000.0);
		put(ev, "maxMsPerFrame", s->c_encode.worst);
		put(ev, "thresholdMs", CODEC_SLOW_MS);
	}
	if (s->c_decode.max_run >= SUSTAIN_INTERVALS)
	{
		ev = add(arr, "slow_decode", "client", "warning", p->id, s->track, s->c_decode.first,
				 s->c_decode.last, s->c_decode.duration,
				 "Decoding took more than %.1f ms per frame (up to %.1f ms) for %.0f s.",
				 CODEC_SLOW_MS, s->c_decode.worst, s->c_decode.duration / 1000.0);
		put(ev, "maxMsPerFrame", s->c_decode.worst);
		put(ev, "thresholdMs", CODEC_SLOW_MS);
	}
}

/* Every rule, client first, then each peer connection and its streams in order. */
void
an_observations(rtcstats_analysis *a, json_object *arr)
{
	client_rules(a, arr);
	for (int i = 0; i < a->npcs; i++)
	{
		an_pc	   *p = a->pcs[i];

		connectivity_rules(a, p, arr);
		network_rules(p, arr);
		for (int j = 0; j < p->nstreams; j++)
			stream_rules(p, p->streams[j], arr);
	}
}
