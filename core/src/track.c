/*
 * track.c: track discovery (upstream rtcstats-shared/dump.js extractTracks())
 * and track features (rtcstats-features/features/track.js), per peer
 * connection.
 *
 * Upstream first discovers all tracks and their stats ids, then scans the
 * trace once per feature.  Here a track's stats features start at the report
 * that binds it; a report of that stats id before the binding would need the
 * track to be unknown while its stats already name it, which a browser does
 * not produce (addTrack/ontrack precede the stats).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features_internal.h"

typedef struct histogram
{
	double	   *value;
	long	   *count;
	size_t		n,
				cap;
} histogram;

typedef struct track
{
	bool		outbound;
	jsval		kind;
	char	   *id;
	double		start;
	char	   *stats_id;

	bool		codec_done;
	jsval		codec_mime;
	jsval		codec_fmtp;
	bool		null_decoder;
	histogram	widths,
				heights;

	/* audioJitterBufferFeatures() */
	bool		flush_seen;
	bool		have_last_flushes;
	double		last_flushes;
	long		nflushes;
	double		last_flush_ts;
	bool		flush_periodic;

	/* lastStatsFeatures(): the last report of stats_id, held by reference */
	bool		have_last;
	double		last_ts;
	json_object *last_report;
	json_object *last_remote;
} track;

struct track_list
{
	track	  **v;
	size_t		n,
				cap;
	strmap		first_unmute;	/* track id -> first MediaStreamTrack.onunmute time */
};

track_list *
tracks_new(void)
{
	return calloc(1, sizeof(track_list));
}

static void
histogram_free(histogram *h)
{
	free(h->value);
	free(h->count);
}

static void
track_free(track *t)
{
	jsval_clear(&t->kind);
	free(t->id);
	free(t->stats_id);
	jsval_clear(&t->codec_mime);
	jsval_clear(&t->codec_fmtp);
	histogram_free(&t->widths);
	histogram_free(&t->heights);
	json_object_put(t->last_report);
	json_object_put(t->last_remote);
	free(t);
}

void
tracks_free(track_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		track_free(l->v[i]);
	free(l->v);
	strmap_free(&l->first_unmute, free);
	free(l);
}

static const char *
json_key_text(json_object *v)
{
	if (v == NULL)
		return "null";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static track *
find_track(track_list *l, const char *id, bool inbound_only)
{
	for (size_t i = 0; i < l->n; i++)
		if ((!inbound_only || !l->v[i]->outbound) && l->v[i]->id && strcmp(l->v[i]->id, id) == 0)
			return l->v[i];
	return NULL;
}

/* parseTrackWithStreams(): [kind, id, label, ...streams] */
static void
add_track(track_list *l, json_object *serialized, bool outbound, double ts, int dedup)
{
	json_object *kind = NULL,
			   *id = NULL;
	bool		has_kind = false;
	const char *idtext;
	track	   *t;

	if (json_object_is_type(serialized, json_type_array))
	{
		has_kind = json_object_array_length(serialized) > 0;
		kind = json_object_array_get_idx(serialized, 0);
		id = json_object_array_get_idx(serialized, 1);
	}
	else if (serialized == NULL || !json_object_is_type(serialized, json_type_object))
		return;
	/* id undefined compares unequal to every stats identifier */
	idtext = id ? json_key_text(id) : NULL;
	if (dedup == 1 && idtext && find_track(l, idtext, true))
		return;					/* ontrack: first inbound per id */
	if (dedup == 2 && idtext && find_track(l, idtext, false))
		return;					/* replaceTrack: unseen ids only */
	if (l->n >= MAX_TRACKS_PER_CONNECTION)
		return;
	if (l->n == l->cap)
	{
		size_t		cap = l->cap ? l->cap * 2 : 4;
		track	  **p = realloc(l->v, cap * sizeof(*p));

		if (p == NULL)
			return;
		l->v = p;
		l->cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return;
	t->outbound = outbound;
	jsval_set_if(&t->kind, has_kind, kind);
	t->id = idtext ? strdup(idtext) : NULL;
	t->start = ts;
	l->v[l->n++] = t;
}

/* webrtc-internals transceiverAdded / transceiverModified */
static void
add_internals_track(track_list *l, json_object *value, const char *side, bool outbound,
					double ts, bool dedup)
{
	json_object *end = js_get(value, side, NULL);
	json_object *id = js_get(end, "track", NULL);
	json_object *arr;

	if (id == NULL)
		return;
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_get(js_get(value, "kind", NULL)));
	json_object_array_add(arr, json_object_get(id));
	add_track(l, arr, outbound, ts, dedup ? 2 : 0);
	json_object_put(arr);
}

static void
histogram_add(histogram *h, double v)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->value[i] == v)
		{
			h->count[i]++;
			return;
		}
	if (h->n == h->cap)
	{
		size_t		cap = h->cap ? h->cap * 2 : 4;
		double	   *pv = realloc(h->value, cap * sizeof(double));
		long	   *pc;

		if (pv == NULL)
			return;
		h->value = pv;
		pc = realloc(h->count, cap * sizeof(long));
		if (pc == NULL)
			return;
		h->count = pc;
		h->cap = cap;
	}
	h->value[h->n] = v;
	h->count[h->n] = 1;
	h->n++;
}

/*
 * mostCommon(): the first key with the highest count in Object.keys()
 * order, i.e. integer sizes ascending, then the others as first seen;
 * parseInt() of it.
 */
static double
histogram_most_common(const histogram *h)
{
	long		best = -1;
	double		best_value = 0;
	bool		best_int = false;

	for (size_t i = 0; i < h->n; i++)
	{
		double		v = h->value[i];
		bool		is_int = v >= 0 && v == floor(v) && v < 4294967295.0;

		if (h->count[i] > best ||
			(h->count[i] == best && is_int && (!best_int || v < best_value)))
		{
			best = h->count[i];
			best_value = v;
			best_int = is_int;
		}
	}
	return trunc(best_value);
}

static void
histogram_minmax(const histogram *h, double *min, double *max)
{
	*min = INFINITY;
	*max = -INFINITY;
	for (size_t i = 0; i < h->n; i++)
	{
		double		v = trunc(h->value[i]);

		*min = fmin(*min, v);
		*max = fmax(*max, v);
	}
}

/* extractTracks()'s getStats step: bind rtp stats to tracks, in key order. */
static void
bind_stats(track_list *l, const rtcstats_event *ev)
{
	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *s = ev->stats[i].report;
		json_object *type = js_get(s, "type", NULL);
		bool		inbound = js_is_string(type, "inbound-rtp");
		const char *ident = NULL;
		json_object *v;

		if (!inbound && !js_is_string(type, "outbound-rtp"))
			continue;
		if (inbound)
		{
			v = js_get(s, "trackIdentifier", NULL);
			ident = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		}
		else
		{
			bool		found;
			json_object *msid = js_get(s, "mediaSourceId", &found);

			if (js_truthy(msid, found))
			{
				json_object *src = js_get(ev->value, json_key_text(msid), &found);

				v = js_get(src, "trackIdentifier", NULL);
				ident = v && json_object_is_type(v, json_type_string) ?
					json_object_get_string(v) : NULL;
			}
		}
		for (size_t j = 0; j < l->n; j++)
		{
			track	   *t = l->v[j];

			if (t->stats_id)
			{
				if (strcmp(t->stats_id, ev->stats[i].id) == 0)
					break;		/* already bound here */
				continue;
			}
			if (ident && t->id && strcmp(t->id, ident) == 0)
			{
				t->stats_id = strdup(ev->stats[i].id);
				break;
			}
		}
	}
}

static void
track_stats(track *t, const rtcstats_event *ev)
{
	bool		found;
	json_object *r = js_get(ev->value, t->stats_id, &found);
	json_object *v,
			   *w;
	bool		audio = js_is_string(t->kind.v, "audio") && t->kind.defined;
	bool		video = js_is_string(t->kind.v, "video") && t->kind.defined;

	if (!js_truthy(r, found))
		return;

	/* codecFeatures(): the first report whose codec is known */
	if (!t->codec_done)
	{
		json_object *codec_id = js_get(r, "codecId", &found);
		json_object *codec;

		if (js_truthy(codec_id, found))
		{
			codec = js_get(ev->value, json_key_text(codec_id), &found);
			if (js_truthy(codec, found))
			{
				t->codec_done = true;
				v = js_get(codec, "mimeType", &found);
				jsval_set_if(&t->codec_mime, found, v);
				v = js_get(codec, "sdpFmtpLine", &found);
				if (js_truthy(v, found))
					jsval_set(&t->codec_fmtp, v);
				else
				{
					json_object *empty = json_object_new_string("");

					jsval_set(&t->codec_fmtp, empty);
					json_object_put(empty);
				}
			}
		}
	}
	if (video && !t->outbound &&
		js_is_string(js_get(r, "decoderImplementation", NULL), "NullVideoDecoder"))
		t->null_decoder = true;

	/* resolutionFeatures() */
	if (!audio)
	{
		v = js_get(r, "frameWidth", &found);
		w = js_get(r, "frameHeight", NULL);
		if (js_truthy(v, found) && js_truthy(w, w != NULL) && js_is_number(v) && js_is_number(w))
		{
			histogram_add(&t->widths, json_object_get_double(v));
			histogram_add(&t->heights, json_object_get_double(w));
		}
	}

	/* audioJitterBufferFeatures() */
	if (!t->outbound && audio && js_has(r, "jitterBufferFlushes"))
	{
		double		flushes = js_number(js_get(r, "jitterBufferFlushes", NULL));

		t->flush_seen = true;
		if (t->have_last_flushes && flushes > t->last_flushes)
		{
			if (t->nflushes == 0)
				t->flush_periodic = true;
			else
			{
				double		interval = ev->timestamp - t->last_flush_ts;

				if (interval < 3000 || interval > 5000)
					t->flush_periodic = false;
			}
			t->nflushes++;
			t->last_flush_ts = ev->timestamp;
		}
		t->have_last_flushes = true;
		t->last_flushes = flushes;
	}

	/* lastStatsFeatures(): keep the report (and its remote) of the latest event */
	t->have_last = true;
	t->last_ts = ev->timestamp;
	if (t->last_report != r)
	{
		json_object_put(t->last_report);
		t->last_report = json_object_get(r);
	}
	json_object_put(t->last_remote);
	t->last_remote = NULL;
	if (t->outbound)
	{
		json_object *rid = js_get(r, "remoteId", &found);

		if (found)
			t->last_remote = json_object_get(js_get(ev->value, json_key_text(rid), NULL));
	}
}

void
tracks_event(track_list *l, const rtcstats_event *ev)
{
	const char *m = ev->method;

	if (strcmp(m, "addTrack") == 0)
		add_track(l, ev->value, true, ev->timestamp, 0);
	else if (strcmp(m, "ontrack") == 0)
		add_track(l, ev->value, false, ev->timestamp, 1);
	else if (strcmp(m, "addTransceiver") == 0)
	{
		json_object *first = json_object_is_type(ev->value, json_type_array) ?
			json_object_array_get_idx(ev->value, 0) : NULL;

		/* addTransceiver(kind) has no track id yet */
		if (first && !json_object_is_type(first, json_type_string))
			add_track(l, first, true, ev->timestamp, 0);
	}
	else if (strcmp(m, "replaceTrack") == 0)
	{
		json_object *nt = json_object_is_type(ev->value, json_type_array) ?
			json_object_array_get_idx(ev->value, 1) : NULL;

		if (js_truthy(nt, nt != NULL))
			add_track(l, nt, true, ev->timestamp, 2);
	}
	else if (strcmp(m, "transceiverAdded") == 0)
	{
		json_object *reason = js_get(ev->value, "reason", NULL);

		if (js_is_string(reason, "addTrack") || js_is_string(reason, "addTransceiver"))
			add_internals_track(l, ev->value, "sender", true, ev->timestamp, false);
		else if (js_is_string(reason, "setRemoteDescription"))
			add_internals_track(l, ev->value, "receiver", false, ev->timestamp, true);
	}
	else if (strcmp(m, "transceiverModified") == 0)
	{
		json_object *dir = js_get(ev->value, "currentDirection", NULL);

		if (dir && json_object_is_type(dir, json_type_string) &&
			strstr(json_object_get_string(dir), "recv") &&
			js_truthy(js_get(js_get(ev->value, "receiver", NULL), "track", NULL), true))
			add_internals_track(l, ev->value, "receiver", false, ev->timestamp, true);
	}
	else if (strcmp(m, "MediaStreamTrack.onunmute") == 0 && ev->value)
	{
		bool		created;
		void	  **slot;

		if (l->first_unmute.count >= MAX_REMEMBERED_ITEMS)
			return;
		slot = strmap_put(&l->first_unmute, json_key_text(ev->value), &created);

		if (slot && created && (*slot = malloc(sizeof(double))) != NULL)
			*(double *) *slot = ev->timestamp;
	}
	else if (strcmp(m, "getStats") == 0 && ev->value)
	{
		bind_stats(l, ev);
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i]->stats_id)
				track_stats(l->v[i], ev);
	}
}

/* pluckStat(report, [a, b]): the first own property of the two. */
static void
pluck(json_object *out, const char *key, json_object *r, const char *a, const char *b)
{
	bool		found;
	json_object *v = js_get(r, a, &found);

	if (!found && b)
		v = js_get(r, b, &found);
	if (found)
		json_object_object_add(out, key, json_object_get(v));
}

/* divideStat(): both own properties and a non-zero denominator. */
static void
divide(json_object *out, const char *key, json_object *r, const char *num, const char *den)
{
	bool		fn,
				fd;
	json_object *n = js_get(r, num, &fn);
	json_object *d = js_get(r, den, &fd);

	if (!fn || !fd)
		return;
	if (js_is_number(d) && json_object_get_double(d) == 0)
		return;
	put_number(out, key, js_number(n) / js_number(d));
}

static void
last_stats_finish(track *t, json_object *out)
{
	json_object *r = t->last_report;
	bool		found;

	put_number(out, "duration", t->have_last ? floor(t->last_ts - t->start) : 0);
	if (!t->have_last)
		return;
	pluck(out, "frameCount", r, "framesEncoded", "framesDecoded");
	pluck(out, "keyFrameCount", r, "keyFramesEncoded", "keyFramesDecoded");
	pluck(out, "qpSum", r, "qpSum", NULL);
	pluck(out, "nackCount", r, "nackCount", NULL);
	pluck(out, "pliCount", r, "pliCount", NULL);
	pluck(out, "firCount", r, "firCount", NULL);
	if (t->outbound)
	{
		json_object *qld = js_get(r, "qualityLimitationDurations", &found);

		if (js_truthy(qld, found))
		{
			double		total = 0;

			if (json_object_is_type(qld, json_type_object))
			{
				json_object_object_foreach(qld, k, v)
				{
					(void) k;
					total += js_number(v);
				}
			}
			put_number(out, "bandwidthQualityLimitationPercentage",
					   js_number(js_get(qld, "bandwidth", NULL)) / total);
			put_number(out, "cpuQualityLimitationPercentage",
					   js_number(js_get(qld, "cpu", NULL)) / total);
			put_number(out, "otherQualityLimitationPercentage",
					   js_number(js_get(qld, "other", NULL)) / total);
		}
		pluck(out, "qualityLimitationResolutionChanges", r, "qualityLimitationResolutionChanges", NULL);
		divide(out, "averageEncodeTime", r, "totalEncodeTime", "framesEncoded");
		pluck(out, "rid", r, "rid", NULL);
		pluck(out, "encodingIndex", r, "encodingIndex", NULL);
		if (js_truthy(js_get(r, "psnrMeasurements", &found), found))
		{
			json_object *sum = js_get(r, "psnrSum", NULL);

			pluck(out, "psnrMeasurements", r, "psnrMeasurements", NULL);
			pluck(out, "psnrSumY", sum, "y", NULL);
			pluck(out, "psnrSumU", sum, "u", NULL);
			pluck(out, "psnrSumV", sum, "v", NULL);
		}
		pluck(out, "encoderImplementation", r, "encoderImplementation", NULL);
		pluck(out, "powerEfficientEncoder", r, "powerEfficientEncoder", NULL);
		pluck(out, "packetsSentWithEct1", r, "packetsSentWithEct1", NULL);
		if (js_truthy(t->last_remote, t->last_remote != NULL))
		{
			pluck(out, "packetsReceivedWithEct1", t->last_remote, "packetsReceivedWithEct1", NULL);
			pluck(out, "packetsReceivedWithCe", t->last_remote, "packetsReceivedWithCe", NULL);
			pluck(out, "packetsWithBleachedEct1Marking", t->last_remote,
				  "packetsWithBleachedEct1Marking", NULL);
		}
	}
	else
	{
		static const char *const plain[] = {
			"freezeCount", "totalFreezesDuration", "framesDropped", "decoderImplementation",
			"powerEfficientDecoder", "jitterBufferDelay", "jitterBufferMinimumDelay",
			"jitterBufferTargetDelay", "jitterBufferEmittedCount", "jitterBufferFlushes",
			"totalProcessingDelay", "framesAssembledFromMultiplePackets", "totalAssemblyTime",
			"concealedSamples", "totalSamplesReceived", NULL
		};

		for (const char *const *k = plain; *k; k++)
			pluck(out, *k, r, *k, NULL);
		divide(out, "concealmentPercentage", r, "concealedSamples", "totalSamplesReceived");
		pluck(out, "insertedSamplesForDeceleration", r, "insertedSamplesForDeceleration", NULL);
		pluck(out, "removedSamplesForAcceleration", r, "removedSamplesForAcceleration", NULL);
		divide(out, "decelerationPercentage", r, "insertedSamplesForDeceleration", "totalSamplesReceived");
		divide(out, "accelerationPercentage", r, "removedSamplesForAcceleration", "totalSamplesReceived");
		divide(out, "averageDecodeTime", r, "totalDecodeTime", "framesDecoded");
		divide(out, "averageInterFrameDelay", r, "totalInterFrameDelay", "framesDecoded");
		divide(out, "averageJitterBufferDelay", r, "jitterBufferDelay", "jitterBufferEmittedCount");
		divide(out, "averageProcessingDelay", r, "totalProcessingDelay", "jitterBufferEmittedCount");
		divide(out, "averageAssemblyTime", r, "totalAssemblyTime", "framesAssembledFromMultiplePackets");
	}
}

json_object *
tracks_finish(track_list *l)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
	{
		track	   *t = l->v[i];
		json_object *out = json_object_new_object();
		bool		audio = t->kind.defined && js_is_string(t->kind.v, "audio");
		bool		video = t->kind.defined && js_is_string(t->kind.v, "video");

		if (t->codec_done)
		{
			jsval_put(out, "codecMimeType", &t->codec_mime);
			jsval_put(out, "codecSdpFmtpLine", &t->codec_fmtp);
		}
		json_object_object_add(out, "direction",
							   json_object_new_string(t->outbound ? "outbound" : "inbound"));
		if (video && !t->outbound)
			put_bool(out, "hasNullVideoDecoder", t->null_decoder);
		jsval_put(out, "kind", &t->kind);
		put_number(out, "startTime", t->start);
		if (!t->outbound && t->id)
		{
			double	   *unmute = strmap_get(&l->first_unmute, t->id);

			if (unmute && floor(*unmute - t->start) >= 0)
				put_number(out, "timeToFirstFrame", floor(*unmute - t->start));
		}
		if (t->id)
			json_object_object_add(out, "trackIdentifier", json_object_new_string(t->id));
		if (!audio && t->widths.n > 0 && t->heights.n > 0)
		{
			double		min,
						max;

			put_number(out, "commonHeight", histogram_most_common(&t->heights));
			put_number(out, "commonWidth", histogram_most_common(&t->widths));
			histogram_minmax(&t->heights, &min, &max);
			put_number(out, "maxHeight", max);
			put_number(out, "minHeight", min);
			histogram_minmax(&t->widths, &min, &max);
			put_number(out, "maxWidth", max);
			put_number(out, "minWidth", min);
		}
		if (!t->outbound && audio && t->flush_seen && t->nflushes >= 3)
			put_bool(out, "hasPeriodicJitterBufferFlushes", t->flush_periodic);
		last_stats_finish(t, out);
		json_object_array_add(arr, out);
	}
	return arr;
}
