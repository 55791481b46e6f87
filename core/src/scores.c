/*
 * scores.c: audio (E-model MOS), video, connectivity and overall scores, per
 * peer connection and per call, all on a 1 (bad) to 5 (excellent) scale.
 * docs/analysis.md gives the formulas with worked examples.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis_internal.h"

/*
 * E-model parameters (ITU-T G.107 (06/2015)).  With every parameter at its
 * default value R = 93.2: the default "Ro - Is" part is 93.2 and A = 0.
 */
#define EMODEL_R_DEFAULT 93.2
/*
 * Codec figures.  ITU-T G.113 Appendix I lists no Opus values; we take Opus
 * at conversational bitrates as no worse than G.711 on the narrowband scale
 * (Ie = 0, G.113 App. I) and use G.711's packet-loss robustness with packet
 * loss concealment, Bpl = 25.1 (G.113 App. I, Table I.3), as a conservative
 * stand-in for Opus's PLC.  Random loss: BurstR = 1.
 */
#define OPUS_IE 0.0
#define OPUS_BPL 25.1
/* Delay added to RTT/2 + jitter buffer: one 20 ms Opus frame plus its 6.5 ms look-ahead (RFC 6716). */
#define OPUS_CODEC_DELAY_MS 26.5

/*
 * R = R0' - Id - Ie,eff (G.107 eq. 7-1 with Is, Idte, Idle and A at their
 * defaults, i.e. echo handled).  Id is Idd of G.107 eq. 7-28 with mT = 100 ms,
 * sT = 1 (the default delay sensitivity): 0 up to 100 ms, then
 *   Idd = 25 ((1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2), X = log2(Ta/100).
 * Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)  (eq. 7-29).
 */
double
rtcstats_emodel_r(double delay_ms, double loss_pct, double ie, double bpl, double burst_r)
{
	double		idd = 0;
	double		ie_eff;

	if (!isfinite(delay_ms) || delay_ms < 0)
		delay_ms = 0;
	if (!isfinite(loss_pct) || loss_pct < 0)
		loss_pct = 0;
	if (loss_pct > 100)
		loss_pct = 100;
	if (burst_r <= 0 || !isfinite(burst_r))
		burst_r = 1;
	if (delay_ms > 100)
	{
		double		x = log(delay_ms / 100.0) / log(2.0);

		idd = 25.0 * (pow(1 + pow(x, 6), 1.0 / 6) - 3 * pow(1 + pow(x / 3, 6), 1.0 / 6) + 2);
	}
	ie_eff = ie + (95.0 - ie) * loss_pct / (loss_pct / burst_r + bpl);
	return EMODEL_R_DEFAULT - idd - ie_eff;
}

/* G.107 Annex B (eq. B-4). */
double
rtcstats_emodel_mos(double r)
{
	if (r < 0)
		return 1.0;
	if (r > 100)
		return 4.5;
	return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

static json_object *
score(double d)
{
	if (!isfinite(d))
		return NULL;
	char		buf[32];

	/* two decimals as written, not 4.4100000000000001 */
	snprintf(buf, sizeof(buf), "%.2f", d);
	return json_object_new_double_s(round(d * 100.0) / 100.0, buf);
}

static double
clamp01(double d)
{
	return d < 0 ? 0 : d > 1 ? 1 : d;
}

/*
 * Audio MOS of a peer connection: the worst inbound audio stream, with
 * Ta = RTT/2 (selected pair mean) + mean jitter buffer delay + codec delay
 * and Ppl = its packets lost / (received + lost).  NaN without inbound audio.
 */
static double
pc_audio(const an_pc *p, double *r_out, double *delay_out, double *loss_out)
{
	double		worst = NAN;
	double		rtt = p->rtt_n ? p->rtt_sum / p->rtt_n : 0;

	for (int i = 0; i < p->nstreams; i++)
	{
		const an_stream *s = p->streams[i];
		double		jb,
					loss,
					ta,
					r,
					mos;

		if (s->outbound || strcmp(s->kind, "audio") != 0 || s->packets_total <= 0)
			continue;
		jb = s->jb_emitted > 0 ? 1000.0 * s->jb_delay / s->jb_emitted : 0;
		loss = 100.0 * s->lost_total / s->packets_total;
		ta = rtt / 2 + jb + OPUS_CODEC_DELAY_MS;
		r = rtcstats_emodel_r(ta, loss, OPUS_IE, OPUS_BPL, 1);
		mos = rtcstats_emodel_mos(r);
		if (isnan(worst) || mos < worst)
		{
			worst = mos;
			*r_out = r;
			*delay_out = ta;
			*loss_out = loss;
		}
	}
	return worst;
}

/* Frame rate regarded as fully fluid for the video score. */
#define VIDEO_FPS_GOOD 24.0

/*
 * Video score of one stream, 1 + 4 * Ffps * Fres * Ffreeze * Flimit:
 *   Ffps    = min(1, mean fps / 24)
 *   Fres    = mean frameHeight / reference height (outbound: the capture
 *             source's height; inbound: the highest height received)
 *   Ffreeze = 1 - min(1, 2 * frozen time / stream time)   (inbound)
 *   Flimit  = 1 - 0.5 * share of time quality-limited      (outbound)
 */
static double
stream_video(const an_stream *s)
{
	double		ffps,
				fres,
				ffreeze = 1,
				flimit = 1,
				ref;
	double		span = (s->last_ts - s->first_ts) / 1000.0;

	if (s->fps_n == 0 || s->height_n == 0)
		return NAN;
	ffps = clamp01(s->fps_sum / s->fps_n / VIDEO_FPS_GOOD);
	ref = s->outbound && s->source_height > 0 ? s->source_height : s->height_max;
	fres = ref > 0 ? clamp01(s->height_sum / s->height_n / ref) : 1;
	if (!s->outbound && span > 0)
		ffreeze = 1 - clamp01(2 * s->freeze_duration / span);
	if (s->outbound)
	{
		double		total = s->ql_bandwidth + s->ql_cpu + s->ql_other + s->ql_none;

		if (total > 0)
			flimit = 1 - 0.5 * clamp01((s->ql_bandwidth + s->ql_cpu + s->ql_other) / total);
	}
	return 1 + 4 * ffps * fres * ffreeze * flimit;
}

static int
find_index(const an_pc *p, const an_stream *s)
{
	for (int i = 0; i < p->nstreams; i++)
		if (p->streams[i] == s)
			return i;
	return -1;
}

/*
 * A simulcast layer below the track's top layer: scaled down on purpose
 * (scaleResolutionDownBy), so it would read as a resolution loss; only the
 * top layer of an outbound track is scored.
 */
static bool
lower_layer(const an_pc *p, const an_stream *s)
{
	if (!s->outbound)
		return false;
	for (int i = 0; i < p->nstreams; i++)
	{
		const an_stream *o = p->streams[i];

		if (o != s && o->outbound && strcmp(o->track, s->track) == 0 &&
			(o->height_max > s->height_max ||
			 (o->height_max == s->height_max && i < find_index(p, s))))
			return true;
	}
	return false;
}

/* Mean over the video streams of a peer connection (simulcast: top layers); NaN without video. */
static double
pc_video(const an_pc *p)
{
	double		sum = 0;
	int			n = 0;

	for (int i = 0; i < p->nstreams; i++)
	{
		double		v;

		if (strcmp(p->streams[i]->kind, "video") != 0 || lower_layer(p, p->streams[i]))
			continue;
		v = stream_video(p->streams[i]);
		if (!isnan(v))
		{
			sum += v;
			n++;
		}
	}
	return n ? sum / n : NAN;
}

/*
 * Connectivity: 1 if the connection failed or tried ICE but never connected
 * (NaN, not scored, if it never even tried: a probe connection); otherwise
 * 5 - setup penalty (0.5 over 1 s, 1 over 3 s) - relay penalty (0.25 over
 * UDP, 0.75 over TCP/TLS) - 0.5 per ICE disconnection and 0.1 per second
 * disconnected (together at most 2), floored at 1.
 */
static double
pc_connectivity(const an_pc *p)
{
	double		setup = an_setup_ms(p);
	double		s = 5;
	double		disc;

	if (p->ice_failed || p->conn_failed || p->dtls_failed)
		return 1;
	if (isnan(setup))
	{
		/* never tried (a probe connection for capabilities, closed at once): not scored */
		if (p->first_checking == 0 && p->conn_connecting_at == 0)
			return NAN;
		return 1;
	}
	if (setup > 3000)
		s -= 1;
	else if (setup > 1000)
		s -= 0.5;
	if (strcmp(p->local_type, "relay") == 0)
		s -= (strcmp(p->relay_protocol, "tcp") == 0 || strcmp(p->relay_protocol, "tls") == 0) ? 0.75 : 0.25;
	disc = 0.5 * p->disconnections + 0.1 * p->disc_total / 1000.0;
	s -= disc > 2 ? 2 : disc;
	return s < 1 ? 1 : s;
}

/* Overall: the connectivity score, capped by the mean of the media scores there are. */
static double
overall(double audio, double video, double conn)
{
	double		sum = 0;
	int			n = 0;

	if (!isnan(audio))
	{
		sum += audio;
		n++;
	}
	if (!isnan(video))
	{
		sum += video;
		n++;
	}
	if (isnan(conn))
		return n ? sum / n : NAN;
	if (n && sum / n < conn)
		return sum / n;
	return conn;
}

static void
put_scores(json_object *o, double audio, double video, double conn)
{
	json_object_object_add(o, "audio", score(audio));
	json_object_object_add(o, "video", score(video));
	json_object_object_add(o, "connectivity", score(conn));
	json_object_object_add(o, "overall", score(overall(audio, video, conn)));
}

/*
 * {"call": {audio, video, connectivity, overall}, "connections": {"<pc>":
 * {..., "audioR", "audioDelayMs", "audioLossPct"}}}.  The call takes the worst
 * connection for each score: one bad leg spoils the call.
 */
json_object *
an_scores(rtcstats_analysis *a, json_object *observations)
{
	json_object *out = json_object_new_object();
	json_object *conns = json_object_new_object();
	json_object *call = json_object_new_object();
	double		ca = NAN,
				cv = NAN,
				cc = NAN;

	for (int i = 0; i < a->npcs; i++)
	{
		const an_pc *p = a->pcs[i];
		json_object *o = json_object_new_object();
		double		r = NAN,
					delay = NAN,
					loss = NAN;
		double		au = pc_audio(p, &r, &delay, &loss);
		double		vi = pc_video(p);
		double		co = pc_connectivity(p);

		put_scores(o, au, vi, co);
		if (!isnan(au))
		{
			json_object_object_add(o, "audioR", score(r));
			json_object_object_add(o, "audioDelayMs", score(delay));
			json_object_object_add(o, "audioLossPct", score(loss));
		}
		json_object_object_add(conns, p->id, o);
		if (!isnan(au) && (isnan(ca) || au < ca))
			ca = au;
		if (!isnan(vi) && (isnan(cv) || vi < cv))
			cv = vi;
		if (!isnan(co) && (isnan(cc) || co < cc))
			cc = co;
	}
	put_scores(call, ca, cv, cc);
	json_object_object_add(out, "call", call);
	json_object_object_add(out, "connections", conns);
	(void) observations;
	return out;
}
