/*
 * analysis.c: the analysis layer's event loop (see analysis.h).
 *
 * Each event updates a little state per peer connection and per RTP stream:
 * state machines for ICE, DTLS and signalling, counters for failures, and for
 * every pair of consecutive getStats reports one interval sample per stream
 * (bitrate, loss, jitter, ...) that feeds the bounded time series and the
 * per-interval rules of observations.c.  Only numbers and short strings are
 * copied out of a report: the reader mutates it in place afterwards.
 *
 * Streams are found the way the features find them (track.c, connection.c):
 * an inbound-rtp names its track by trackIdentifier, an outbound-rtp through
 * mediaSourceId -> media-source.trackIdentifier (Firefox, which has no
 * mediaSourceId: see firefox_source()); the selected candidate pair is
 * the first transport (in key order) with a selectedCandidatePairId.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

/* A number property of a report; NaN when absent or not a number. */
static double
num(json_object *r, const char *key)
{
	json_object *v;

	if (r == NULL || !json_object_object_get_ex(r, key, &v) || v == NULL)
		return NAN;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return NAN;
	return json_object_get_double(v);
}

/* A string property of a report, or NULL. */
static const char *
str(json_object *r, const char *key)
{
	json_object *v;

	if (r == NULL || !json_object_object_get_ex(r, key, &v) || v == NULL ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* report[ref] for a string reference property (transportId, localCandidateId, ...). */
static json_object *
by_ref(json_object *report, json_object *r, const char *key)
{
	const char *id = str(r, key);
	json_object *v;

	if (id == NULL || !json_object_object_get_ex(report, id, &v))
		return NULL;
	return json_object_is_type(v, json_type_object) ? v : NULL;
}

/* Copies at most size-1 bytes, always terminated. */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t		n = src ? strnlen(src, size - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A state value: Chrome's own dumps send JSON-encoded strings ("\"connected\""). */
static void
state_text(char *dst, size_t size, json_object *v)
{
	const char *s;
	size_t		len;

	dst[0] = '\0';
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return;
	s = json_object_get_string(v);
	len = strlen(s);
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
	{
		s++;
		len -= 2;
	}
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s),
				m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

rtcstats_analysis *
rtcstats_analysis_new(void)
{
	return calloc(1, sizeof(rtcstats_analysis));
}

static void
stream_free(an_stream *s)
{
	ts_series  *all[] = {&s->s_bitrate, &s->s_loss, &s->s_jitter, &s->s_fps, &s->s_height,
	&s->s_concealment, &s->s_freezes, &s->s_rtt, &s->s_remote_loss};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ts_free(all[i]);
	free(s->stats_id);
	free(s->track);
	free(s->rid);
	free(s);
}

static void
pc_free(an_pc *p)
{
	for (int i = 0; i < p->nstreams; i++)
		stream_free(p->streams[i]);
	free(p->streams);
	ts_free(&p->s_send);
	ts_free(&p->s_recv);
	ts_free(&p->s_rtt);
	ts_free(&p->s_aob);
	free(p->events);
	free(p->id);
	free(p);
}

void
rtcstats_analysis_set_malformed(rtcstats_analysis *a, long count, const long *lines,
								size_t nlines)
{
	a->malformed = count;
	a->nmalformed_at = nlines < RTCSTATS_SKIPPED_LINES_KEPT ? nlines : RTCSTATS_SKIPPED_LINES_KEPT;
	memcpy(a->malformed_at, lines, a->nmalformed_at * sizeof(*lines));
}

void
rtcstats_analysis_free(rtcstats_analysis *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < a->npcs; i++)
		pc_free(a->pcs[i]);
	free(a->pcs);
	for (int i = 0; i < a->nmedia; i++)
		free(a->media[i].id);
	free(a);
}

/* The peer connection of an event, created on first sight (pc_index is dense). */
static an_pc *
get_pc(rtcstats_analysis *a, const rtcstats_event *ev)
{
	an_pc	   *p;

	if (ev->pc_index < 0)
		return NULL;
	if (ev->pc_index < a->npcs)
		return a->pcs[ev->pc_index];
	if (ev->pc_index != a->npcs)
		return NULL;			/* cannot happen: the reader's indexes are dense */
	if (a->npcs >= AN_MAX_PCS)
	{
		a->pcs_ignored++;
		return NULL;
	}
	if (a->npcs == a->cap_pcs)
	{
		int			cap = a->cap_pcs ? a->cap_pcs * 2 : 4;
		an_pc	  **v = realloc(a->pcs, sizeof(*v) * cap);

		if (v == NULL)
			return NULL;
		a->pcs = v;
		a->cap_pcs = cap;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->id = strdup(ev->pc);
	if (p->id == NULL)
	{
		free(p);
		return NULL;
	}
	p->created = ev->timestamp;
	a->pcs[a->npcs++] = p;
	return p;
}

/* Records a state change for the timeline; beyond AN_MAX_EVENTS only counts. */
static void
add_event(an_pc *p, double t, const char *what, const char *value, const char *track)
{
	an_event   *e;

	if (p->nevents >= AN_MAX_EVENTS)
	{
		p->events_dropped++;
		return;
	}
	if (p->nevents == p->cap_events)
	{
		int			cap = p->cap_events ? p->cap_events * 2 : 16;
		an_event   *v;

		if (cap > AN_MAX_EVENTS)
			cap = AN_MAX_EVENTS;
		v = realloc(p->events, sizeof(*v) * cap);
		if (v == NULL)
		{
			p->events_dropped++;
			return;
		}
		p->events = v;
		p->cap_events = cap;
	}
	e = &p->events[p->nevents++];
	e->t = t;
	e->what = what;
	e->track = track;
	copy_text(e->value, sizeof(e->value), value);
}

bool
an_is_connected(const an_pc *p)
{
	if (p->conn_state[0])
		return strcmp(p->conn_state, "connected") == 0;
	return strcmp(p->ice_state, "connected") == 0 || strcmp(p->ice_state, "completed") == 0;
}

/* Creation to "connected" (connectionState, or ICE when the browser has none). */
double
an_setup_ms(const an_pc *p)
{
	if (p->conn_connected_at > 0)
		return p->conn_connected_at - p->created;
	if (p->ice_connected_at > 0 && !p->conn_state[0])
		return p->ice_connected_at - p->created;
	return NAN;
}

/* RTCConfiguration.iceServers: how many entries, and whether any is a TURN server. */
static void
config_event(an_pc *p, json_object *cfg)
{
	json_object *servers;

	p->ice_servers_known = true;
	if (cfg == NULL || !json_object_is_type(cfg, json_type_object) ||
		!json_object_object_get_ex(cfg, "iceServers", &servers) ||
		!json_object_is_type(servers, json_type_array))
		return;
	p->ice_servers = (int) json_object_array_length(servers);
	for (size_t i = 0; i < json_object_array_length(servers); i++)
	{
		json_object *s = json_object_array_get_idx(servers, i);
		json_object *urls = NULL;

		if (!json_object_object_get_ex(s, "urls", &urls))
			json_object_object_get_ex(s, "url", &urls);
		if (urls && json_object_is_type(urls, json_type_string))
		{
			if (strncmp(json_object_get_string(urls), "turn", 4) == 0)
				p->has_turn_server = true;
		}
		else if (urls && json_object_is_type(urls, json_type_array))
		{
			for (size_t j = 0; j < json_object_array_length(urls); j++)
			{
				json_object *u = json_object_array_get_idx(urls, j);

				if (u && json_object_is_type(u, json_type_string) &&
					strncmp(json_object_get_string(u), "turn", 4) == 0)
					p->has_turn_server = true;
			}
		}
	}
}

static void
ice_state_event(an_pc *p, double t, const char *s)
{
	bool		was_disc = strcmp(p->ice_state, "disconnected") == 0;

	copy_text(p->ice_state, sizeof(p->ice_state), s);
	add_event(p, t, "iceConnectionState", s, NULL);
	if (strcmp(s, "checking") == 0 && p->first_checking == 0)
		p->first_checking = t;
	else if (strcmp(s, "connected") == 0 || strcmp(s, "completed") == 0)
	{
		if (!p->ever_ice_connected)
			p->ice_connected_at = t;
		p->ever_ice_connected = true;
	}
	else if (strcmp(s, "failed") == 0 && !p->ice_failed)
	{
		p->ice_failed = true;
		p->ice_failed_at = t;
	}
	if (strcmp(s, "disconnected") == 0 && !was_disc)
	{
		p->disconnections++;
		p->disc_start = t;
		if (p->disc_first == 0)
			p->disc_first = t;
		p->disc_last = t;
	}
	else if (was_disc && strcmp(s, "disconnected") != 0 && p->disc_start > 0)
	{
		p->disc_total += t - p->disc_start;
		p->disc_last = t;
		p->disc_start = 0;
	}
}

static void
conn_state_event(an_pc *p, double t, const char *s)
{
	copy_text(p->conn_state, sizeof(p->conn_state), s);
	add_event(p, t, "connectionState", s, NULL);
	if (strcmp(s, "connecting") == 0 && p->conn_connecting_at == 0)
		p->conn_connecting_at = t;
	else if (strcmp(s, "connected") == 0)
	{
		if (!p->ever_connected)
			p->conn_connected_at = t;
		p->ever_connected = true;
	}
	else if (strcmp(s, "failed") == 0 && !p->conn_failed)
	{
		p->conn_failed = true;
		p->conn_failed_at = t;
	}
}

/* "a=candidate" lines of a remote description. */
static int
count_sdp_candidates(const char *sdp)
{
	int			n = 0;

	for (const char *s = sdp; (s = strstr(s, "a=candidate:")) != NULL; s += 12)
		n++;
	return n;
}

/* Error text of an *OnFailure event: a string value, or an object's name/message. */
static void
failure_text(char *dst, size_t size, json_object *v)
{
	const char *s = NULL;

	if (v && json_object_is_type(v, json_type_string))
		s = json_object_get_string(v);
	else if (v && json_object_is_type(v, json_type_object))
	{
		s = str(v, "message");
		if (s == NULL)
			s = str(v, "name");
	}
	copy_text(dst, size, s ? s : "unknown error");
}

static an_stream *
find_stream(an_pc *p, const char *id)
{
	for (int i = 0; i < p->nstreams; i++)
		if (strcmp(p->streams[i]->stats_id, id) == 0)
			return p->streams[i];
	return NULL;
}

/*
 * Firefox's outbound-rtp has no mediaSourceId: its media-source is the one of
 * the same kind at the same rank, the rank of the report's mid among the mids
 * of that kind's outbound-rtp reports (transceiver order; simulcast layers
 * share a mid).  The local description's msid is no help: Firefox writes
 * there an id of its own, not the MediaStreamTrack's.
 */
static json_object *
firefox_source(const rtcstats_event *ev, json_object *r)
{
	const char *kind = str(r, "kind");
	const char *mid = str(r, "mid");
	int			rank = 0;

	if (kind == NULL || mid == NULL || json_object_object_get_ex(r, "mediaSourceId", NULL))
		return NULL;
	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *o = ev->stats[i].report;
		const char *omid = str(o, "mid");
		bool		seen = false;

		if (o == r)
			break;
		if (omid == NULL || strcmp(omid, mid) == 0 || !str(o, "type") ||
			strcmp(str(o, "type"), "outbound-rtp") != 0 || !str(o, "kind") ||
			strcmp(str(o, "kind"), kind) != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
		{
			json_object *q = ev->stats[j].report;

			seen = str(q, "mid") && strcmp(str(q, "mid"), omid) == 0 && str(q, "type") &&
				strcmp(str(q, "type"), "outbound-rtp") == 0;
		}
		if (!seen)
			rank++;
	}
	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *o = ev->stats[i].report;

		if (str(o, "type") && strcmp(str(o, "type"), "media-source") == 0 &&
			str(o, "kind") && strcmp(str(o, "kind"), kind) == 0 && rank-- == 0)
			return o;
	}
	return NULL;
}

/* The media-source of an outbound-rtp: by mediaSourceId, else as Firefox's. */
static json_object *
outbound_source(const rtcstats_event *ev, json_object *r)
{
	json_object *src = by_ref(ev->value, r, "mediaSourceId");

	return src ? src : firefox_source(ev, r);
}

/* A new stream for an inbound-rtp / outbound-rtp report; NULL if its track is unknown yet. */
static an_stream *
new_stream(an_pc *p, const rtcstats_event *ev, const char *id, json_object *r, bool outbound)
{
	const char *track;
	const char *kind = str(r, "kind");
	an_stream  *s;

	if (outbound)
		track = str(outbound_source(ev, r), "trackIdentifier");
	else
		track = str(r, "trackIdentifier");
	if (track == NULL)
		return NULL;			/* bound later, as track.c does */
	if (kind == NULL)
		kind = str(r, "mediaType");
	if (p->nstreams >= AN_MAX_STREAMS)
	{
		p->streams_ignored++;
		return NULL;
	}
	if (p->nstreams == p->cap_streams)
	{
		int			cap = p->cap_streams ? p->cap_streams * 2 : 4;
		an_stream **v = realloc(p->streams, sizeof(*v) * cap);

		if (v == NULL)
			return NULL;
		p->streams = v;
		p->cap_streams = cap;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->stats_id = strdup(id);
	s->track = strdup(track);
	if (str(r, "rid"))
		s->rid = strdup(str(r, "rid"));
	if (s->stats_id == NULL || s->track == NULL)
	{
		stream_free(s);
		return NULL;
	}
	copy_text(s->kind, sizeof(s->kind), kind);
	s->outbound = outbound;
	s->first_ts = ev->timestamp;
	s->ql_reason[0] = '\0';
	p->streams[p->nstreams++] = s;
	return s;
}

/* A delta of a cumulative counter; NaN if either is missing or it went backwards. */
static double
delta(double now, double prev)
{
	if (isnan(now) || isnan(prev) || now < prev)
		return NAN;
	return now - prev;
}

/* One stream's report in one getStats event: series and per-interval rules. */
static void
stream_stats(an_pc *p, an_stream *s, const rtcstats_event *ev, json_object *r)
{
	double		t = ev->timestamp;
	bool		video = strcmp(s->kind, "video") == 0;
	double		bytes = num(r, s->outbound ? "bytesSent" : "bytesReceived");
	double		packets = num(r, s->outbound ? "packetsSent" : "packetsReceived");
	double		lost = s->outbound ? NAN : num(r, "packetsLost");
	double		frames = num(r, s->outbound ? "framesEncoded" : "framesDecoded");
	double		codec_time = num(r, s->outbound ? "totalEncodeTime" : "totalDecodeTime");
	double		concealed = num(r, "concealedSamples");
	double		silent = num(r, "silentConcealedSamples");
	double		samples = num(r, "totalSamplesReceived");
	double		freezes = num(r, "freezeCount");
	double		freeze_dur = num(r, "totalFreezesDuration");
	double		height = num(r, "frameHeight");
	double		fps = num(r, "framesPerSecond");
	double		ri_lost = NAN;
	json_object *ri = NULL;
	an_sample	x;

	s->last_ts = t;
	if (!isnan(bytes))
		s->bytes_total = bytes;
	if (!isnan(num(r, "jitterBufferDelay")))
	{
		s->jb_delay = num(r, "jitterBufferDelay");
		s->jb_emitted = num(r, "jitterBufferEmittedCount");
	}

	/* outbound: remote-inbound-rtp (RTT and loss the other side reports) */
	if (s->outbound)
	{
		json_object *src = outbound_source(ev, r);
		const char *reason = str(r, "qualityLimitationReason");
		json_object *qld;

		ri = by_ref(ev->value, r, "remoteId");
		if (ri)
		{
			double		rtt = num(ri, "roundTripTime");

			ri_lost = num(ri, "packetsLost");
			if (!isnan(rtt))
			{
				ts_add(&s->s_rtt, t, rtt * 1000.0);
				s->ri_rtt_sum += rtt * 1000.0;
				s->ri_rtt_n++;
			}
			if (!isnan(num(ri, "fractionLost")))
				ts_add(&s->s_remote_loss, t, num(ri, "fractionLost"));
		}
		if (video && !isnan(num(src, "height")))
			s->source_height = num(src, "height");
		if (reason && strcmp(reason, s->ql_reason) != 0)
		{
			copy_text(s->ql_reason, sizeof(s->ql_reason), reason);
			add_event(p, t, "qualityLimitationReason", reason, s->track);
		}
		if (json_object_object_get_ex(r, "qualityLimitationDurations", &qld) && qld)
		{
			double		bw = num(qld, "bandwidth"),
						cpu = num(qld, "cpu");

			if (!isnan(bw) && bw > s->ql_bandwidth)
			{
				if (s->ql_first_bw == 0)
					s->ql_first_bw = t;
				s->ql_last_bw = t;
			}
			if (!isnan(cpu) && cpu > s->ql_cpu)
			{
				if (s->ql_first_cpu == 0)
					s->ql_first_cpu = t;
				s->ql_last_cpu = t;
			}
			s->ql_bandwidth = isnan(bw) ? s->ql_bandwidth : bw;
			s->ql_cpu = isnan(cpu) ? s->ql_cpu : cpu;
			s->ql_other = isnan(num(qld, "other")) ? s->ql_other : num(qld, "other");
			s->ql_none = isnan(num(qld, "none")) ? s->ql_none : num(qld, "none");
		}
		if (video)
			p->sends_video = true;
	}
	else if (video)
	{
		const char *dec = str(r, "decoderImplementation");

		if (dec && strcmp(dec, "NullVideoDecoder") == 0)
		{
			if (!s->null_decoder)
				s->null_decoder_first = t;
			s->null_decoder = true;
			s->null_decoder_last = t;
		}
	}

	/* jitterBufferFlushes: upstream track.js audioJitterBufferFeatures() */
	if (!isnan(num(r, "jitterBufferFlushes")))
	{
		double		f = num(r, "jitterBufferFlushes");

		if (s->have_flushes && f > s->prev_flushes)
		{
			double		gap = s->flush_n ? t - s->flush_prev_ts : 0;

			if (s->flush_n == 0)
			{
				s->flush_first = t;
				s->flush_periodic = true;
			}
			else if (gap < 3000 || gap > 5000)
				s->flush_periodic = false;
			s->flush_n++;
			s->flush_prev_ts = t;
			s->flush_last = t;
		}
		s->prev_flushes = f;
		s->have_flushes = true;
	}

	if (!isnan(height) && video)
	{
		ts_add(&s->s_height, t, height);
		if (height > 0)
		{
			s->height_sum += height;
			s->height_n++;
		}
		if (height > s->height_max)
			s->height_max = height;
	}

	if (s->have_prev && t > s->prev_ts)
	{
		double		dt = t - s->prev_ts;
		double		db = delta(bytes, s->prev_bytes);
		double		dp = delta(packets, s->prev_packets);
		double		dl = delta(lost, s->prev_lost);
		double		df = delta(frames, s->prev_frames);
		double		dct = delta(codec_time, s->prev_codec_time);

		memset(&x, 0, sizeof(x));
		x.t = t;
		x.dt = dt;
		x.connected = an_is_connected(p);
		x.bytes = db;
		x.loss = x.jitter_ms = x.fps = x.concealment = x.encode_ms = x.decode_ms = NAN;
		x.height = video ? height : NAN;
		if (!isnan(db))
			ts_add(&s->s_bitrate, t, db * 8.0 * 1000.0 / dt);
		if (!s->outbound && !isnan(dp) && !isnan(dl) && dp + dl > 0)
		{
			x.loss = dl / (dp + dl);
			s->lost_total += dl;
			s->packets_total += dp + dl;
			ts_add(&s->s_loss, t, x.loss);
		}
		else if (!s->outbound && !isnan(dp))
		{
			x.loss = dp > 0 ? 0 : NAN;
			if (dp > 0)
			{
				s->packets_total += dp;
				ts_add(&s->s_loss, t, 0);
			}
		}
		if (s->outbound && ri && !isnan(ri_lost) && !isnan(s->prev_ri_lost) && !isnan(dp) && dp > 0)
		{
			double		drl = delta(ri_lost, s->prev_ri_lost);

			if (!isnan(drl))
			{
				s->lost_total += drl;
				s->packets_total += dp;
			}
		}
		if (!s->outbound && !isnan(num(r, "jitter")))
		{
			x.jitter_ms = num(r, "jitter") * 1000.0;
			ts_add(&s->s_jitter, t, x.jitter_ms);
			s->jitter_sum += x.jitter_ms;
			s->jitter_n++;
		}
		if (video)
		{
			x.fps = !isnan(fps) ? fps : (!isnan(df) ? df * 1000.0 / dt : NAN);
			if (!isnan(x.fps))
			{
				ts_add(&s->s_fps, t, x.fps);
				if (x.fps > 0)
				{
					s->fps_sum += x.fps;
					s->fps_n++;
				}
			}
			if (!isnan(df) && df > 0 && !isnan(dct))
			{
				if (s->outbound)
					x.encode_ms = dct * 1000.0 / df;
				else
					x.decode_ms = dct * 1000.0 / df;
			}
			if (!s->outbound)
			{
				double		dfc = delta(freezes, s->prev_freeze_count);
				double		dfd = delta(freeze_dur, s->prev_freeze_dur);

				if (!isnan(dfc))
				{
					ts_add(&s->s_freezes, t, dfc);
					if (dfc > 0)
					{
						if (s->freeze_count == 0)
							s->freeze_first = t;
						s->freeze_last = t;
						s->freeze_count += dfc;
					}
				}
				if (!isnan(dfd))
					s->freeze_duration += dfd;
			}
		}
		else if (!s->outbound)
		{
			double		dc = delta(concealed, s->prev_concealed);
			double		ds = delta(silent, s->prev_silent);
			double		dn = delta(samples, s->prev_samples);

			if (!isnan(dc) && !isnan(dn) && dn > 0)
			{
				x.concealment = (dc - (isnan(ds) ? 0 : ds)) / dn;
				if (x.concealment < 0)
					x.concealment = 0;
				ts_add(&s->s_concealment, t, x.concealment);
			}
		}
		an_stream_interval(s, &x);
	}
	s->have_prev = true;
	s->prev_ts = t;
	s->prev_bytes = bytes;
	s->prev_packets = packets;
	s->prev_lost = lost;
	s->prev_frames = frames;
	s->prev_codec_time = codec_time;
	s->prev_concealed = concealed;
	s->prev_silent = silent;
	s->prev_samples = samples;
	s->prev_freeze_count = freezes;
	s->prev_freeze_dur = freeze_dur;
	s->prev_ri_lost = ri_lost;
}

/* The selected pair: the first transport with a selectedCandidatePairId, else a pair marked selected (Firefox). */
static json_object *
selected_pair(const rtcstats_event *ev, json_object **transport)
{
	*transport = NULL;
	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *r = ev->stats[i].report;
		const char *type = str(r, "type");

		if (type && strcmp(type, "transport") == 0 && str(r, "selectedCandidatePairId"))
		{
			*transport = r;
			return by_ref(ev->value, r, "selectedCandidatePairId");
		}
	}
	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *r = ev->stats[i].report;
		const char *type = str(r, "type");
		json_object *sel;

		if (type && strcmp(type, "candidate-pair") == 0 &&
			json_object_object_get_ex(r, "selected", &sel) && json_object_get_boolean(sel))
			return r;
	}
	return NULL;
}

static void
stats_event(an_pc *p, const rtcstats_event *ev)
{
	double		t = ev->timestamp;
	json_object *transport;
	json_object *pair;
	double		sent = NAN,
				recv = NAN,
				rtt = NAN,
				aob = NAN;

	if (ev->value == NULL || !json_object_is_type(ev->value, json_type_object))
		return;
	pair = selected_pair(ev, &transport);
	if (transport)
	{
		const char *dtls = str(transport, "dtlsState");

		if (dtls && strcmp(dtls, "failed") == 0)
			p->dtls_failed = true;
		sent = num(transport, "bytesSent");
		recv = num(transport, "bytesReceived");
	}
	if (pair)
	{
		json_object *local = by_ref(ev->value, pair, "localCandidateId");
		const char *ctype = str(local, "candidateType");

		if (isnan(sent))
		{
			sent = num(pair, "bytesSent");
			recv = num(pair, "bytesReceived");
		}
		rtt = num(pair, "currentRoundTripTime") * 1000.0;
		aob = num(pair, "availableOutgoingBitrate");
		if (ctype)
		{
			if (strcmp(ctype, p->local_type) != 0)
				add_event(p, t, "localCandidateType", ctype, NULL);
			copy_text(p->local_type, sizeof(p->local_type), ctype);
			copy_text(p->relay_protocol, sizeof(p->relay_protocol), str(local, "relayProtocol"));
			copy_text(p->protocol, sizeof(p->protocol), str(local, "protocol"));
			p->have_pair = true;
			if (strcmp(ctype, "relay") == 0)
			{
				if (p->relay_first == 0)
					p->relay_first = t;
				p->relay_last = t;
			}
		}
	}
	if (!isnan(rtt))
	{
		ts_add(&p->s_rtt, t, rtt);
		p->rtt_sum += rtt;
		p->rtt_n++;
	}
	if (!isnan(aob))
		ts_add(&p->s_aob, t, aob);
	if (p->have_prev && t > p->prev_ts)
	{
		double		dt = t - p->prev_ts;
		double		ds = delta(sent, p->prev_sent);
		double		dr = delta(recv, p->prev_recv);

		if (!isnan(ds))
			ts_add(&p->s_send, t, ds * 8000.0 / dt);
		if (!isnan(dr))
			ts_add(&p->s_recv, t, dr * 8000.0 / dt);
		an_pc_interval(p, t, dt, rtt, aob);
	}
	if (!isnan(sent) || !isnan(recv))
	{
		p->have_prev = true;
		p->prev_ts = t;
		p->prev_sent = sent;
		p->prev_recv = recv;
	}

	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *r = ev->stats[i].report;
		const char *type = str(r, "type");
		bool		outbound;
		an_stream  *s;

		if (type == NULL)
			continue;
		if (!p->skew_done && strcmp(type, "peer-connection") == 0)
		{
			/* as connection.c's clockSkew: the first peer-connection report only */
			double		ts = num(r, "timestamp");

			p->skew_done = true;
			if (!isnan(ts))
			{
				p->clock_skew = t - ts;
				p->skew_at = t;
			}
			continue;
		}
		if (strcmp(type, "inbound-rtp") == 0)
			outbound = false;
		else if (strcmp(type, "outbound-rtp") == 0)
			outbound = true;
		else
			continue;
		s = find_stream(p, ev->stats[i].id);
		if (s == NULL)
			s = new_stream(p, ev, ev->stats[i].id, r, outbound);
		if (s != NULL && s->outbound == outbound)
			stream_stats(p, s, ev, r);
	}
}

/* getUserMediaOnSuccess / getDisplayMediaOnSuccess: remember when each track started. */
static void
media_success(rtcstats_analysis *a, json_object *v, double t, bool display)
{
	if (v == NULL || !json_object_is_type(v, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(v); i++)
	{
		json_object *tr = json_object_array_get_idx(v, i);
		json_object *id;

		if (tr == NULL || !json_object_is_type(tr, json_type_array) ||
			json_object_array_length(tr) < 2)
			continue;
		id = json_object_array_get_idx(tr, 1);
		if (id == NULL || !json_object_is_type(id, json_type_string))
			continue;
		if (a->nmedia == AN_MAX_MEDIA)
		{
			/* bounded: forget the oldest */
			free(a->media[0].id);
			memmove(&a->media[0], &a->media[1], sizeof(an_media) * (AN_MAX_MEDIA - 1));
			a->nmedia--;
		}
		a->media[a->nmedia].id = strdup(json_object_get_string(id));
		a->media[a->nmedia].started = t;
		a->media[a->nmedia].display = display;
		if (a->media[a->nmedia].id)
			a->nmedia++;
	}
}

/* MediaStreamTrack.onended (value: track id) or .stop (extra[0]: track id). */
static void
media_end(rtcstats_analysis *a, const rtcstats_event *ev, bool spontaneous)
{
	json_object *idv = spontaneous ? ev->value : json_object_array_get_idx(ev->extra, 0);
	const char *id;

	if (!spontaneous && (idv == NULL || !json_object_is_type(idv, json_type_string)))
		idv = ev->value;
	if (idv == NULL || !json_object_is_type(idv, json_type_string))
		return;
	id = json_object_get_string(idv);
	for (int i = 0; i < a->nmedia; i++)
	{
		if (strcmp(a->media[i].id, id) != 0)
			continue;
		if (an_track_end_is_early(ev->timestamp - a->media[i].started))
		{
			if (a->early_ends++ == 0)
			{
				a->early_first = ev->timestamp;
				a->early_after = ev->timestamp - a->media[i].started;
				copy_text(a->early_track, sizeof(a->early_track), id);
				a->early_spontaneous = spontaneous;
			}
			a->early_spontaneous = a->early_spontaneous || spontaneous;
			a->early_last = ev->timestamp;
		}
		free(a->media[i].id);
		memmove(&a->media[i], &a->media[i + 1], sizeof(an_media) * (a->nmedia - i - 1));
		a->nmedia--;
		return;
	}
}

static void
client_event(rtcstats_analysis *a, const rtcstats_event *ev)
{
	const char *m = ev->method;
	double		t = ev->timestamp;

	if (strcmp(m, "create") == 0)
	{
		double		rc = num(ev->value, "reloadCount");

		if (!isnan(rc))
		{
			a->reload_count = rc;
			a->reload_at = t;
		}
	}
	else if (ends_with(m, "getUserMediaOnFailure"))
	{
		if (a->gum_failures++ == 0)
			a->gum_first = t;
		a->gum_last = t;
		a->gum_success_after = false;
		failure_text(a->gum_reason, sizeof(a->gum_reason), ev->value);
	}
	else if (ends_with(m, "getDisplayMediaOnFailure"))
	{
		if (a->gdm_failures++ == 0)
			a->gdm_first = t;
		a->gdm_last = t;
		a->gdm_success_after = false;
		failure_text(a->gdm_reason, sizeof(a->gdm_reason), ev->value);
	}
	else if (ends_with(m, "getUserMediaOnSuccess"))
	{
		a->gum_success_after = true;
		media_success(a, ev->value, t, false);
	}
	else if (ends_with(m, "getDisplayMediaOnSuccess"))
	{
		a->gdm_success_after = true;
		media_success(a, ev->value, t, true);
	}
	else if (strcmp(m, "close") == 0 && ev->value &&
			 json_object_is_type(ev->value, json_type_int))
	{
		/* the line the server appends: the WebSocket close code */
		a->ws_close_code = json_object_get_int(ev->value);
		a->ws_close_at = t;
	}
	else if (strcmp(m, "MediaStreamTrack.onended") == 0)
		media_end(a, ev, true);
	else if (strcmp(m, "MediaStreamTrack.stop") == 0)
		media_end(a, ev, false);
}

static void
pc_event(an_pc *p, const rtcstats_event *ev)
{
	const char *m = ev->method;
	double		t = ev->timestamp;
	char		state[32];

	p->last_ts = t;
	if (strcmp(m, "getStats") == 0)
		stats_event(p, ev);
	else if (strcmp(m, "oniceconnectionstatechange") == 0)
	{
		state_text(state, sizeof(state), ev->value);
		ice_state_event(p, t, state);
	}
	else if (strcmp(m, "onconnectionstatechange") == 0)
	{
		state_text(state, sizeof(state), ev->value);
		conn_state_event(p, t, state);
	}
	else if (strcmp(m, "onsignalingstatechange") == 0)
	{
		state_text(p->sig_state, sizeof(p->sig_state), ev->value);
		add_event(p, t, "signalingState", p->sig_state, NULL);
	}
	else if (strcmp(m, "onicegatheringstatechange") == 0)
	{
		state_text(state, sizeof(state), ev->value);
		add_event(p, t, "iceGatheringState", state, NULL);
	}
	else if (strcmp(m, "create") == 0)
	{
		p->created = t;
		config_event(p, ev->value);
	}
	else if (strcmp(m, "setConfiguration") == 0)
		config_event(p, ev->value);
	else if (strcmp(m, "restartIce") == 0 ||
			 (strcmp(m, "createOffer") == 0 && ev->value &&
			  json_object_object_get_ex(ev->value, "iceRestart", NULL) &&
			  json_object_get_boolean(json_object_object_get(ev->value, "iceRestart"))))
	{
		if (p->ice_restarts++ == 0)
			p->restart_first = t;
		p->restart_last = t;
		add_event(p, t, "iceRestart", m, NULL);
	}
	else if (strcmp(m, "addIceCandidate") == 0)
	{
		const char *c = str(ev->value, "candidate");

		if (c && c[0])
			p->remote_candidates++;
	}
	else if (strcmp(m, "setRemoteDescription") == 0)
	{
		const char *sdp = str(ev->value, "sdp");

		p->had_remote_description = true;
		if (sdp)
			p->remote_candidates += count_sdp_candidates(sdp);
	}
	else if (strcmp(m, "addIceCandidateOnFailure") == 0)
	{
		if (p->addice_failures++ == 0)
			p->addice_failure_first = t;
		p->addice_failure_last = t;
		failure_text(p->addice_failure_reason, sizeof(p->addice_failure_reason), ev->value);
	}
	else if (strcmp(m, "createOfferOnFailure") == 0 || strcmp(m, "createAnswerOnFailure") == 0 ||
			 strcmp(m, "setLocalDescriptionOnFailure") == 0 ||
			 strcmp(m, "setRemoteDescriptionOnFailure") == 0)
	{
		if (p->neg_failures++ == 0)
		{
			p->neg_failure_first = t;
			copy_text(p->neg_failure_method, sizeof(p->neg_failure_method), m);
			failure_text(p->neg_failure_reason, sizeof(p->neg_failure_reason), ev->value);
		}
		p->neg_failure_last = t;
	}
	else if (strcmp(m, "close") == 0)
	{
		p->closed = true;
		p->closed_at = t;
		add_event(p, t, "close", "closed", NULL);
	}
}

void
rtcstats_analysis_event(rtcstats_analysis *a, const rtcstats_event *ev)
{
	if (a == NULL || ev == NULL || ev->method == NULL)
		return;
	if (!a->have_ts)
	{
		a->first_ts = ev->timestamp;
		a->have_ts = true;
	}
	if (ev->timestamp > a->last_ts)
		a->last_ts = ev->timestamp;
	if (ev->pc == NULL)
		client_event(a, ev);
	else
	{
		an_pc	   *p = get_pc(a, ev);

		if (p)
			pc_event(p, ev);
	}
}

/* The bounded series of one peer connection as JSON (see analysis.h). */
static json_object *
pc_timeseries(const an_pc *p)
{
	json_object *o = json_object_new_object();
	json_object *series = json_object_new_object();
	json_object *events = json_object_new_array();
	json_object *streams = json_object_new_array();
	json_object *v;

#define PUT_SERIES(obj, name, s) \
	do { if ((v = ts_to_json(s)) != NULL) json_object_object_add(obj, name, v); } while (0)
	PUT_SERIES(series, "sendBitrate", &p->s_send);
	PUT_SERIES(series, "receiveBitrate", &p->s_recv);
	PUT_SERIES(series, "roundTripTime", &p->s_rtt);
	PUT_SERIES(series, "availableOutgoingBitrate", &p->s_aob);
	for (int i = 0; i < p->nevents; i++)
	{
		json_object *e = json_object_new_array_ext(4);

		json_object_array_add(e, json_object_new_int64((int64_t) llround(p->events[i].t)));
		json_object_array_add(e, json_object_new_string(p->events[i].what));
		json_object_array_add(e, json_object_new_string(p->events[i].value));
		if (p->events[i].track)
			json_object_array_add(e, json_object_new_string(p->events[i].track));
		json_object_array_add(events, e);
	}
	for (int i = 0; i < p->nstreams; i++)
	{
		const an_stream *s = p->streams[i];
		json_object *so = json_object_new_object();
		json_object *ss = json_object_new_object();

		json_object_object_add(so, "statsId", json_object_new_string(s->stats_id));
		json_object_object_add(so, "track", json_object_new_string(s->track));
		json_object_object_add(so, "kind", json_object_new_string(s->kind));
		json_object_object_add(so, "direction",
							   json_object_new_string(s->outbound ? "outbound" : "inbound"));
		if (s->rid)
			json_object_object_add(so, "rid", json_object_new_string(s->rid));
		PUT_SERIES(ss, "bitrate", &s->s_bitrate);
		PUT_SERIES(ss, "packetLoss", &s->s_loss);
		PUT_SERIES(ss, "jitter", &s->s_jitter);
		PUT_SERIES(ss, "framesPerSecond", &s->s_fps);
		PUT_SERIES(ss, "frameHeight", &s->s_height);
		PUT_SERIES(ss, "concealment", &s->s_concealment);
		PUT_SERIES(ss, "freezes", &s->s_freezes);
		PUT_SERIES(ss, "remoteRoundTripTime", &s->s_rtt);
		PUT_SERIES(ss, "remoteFractionLost", &s->s_remote_loss);
		json_object_object_add(so, "series", ss);
		json_object_array_add(streams, so);
	}
#undef PUT_SERIES
	json_object_object_add(o, "series", series);
	json_object_object_add(o, "events", events);
	if (p->events_dropped)
		json_object_object_add(o, "eventsDropped", json_object_new_int(p->events_dropped));
	json_object_object_add(o, "tracks", streams);
	return o;
}

json_object *
rtcstats_analysis_finish(rtcstats_analysis *a, json_object *features)
{
	json_object *out;
	json_object *ts;
	json_object *obs;
	json_object *scores;
	char	   *summary;

	if (a == NULL)
		return NULL;
	out = json_object_new_object();
	ts = json_object_new_object();
	obs = json_object_new_array();
	if (out == NULL || ts == NULL || obs == NULL)
	{
		json_object_put(out);
		json_object_put(ts);
		json_object_put(obs);
		return NULL;
	}
	/* an ICE disconnection still open at the end lasts until the last event */
	for (int i = 0; i < a->npcs; i++)
	{
		an_pc	   *p = a->pcs[i];

		if (p->disc_start > 0)
		{
			double		end = p->closed ? p->closed_at : a->last_ts;

			p->disc_total += end - p->disc_start;
			p->disc_last = end;
			p->disc_start = 0;
		}
		json_object_object_add(ts, p->id, pc_timeseries(p));
	}
	an_observations(a, obs);
	scores = an_scores(a, obs);
	summary = an_summary(a, obs, scores);
	json_object_object_add(out, "timeseries", ts);
	json_object_object_add(out, "observations", obs);
	json_object_object_add(out, "scores", scores);
	json_object_object_add(out, "summary", json_object_new_string(summary ? summary : ""));
	free(summary);
	(void) features;
	return out;
}
