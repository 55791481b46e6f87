/*
 * internals.c: webrtc-internals "Create dump" documents to events.
 *
 * The document (one JSON object) holds the getUserMedia requests, the user
 * agent and, per peer connection, its updateLog (API calls and callbacks,
 * values JSON-encoded in strings) and its stats as one series per
 * "<statsId>-<property>", each a JSON string of the last values beside a
 * "<statsId>-timestamp" series.  Upstream's internalsToRtcstats()
 * (rtcstats-shared/dump.js) turns that into the traces readRTCStatsDump()
 * builds; we do the same and hand the events to the reader's dispatcher, so
 * the feature extraction is the one of file format 3:
 *
 * - client trace: a "create" event {cpuPerformance, deviceMemory,
 *   hardwareConcurrency, userAgent, userAgentData} at the dump's time, then
 *   one event per getUserMedia entry (request, OnSuccess with the tracks,
 *   OnFailure with the error), sorted by time;
 * - per peer connection, in JavaScript key order: "create" with the
 *   rtcConfiguration at the first update's time, the updateLog entries with
 *   their values JSON-parsed when they parse, and one whole getStats report
 *   per distinct stats timestamp, sorted by time (stable).
 *
 * Deliberate differences, all where upstream would put an event at time 0
 * or at an undefined time: a dump without its own top-level "timestamp"
 * (Chrome before it wrote one) is taken to be made at its latest timestamp,
 * where upstream uses 0 and so reports a start time of 0 and an absolute
 * duration; an updateLog entry without a numeric timestamp keeps the
 * previous entry's time; a stats value without a numeric timestamp (before
 * the first one, or a null in the series) is left out.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"

#define PFX "webrtc-internals dump: "

/*
 * Stats timestamps per document (the sum of every "<id>-timestamp" series'
 * length).  Chrome keeps the last 1000 of each stats id, so 2,000,000 is
 * 2,000 stats ids of full history; each costs about 80 bytes while the
 * document is converted.  A document with more is refused.
 */
#define MAX_STATS_TIMESTAMPS 2000000

/* One trace event before sorting. */
typedef struct ievent
{
	double		ts;
	size_t		seq;			/* push order: the sort is stable like upstream's */
	bool		at_dump_time;	/* no time of its own: gets the dump's time */
	char	   *method;
	json_object *value;			/* owned reference; NULL for null/undefined */
} ievent;

/*
 * The values of a property series as read: the JSON text (borrowed from the
 * document) and where each value that can be reported starts in it, i.e.
 * the last ones, as many as there are timestamps.  Each value is parsed
 * when its report is built, so memory holds 4 bytes per reported value, not
 * a json-c object per value of the document (a 255 MB document of small
 * numbers took the reader to gigabytes).
 */
typedef struct svalues
{
	const char *text;
	size_t		len;
	size_t		nvalues;		/* values.length */
	size_t		n;				/* kept: the last min(nvalues, timestamps) */
	uint32_t	start[];
} svalues;

/* A property series of one stats id: timestamps[j] goes with values->start[j - off]. */
typedef struct sprop
{
	const char *name;
	const svalues *values;		/* owned by the series object */
	size_t		off;			/* timestamps.length - values.length, at least 0 */
	size_t		order;			/* position in JavaScript key order */
} sprop;

typedef struct sseries
{
	const char *id;
	json_object *type;			/* statsType (borrowed) */
	bool		has_type;
	json_object *t;				/* the timestamps (borrowed) */
	sprop	   *props;			/* sorted by off: those with a value at j are a prefix */
	size_t		nprops;
	bool		reordered;		/* sorting by off changed the key order */
} sseries;

/* One timestamp of one stats id that has a value; sorted by (ts, series, j). */
typedef struct ssample
{
	double		ts;
	uint32_t	s;
	uint32_t	j;
} ssample;

/*
 * The stats of a peer connection, kept as parsed series: the per-timestamp
 * reports are built one at a time while emitting, so memory holds the
 * values once, not a report object per timestamp as well.
 */
typedef struct istats
{
	json_object *series;		/* owns everything the rest borrows */
	sseries    *s;
	size_t		ns;
	ssample    *samples;
	size_t		nsamples;
} istats;

typedef struct itrace
{
	const char *pc;				/* borrowed from the document; NULL: the client */
	ievent	   *ev;
	size_t		n;
	size_t		cap;
	istats		stats;
} itrace;

typedef struct converter
{
	rtcstats_reader *r;
	json_tokener *tok;			/* for the JSON held in strings */
	itrace	   *traces;			/* [0] is the client */
	size_t		ntraces;
	double		max_ts;			/* latest own timestamp of any event */
	bool		have_ts;
	double		min_ts;
	size_t		ntimestamps;	/* stats timestamps read (MAX_STATS_TIMESTAMPS) */
	rtcstats_error *err;
} converter;

/* A key of an object with its value, in the order JavaScript enumerates them. */
typedef struct jkey
{
	const char *key;
	json_object *val;
	unsigned long index;
	bool		is_index;
	size_t		pos;
} jkey;

static rtcstats_status
nomem(converter *cv)
{
	return rtcstats_fail(cv->err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
}

static int
jkey_cmp(const void *a, const void *b)
{
	const jkey *x = a;
	const jkey *y = b;

	if (x->is_index != y->is_index)
		return x->is_index ? -1 : 1;
	if (x->is_index)
		return x->index < y->index ? -1 : x->index > y->index;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The keys of obj as Object.keys() / for-in list them: array-index keys
 * ascending, then the others in insertion order (json-c keeps it, and a
 * repeated key keeps its first place, as in JSON.parse).  NULL only when out
 * of memory; *n may be 0.
 */
static jkey *
js_keys(json_object *obj, size_t *n)
{
	size_t		len = (size_t) json_object_object_length(obj);
	jkey	   *keys = malloc((len ? len : 1) * sizeof(*keys));
	size_t		i = 0;
	bool		any_index = false;

	*n = 0;
	if (keys == NULL)
		return NULL;
	json_object_object_foreach(obj, key, val)
	{
		keys[i].key = key;
		keys[i].val = val;
		keys[i].pos = i;
		keys[i].is_index = rtcstats_js_array_index(key, &keys[i].index);
		any_index |= keys[i].is_index;
		i++;
	}
	if (any_index)
		qsort(keys, i, sizeof(*keys), jkey_cmp);
	*n = i;
	return keys;
}

/* A JSON text held in a string, as JSON.parse() takes it; NULL when it does not parse. */
static json_object *
parse_text(converter *cv, const char *s, size_t len, bool *ok)
{
	json_object *obj;
	size_t		end;
	char	   *widened = NULL;
	size_t		wlen;

	*ok = false;
	/* integers beyond 2^53 as JSON.parse() reads them (reader.c) */
	if (rtcstats_json_widen_integers(s, len, &widened, &wlen) > 0)
	{
		s = widened;
		len = wlen;
	}
	json_tokener_reset(cv->tok);
	/* the terminating NUL ends a number at the end of the text */
	obj = json_tokener_parse_ex(cv->tok, s, (int) len + 1);
	if (json_tokener_get_error(cv->tok) != json_tokener_success)
	{
		json_object_put(obj);
		free(widened);
		return NULL;
	}
	/* only JSON white space may follow (an embedded NUL stops the parse early) */
	for (end = json_tokener_get_parse_end(cv->tok); end < len; end++)
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != '\r')
		{
			json_object_put(obj);
			free(widened);
			return NULL;
		}
	if (widened)
		rtcstats_json_widened(obj, rtcstats_reader_max_depth(cv->r) + 1);
	free(widened);
	*ok = true;
	return obj;
}

static bool
is_number(json_object *v)
{
	return v != NULL && (json_object_is_type(v, json_type_double) ||
						 json_object_is_type(v, json_type_int));
}

/* A usable timestamp: a finite number (and, where upstream tests with ||, not 0). */
static bool
get_time(json_object *v, bool nonzero, double *ts)
{
	double		d;

	if (!is_number(v))
		return false;
	d = json_object_get_double(v);
	if (!isfinite(d) || (nonzero && d == 0))
		return false;
	*ts = d;
	return true;
}

/* JavaScript's String(v), with "undefined" for a missing member. */
static const char *
js_text(json_object *v, bool found, char *buf, size_t size)
{
	return found ? rtcstats_js_string(v, buf, size) : "undefined";
}

/* Append an event; value's reference passes to the trace (also on failure). */
static rtcstats_status
push(converter *cv, itrace *tr, const char *method, double ts, bool at_dump_time,
	 json_object *value)
{
	ievent	   *e;

	if (tr->n == tr->cap)
	{
		size_t		cap = tr->cap ? tr->cap * 2 : 16;
		ievent	   *p = realloc(tr->ev, cap * sizeof(*p));

		if (p == NULL)
		{
			json_object_put(value);
			return nomem(cv);
		}
		tr->ev = p;
		tr->cap = cap;
	}
	e = &tr->ev[tr->n];
	e->method = strdup(method);
	if (e->method == NULL)
	{
		json_object_put(value);
		return nomem(cv);
	}
	e->ts = ts;
	e->seq = tr->n;
	e->at_dump_time = at_dump_time;
	e->value = value;
	tr->n++;
	if (!at_dump_time)
	{
		if (!cv->have_ts || ts > cv->max_ts)
			cv->max_ts = ts;
		if (!cv->have_ts || ts < cv->min_ts)
			cv->min_ts = ts;
		cv->have_ts = true;
	}
	return RTCSTATS_OK;
}

static void
trace_clear(itrace *tr)
{
	for (size_t i = 0; i < tr->n; i++)
	{
		free(tr->ev[i].method);
		json_object_put(tr->ev[i].value);
	}
	free(tr->ev);
	tr->ev = NULL;
	tr->n = tr->cap = 0;
	for (size_t i = 0; i < tr->stats.ns; i++)
		free(tr->stats.s[i].props);
	free(tr->stats.s);
	free(tr->stats.samples);
	json_object_put(tr->stats.series);
	memset(&tr->stats, 0, sizeof(tr->stats));
}

static json_object *
get(json_object *obj, const char *key, bool *found)
{
	json_object *v = NULL;

	*found = obj != NULL && json_object_is_type(obj, json_type_object) &&
		json_object_object_get_ex(obj, key, &v);
	return v;
}

/* ---- the client trace ---- */

/*
 * One track of a getUserMedia success: "<kind>_track_info" is the JSON text
 * of {id, label} (or "null" for a kind that was not requested).
 */
static rtcstats_status
gum_track(converter *cv, json_object *gum, size_t i, const char *kind, json_object *tracks)
{
	char		key[32];
	bool		found,
				ok;
	json_object *info,
			   *t,
			   *track,
			   *stream;

	snprintf(key, sizeof(key), "%s_track_info", kind);
	info = get(gum, key, &found);
	/* if (gum.<kind>_track_info): only a truthy value is parsed */
	if (info == NULL ||
		(json_object_is_type(info, json_type_string) && json_object_get_string_len(info) == 0) ||
		(json_object_is_type(info, json_type_boolean) && !json_object_get_boolean(info)) ||
		(is_number(info) && json_object_get_double(info) == 0))
		return RTCSTATS_OK;
	if (json_object_is_type(info, json_type_string))
	{
		t = parse_text(cv, json_object_get_string(info),
					   (size_t) json_object_get_string_len(info), &ok);
		if (!ok)
			return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
								 PFX "getUserMedia[%zu].%s is not valid JSON", i, key);
	}
	else if (is_number(info) || json_object_is_type(info, json_type_boolean))
		t = json_object_get(info);	/* JSON.parse(String(x)) gives x back */
	else
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "getUserMedia[%zu].%s is not a JSON string", i, key);
	/* if (t): null, false, 0 and "" add no track */
	if (t == NULL ||
		(json_object_is_type(t, json_type_string) && json_object_get_string_len(t) == 0) ||
		(json_object_is_type(t, json_type_boolean) && !json_object_get_boolean(t)) ||
		(is_number(t) && json_object_get_double(t) == 0))
	{
		json_object_put(t);
		return RTCSTATS_OK;
	}
	/* [kind, t.id, t.label, gum.stream_id]; undefined ones are null */
	track = json_object_new_array_ext(4);
	if (track == NULL)
	{
		json_object_put(t);
		return nomem(cv);
	}
	json_object_array_add(track, json_object_new_string(kind));
	json_object_array_add(track, json_object_get(get(t, "id", &found)));
	json_object_array_add(track, json_object_get(get(t, "label", &found)));
	stream = get(gum, "stream_id", &found);
	json_object_array_add(track, json_object_get(stream));
	json_object_put(t);
	if (json_object_array_add(tracks, track) != 0)
	{
		json_object_put(track);
		return nomem(cv);
	}
	return RTCSTATS_OK;
}

/* gum.audio === '' ? true : gum.audio */
static json_object *
gum_constraint(json_object *v)
{
	if (v != NULL && json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0)
		return json_object_new_boolean(1);
	return json_object_get(v);
}

static rtcstats_status
client_trace(converter *cv, json_object *doc, itrace *tr)
{
	static const char *const create_keys[][2] = {
		{"cpuPerformance", "cpuPerformance"},
		{"deviceMemory", "deviceMemory"},
		{"hardwareConcurrency", "hardwareConcurrency"},
		{"UserAgent", "userAgent"},
		{"UserAgentData", "userAgentData"},
	};
	json_object *create = json_object_new_object();
	json_object *gums;
	bool		found;
	rtcstats_status rc;

	if (create == NULL)
		return nomem(cv);
	/* a key the dump lacks stays absent (undefined), null stays null */
	for (size_t i = 0; i < sizeof(create_keys) / sizeof(create_keys[0]); i++)
	{
		json_object *v = get(doc, create_keys[i][0], &found);

		if (found)
			json_object_object_add(create, create_keys[i][1], json_object_get(v));
	}
	if ((rc = push(cv, tr, "create", 0, true, create)) != RTCSTATS_OK)
		return rc;

	gums = get(doc, "getUserMedia", &found);
	if (gums == NULL)
		return RTCSTATS_OK;
	if (!json_object_is_type(gums, json_type_array))
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0, PFX "getUserMedia is not an array");
	for (size_t i = 0; i < json_object_array_length(gums); i++)
	{
		json_object *gum = json_object_array_get_idx(gums, i);
		json_object *v,
				   *value;
		char		method[256],
					buf[64];
		bool		has_ts,
					has_audio_info,
					has_video_info,
					has_audio,
					has_video;
		double		ts = 0;

		if (gum == NULL || !json_object_is_type(gum, json_type_object))
			return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
								 PFX "getUserMedia[%zu] is not an object", i);
		v = get(gum, "request_type", &found);
		snprintf(method, sizeof(method), "navigator.mediaDevices.%s",
				 js_text(v, found, buf, sizeof(buf)));
		has_ts = get_time(get(gum, "timestamp", &found), false, &ts);

		v = get(gum, "error", &found);
		get(gum, "audio_track_info", &has_audio_info);
		get(gum, "video_track_info", &has_video_info);
		get(gum, "audio", &has_audio);
		get(gum, "video", &has_video);
		if (found)
		{
			strncat(method, "OnFailure", sizeof(method) - strlen(method) - 1);
			value = json_object_get(v);
		}
		else if (has_audio_info || has_video_info)
		{
			strncat(method, "OnSuccess", sizeof(method) - strlen(method) - 1);
			if ((value = json_object_new_array()) == NULL)
				return nomem(cv);
			if ((rc = gum_track(cv, gum, i, "audio", value)) != RTCSTATS_OK ||
				(rc = gum_track(cv, gum, i, "video", value)) != RTCSTATS_OK)
			{
				json_object_put(value);
				return rc;
			}
		}
		else if (has_audio || has_video)
		{
			if ((value = json_object_new_object()) == NULL)
				return nomem(cv);
			if (has_audio)
				json_object_object_add(value, "audio", gum_constraint(get(gum, "audio", &found)));
			if (has_video)
				json_object_object_add(value, "video", gum_constraint(get(gum, "video", &found)));
		}
		else
			continue;			/* nothing upstream makes an event of */
		if ((rc = push(cv, tr, method, ts, !has_ts, value)) != RTCSTATS_OK)
			return rc;
	}
	return RTCSTATS_OK;
}

/* ---- peer connections ---- */

/*
 * Split a stats series name as createInternalsTimeSeries() does:
 * "<id>-[<computed>]" at the last '[' (the id loses every '[' and its last
 * character), otherwise "<id>-<property>" at the last '-'.  Returns false
 * when out of memory.
 */
static bool
split_series_name(const char *name, char **id, char **prop)
{
	const char *bracket = strrchr(name, '[');

	if (bracket)
	{
		size_t		n = 0;
		char	   *p = malloc((size_t) (bracket - name) + 1);

		if (p == NULL)
			return false;
		for (const char *s = name; s < bracket; s++)
			if (*s != '[')
				p[n++] = *s;
		/* substr(0, length - 1): one UTF-16 unit, here one whole code point */
		while (n > 0 && ((unsigned char) p[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > 0)
			n--;
		p[n] = '\0';
		*id = p;
		*prop = strdup(bracket);
	}
	else
	{
		const char *dash = strrchr(name, '-');

		*id = dash ? strndup(name, (size_t) (dash - name)) : strdup("");
		*prop = strdup(dash ? dash + 1 : name);
	}
	if (*id == NULL || *prop == NULL)
	{
		free(*id);
		free(*prop);
		*id = *prop = NULL;
		return false;
	}
	return true;
}

static size_t
skip_json_space(const char *s, size_t len, size_t p)
{
	while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
		p++;
	return p;
}

/*
 * Where the array element starting at p ends: the ',' or ']' after it at
 * its own level (strings and nesting skipped, not checked: parse_element
 * checks the span).
 */
static size_t
element_end(const char *s, size_t len, size_t p)
{
	size_t		depth = 0;

	for (; p < len; p++)
	{
		char		c = s[p];

		if (c == '"')
		{
			for (p++; p < len && s[p] != '"'; p++)
				if (s[p] == '\\')
					p++;
		}
		else if (c == '[' || c == '{')
			depth++;
		else if (c == ']' || c == '}')
		{
			if (depth == 0)
				return p;
			depth--;
		}
		else if (c == ',' && depth == 0)
			return p;
	}
	return len;
}

/* Whether s[0, n) is one JSON number (RFC 8259 section 6), the common stats value. */
static bool
is_json_number(const char *s, size_t n)
{
	size_t		p = 0,
				d;

#define DIGITS() do { d = p; while (p < n && s[p] >= '0' && s[p] <= '9') p++; } while (0)
	if (p < n && s[p] == '-')
		p++;
	if (p < n && s[p] == '0')
		p++;
	else
	{
		DIGITS();
		if (p == d)
			return false;
	}
	if (p < n && s[p] == '.')
	{
		p++;
		DIGITS();
		if (p == d)
			return false;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E'))
	{
		p++;
		if (p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		DIGITS();
		if (p == d)
			return false;
	}
#undef DIGITS
	return p == n;
}

/*
 * The JSON value that is exactly s[0, n) (white space around it allowed),
 * as JSON.parse() reads it: *ok false when it is not one.
 */
static json_object *
parse_element(converter *cv, const char *s, size_t n, bool *ok)
{
	json_object *e;
	enum json_tokener_error jerr;

	json_tokener_reset(cv->tok);
	e = json_tokener_parse_ex(cv->tok, s, (int) n);
	jerr = json_tokener_get_error(cv->tok);
	if (jerr == json_tokener_continue)
	{
		/* a number at the end of the span needs a character to end it */
		e = json_tokener_parse_ex(cv->tok, " ", 1);
		jerr = json_tokener_get_error(cv->tok);
		*ok = jerr == json_tokener_success;
	}
	else
		*ok = jerr == json_tokener_success &&
			skip_json_space(s, n, json_tokener_get_parse_end(cv->tok)) == n;
	if (!*ok)
	{
		json_object_put(e);
		return NULL;
	}
	return e;
}

/*
 * JSON.parse(text) for a text that must be an array, without building it:
 * each element is parsed (so the text is checked as JSON.parse checks it)
 * and dropped, and the starts of the last keep elements are kept.  NULL
 * when the text is not a JSON array or memory ran out (*oom set).
 */
static svalues *
scan_values(converter *cv, const char *text, size_t len, size_t keep, bool *oom)
{
	svalues    *v;
	size_t		p = skip_json_space(text, len, 0),
				cap = keep < 64 ? keep : 64;

	*oom = false;
	if (len >= UINT32_MAX || p >= len || text[p] != '[')
		return NULL;
	if ((v = malloc(sizeof(*v) + cap * sizeof(uint32_t))) == NULL)
		goto nomem;
	v->text = text;
	v->len = len;
	v->nvalues = v->n = 0;
	p = skip_json_space(text, len, p + 1);
	if (p < len && text[p] == ']')
		p++;
	else
		for (;;)
		{
			size_t		end = element_end(text, len, p);
			bool		ok;

			size_t		last = end;

			while (last > p && (text[last - 1] == ' ' || text[last - 1] == '\t' ||
								text[last - 1] == '\n' || text[last - 1] == '\r'))
				last--;
			/* numbers checked here, anything else by json-c */
			ok = is_json_number(text + p, last - p);
			if (!ok)
				json_object_put(parse_element(cv, text + p, end - p, &ok));
			if (!ok || end >= len)
				goto bad;
			if (keep > 0)
			{
				if (v->n < keep && v->n == cap)
				{
					svalues    *q;

					cap = cap * 2 < keep ? cap * 2 : keep;
					if ((q = realloc(v, sizeof(*v) + cap * sizeof(uint32_t))) == NULL)
						goto nomem;
					v = q;
				}
				/* a ring of the last keep starts, put in order below */
				v->start[v->nvalues % keep] = (uint32_t) p;
				if (v->n < keep)
					v->n++;
			}
			v->nvalues++;
			p = end + 1;
			if (text[end] == ']')
				break;
		}
	if (skip_json_space(text, len, p) != len)
		goto bad;
	if (keep > 0 && v->nvalues > keep && v->nvalues % keep != 0)
	{
		/* rotate the ring: the oldest kept start first */
		size_t		r = v->nvalues % keep;
		uint32_t   *tmp = malloc(r * sizeof(*tmp));

		if (tmp == NULL)
			goto nomem;
		memcpy(tmp, v->start, r * sizeof(*tmp));
		memmove(v->start, v->start + r, (keep - r) * sizeof(*tmp));
		memcpy(v->start + keep - r, tmp, r * sizeof(*tmp));
		free(tmp);
	}
	return v;
bad:
	free(v);
	return NULL;
nomem:
	free(v);
	*oom = true;
	return NULL;
}

/* Value k of a series (kept index), parsed: a new reference (NULL for JSON null). */
static json_object *
series_value(converter *cv, const svalues *v, size_t k)
{
	size_t		p = v->start[k],
				end = element_end(v->text, v->len, p),
				wlen;
	bool		ok;
	json_object *e = parse_element(cv, v->text + p, end - p, &ok);
	char	   *widened;

	/* an integer beyond 2^53: JSON.parse()'s double (reader.c) */
	if (e != NULL && json_object_is_type(e, json_type_int) &&
		rtcstats_json_widen_integers(v->text + p, end - p, &widened, &wlen) > 0)
	{
		json_object_put(e);
		e = parse_element(cv, widened, wlen, &ok);
		rtcstats_json_widened(e, 2);
		free(widened);
	}
	return e;
}

static void
svalues_free(json_object *holder, void *userdata)
{
	(void) holder;
	free(userdata);
}

/* entry.values as text, which must be a string. */
static rtcstats_status
series_text(converter *cv, const char *pc, const char *name, json_object *entry,
			json_object **text)
{
	bool		found;

	*text = get(entry, "values", &found);
	if (*text == NULL || !json_object_is_type(*text, json_type_string))
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "PeerConnections[\"%.64s\"].stats[\"%.128s\"].values is not a string",
							 pc, name);
	return RTCSTATS_OK;
}

/*
 * JSON.parse(entry.values), which must give an array, kept as an svalues
 * (the last keep starts) held by a json-c object *out owns.
 */
static rtcstats_status
series_svalues(converter *cv, const char *pc, const char *name, json_object *entry,
			   size_t keep, json_object **out)
{
	json_object *text;
	svalues    *v;
	bool		oom;
	rtcstats_status rc;

	*out = NULL;
	if ((rc = series_text(cv, pc, name, entry, &text)) != RTCSTATS_OK)
		return rc;
	v = scan_values(cv, json_object_get_string(text), (size_t) json_object_get_string_len(text),
					keep, &oom);
	if (v == NULL && oom)
		return nomem(cv);
	if (v == NULL)
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "PeerConnections[\"%.64s\"].stats[\"%.128s\"].values is not a JSON array",
							 pc, name);
	if ((*out = json_object_new_boolean(0)) == NULL)
	{
		free(v);
		return nomem(cv);
	}
	json_object_set_userdata(*out, v, svalues_free);
	return RTCSTATS_OK;
}

/* JSON.parse(entry.values), which must give an array (the timestamps). */
static rtcstats_status
series_values(converter *cv, const char *pc, const char *name, json_object *entry,
			  json_object **out)
{
	bool		ok;
	json_object *text;
	rtcstats_status rc;

	*out = NULL;
	if ((rc = series_text(cv, pc, name, entry, &text)) != RTCSTATS_OK)
		return rc;
	/* bounded before it is built: a comma per timestamp */
	{
		const char *t = json_object_get_string(text);
		size_t		commas = 1;

		for (const char *c = t; (c = strchr(c, ',')) != NULL; c++)
			commas++;
		if (commas > MAX_STATS_TIMESTAMPS - cv->ntimestamps)
			return rtcstats_fail(cv->err, RTCSTATS_ERR_TOO_LARGE, 0,
								 PFX "more than %d stats timestamps", MAX_STATS_TIMESTAMPS);
		cv->ntimestamps += commas;
	}
	*out = parse_text(cv, json_object_get_string(text), (size_t) json_object_get_string_len(text),
					  &ok);
	if (!ok || !json_object_is_type(*out, json_type_array))
	{
		json_object_put(*out);
		*out = NULL;
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "PeerConnections[\"%.64s\"].stats[\"%.128s\"].values is not a JSON array",
							 pc, name);
	}
	return RTCSTATS_OK;
}

/* JavaScript truthiness of a value that is present. */
static bool
truthy(json_object *v)
{
	if (v == NULL)
		return false;
	switch (json_object_get_type(v))
	{
		case json_type_boolean:
			return json_object_get_boolean(v);
		case json_type_int:
		case json_type_double:
			{
				double		d = json_object_get_double(v);

				return d != 0 && !isnan(d);
			}
		case json_type_string:
			return json_object_get_string_len(v) > 0;
		default:
			return true;
	}
}

static int
sprop_cmp(const void *a, const void *b)
{
	const sprop *x = a;
	const sprop *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
ssample_cmp(const void *a, const void *b)
{
	const ssample *x = a;
	const ssample *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->j < y->j ? -1 : x->j > y->j;
}

/*
 * The stats series of a peer connection as createInternalsTimeSeries()
 * reads them: per stats id its type and, per property, the values matched to
 * the last timestamps.  Upstream then regroups them into one report per
 * distinct timestamp, {statsId: {id, timestamp, type, ...properties}}, with
 * the ids and properties in series order; build_report() does that when the
 * report is emitted, from the samples listed here.
 *
 * series: statsId -> {"type": statsType, "t": timestamps, "p": {property: values}}
 */
static rtcstats_status
read_stats(converter *cv, const char *pc, json_object *stats, istats *st)
{
	json_object *series = NULL;
	jkey	   *names = NULL,
			   *ids = NULL;
	size_t		nnames,
				nids,
				cap = 0;
	rtcstats_status rc = RTCSTATS_OK;
	char	   *id = NULL,
			   *prop = NULL;

	if ((names = js_keys(stats, &nnames)) == NULL || (series = json_object_new_object()) == NULL)
	{
		rc = nomem(cv);
		goto done;
	}
	for (size_t i = 0; i < nnames; i++)
	{
		const char *name = names[i].key;
		json_object *entry = names[i].val;
		json_object *s,
				   *tsentry,
				   *values;
		char	   *tsname;
		bool		found;

		free(id);
		free(prop);
		if (!split_series_name(name, &id, &prop))
		{
			rc = nomem(cv);
			goto done;
		}
		if (strcmp(prop, "type") == 0)
			continue;
		if (entry == NULL || !json_object_is_type(entry, json_type_object))
		{
			rc = rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							   PFX "PeerConnections[\"%.64s\"].stats[\"%.128s\"] is not an object",
							   pc, name);
			goto done;
		}
		if (!json_object_object_get_ex(series, id, &s))
		{
			json_object *type = get(entry, "statsType", &found);

			if ((s = json_object_new_object()) == NULL ||
				json_object_object_add(series, id, s) != 0)
			{
				json_object_put(s);
				rc = nomem(cv);
				goto done;
			}
			if (found)
				json_object_object_add(s, "type", json_object_get(type));
			if (json_object_object_add(s, "p", json_object_new_object()) != 0 ||
				json_object_object_get(s, "p") == NULL)
			{
				rc = nomem(cv);
				goto done;
			}
		}
		/* without per-report timestamps (before M117) upstream gives no stats at all */
		if (asprintf(&tsname, "%s-timestamp", id) < 0)
		{
			rc = nomem(cv);
			goto done;
		}
		tsentry = get(stats, tsname, &found);
		if (!truthy(tsentry))
		{
			free(tsname);
			goto done;
		}
		if (!json_object_object_get_ex(s, "t", NULL))
		{
			json_object *t;

			if (!json_object_is_type(tsentry, json_type_object))
			{
				rc = rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
								   PFX "PeerConnections[\"%.64s\"].stats[\"%.128s\"] is not an object",
								   pc, tsname);
				free(tsname);
				goto done;
			}
			if ((rc = series_values(cv, pc, tsname, tsentry, &t)) != RTCSTATS_OK)
			{
				free(tsname);
				goto done;
			}
			if (json_object_object_add(s, "t", t) != 0)
			{
				json_object_put(t);
				free(tsname);
				rc = nomem(cv);
				goto done;
			}
		}
		free(tsname);
		if (strcmp(prop, "timestamp") == 0)
			continue;			/* the same values, already read */
		if ((rc = series_svalues(cv, pc, name, entry,
								 strcmp(prop, "id") == 0 ? 0 :
								 json_object_array_length(json_object_object_get(s, "t")),
								 &values)) != RTCSTATS_OK)
			goto done;
		if (strcmp(prop, "id") == 0)
		{
			json_object_put(values);	/* read (it must parse), never reported */
			continue;
		}
		if (json_object_object_add(json_object_object_get(s, "p"), prop, values) != 0)
		{
			json_object_put(values);
			rc = nomem(cv);
			goto done;
		}
	}

	st->series = series;
	series = NULL;

	/* index the series and list the timestamps that have a value */
	if ((ids = js_keys(st->series, &nids)) == NULL ||
		(st->s = calloc(nids ? nids : 1, sizeof(*st->s))) == NULL)
	{
		rc = nomem(cv);
		goto done;
	}
	if (nids >= UINT32_MAX)
	{
		rc = rtcstats_fail(cv->err, RTCSTATS_ERR_TOO_LARGE, 0,
						   PFX "too many stats ids in PeerConnections[\"%.64s\"]", pc);
		goto done;
	}
	for (size_t i = 0; i < nids; i++)
	{
		sseries    *ss = &st->s[st->ns++];
		json_object *p = json_object_object_get(ids[i].val, "p");
		jkey	   *props;
		size_t		nprops,
					ntimes;

		ss->id = ids[i].key;
		ss->type = get(ids[i].val, "type", &ss->has_type);
		ss->t = json_object_object_get(ids[i].val, "t");
		if (ss->t == NULL)
			continue;			/* only "type" entries: nothing to report */
		ntimes = json_object_array_length(ss->t);
		if ((props = js_keys(p, &nprops)) == NULL ||
			(ss->props = malloc((nprops ? nprops : 1) * sizeof(*ss->props))) == NULL)
		{
			free(props);
			rc = nomem(cv);
			goto done;
		}
		for (size_t k = 0; k < nprops; k++)
		{
			const svalues *v = json_object_get_userdata(props[k].val);
			size_t		nvalues = v->nvalues;
			sprop	   *sp = &ss->props[ss->nprops];

			if (nvalues == 0)
				continue;
			sp->name = props[k].key;
			sp->values = v;
			sp->order = k;
			/* timestamps[index + offset]: values before the first timestamp have none */
			sp->off = nvalues <= ntimes ? ntimes - nvalues : 0;
			ss->nprops++;
		}
		free(props);
		if (ss->nprops == 0)
			continue;
		qsort(ss->props, ss->nprops, sizeof(*ss->props), sprop_cmp);
		for (size_t k = 1; k < ss->nprops; k++)
			ss->reordered |= ss->props[k].order < ss->props[k - 1].order;
		if (ntimes >= UINT32_MAX)
		{
			rc = rtcstats_fail(cv->err, RTCSTATS_ERR_TOO_LARGE, 0,
							   PFX "too many timestamps in PeerConnections[\"%.64s\"]", pc);
			goto done;
		}
		for (size_t j = ss->props[0].off; j < ntimes; j++)
		{
			double		ts;

			if (!get_time(json_object_array_get_idx(ss->t, j), false, &ts))
				continue;
			if (st->nsamples == cap)
			{
				size_t		ncap = cap ? cap * 2 : 256;
				ssample    *q = realloc(st->samples, ncap * sizeof(*q));

				if (q == NULL)
				{
					rc = nomem(cv);
					goto done;
				}
				st->samples = q;
				cap = ncap;
			}
			st->samples[st->nsamples].ts = ts == 0 ? 0 : ts;	/* -0 and 0: one Map key */
			st->samples[st->nsamples].s = (uint32_t) i;
			st->samples[st->nsamples].j = (uint32_t) j;
			st->nsamples++;
			if (!cv->have_ts || ts > cv->max_ts)
				cv->max_ts = ts;
			if (!cv->have_ts || ts < cv->min_ts)
				cv->min_ts = ts;
			cv->have_ts = true;
		}
	}
	if (st->nsamples > 1)
		qsort(st->samples, st->nsamples, sizeof(*st->samples), ssample_cmp);

done:
	free(names);
	free(ids);
	free(id);
	free(prop);
	json_object_put(series);
	return rc;
}

static int
sprop_order_cmp(const void *a, const void *b)
{
	const sprop *const *x = a;
	const sprop *const *y = b;

	return (*x)->order < (*y)->order ? -1 : (*x)->order > (*y)->order;
}

/*
 * The getStats report of the samples [from, to), all of one timestamp: the
 * ids in series order, each {id, timestamp, type} and its properties that
 * have a value there.  scratch holds as many pointers as the largest series
 * has properties.  NULL when out of memory.
 */
static json_object *
build_report(converter *cv, const istats *st, size_t from, size_t to, const sprop **scratch)
{
	json_object *report = json_object_new_object();
	double		ts = st->samples[from].ts;

	if (report == NULL)
		return NULL;
	for (size_t q = from; q < to; q++)
	{
		const sseries *ss = &st->s[st->samples[q].s];
		size_t		j = st->samples[q].j;
		json_object *rep;
		size_t		n = 0;

		/*
		 * A timestamp repeated in one series: upstream assigns each sample in
		 * turn, so the last one's values win, the keys in property order.
		 */
		if (q + 1 < to && st->samples[q + 1].s == st->samples[q].s)
			continue;
		if (!json_object_object_get_ex(report, ss->id, &rep))
		{
			if ((rep = json_object_new_object()) == NULL ||
				json_object_object_add(report, ss->id, rep) != 0)
			{
				json_object_put(rep);
				json_object_put(report);
				return NULL;
			}
			json_object_object_add(rep, "id", json_object_new_string(ss->id));
			json_object_object_add(rep, "timestamp", json_object_new_double(ts));
			if (ss->has_type)
				json_object_object_add(rep, "type", json_object_get(ss->type));
		}
		/* the properties with a value at j: a prefix, put back in key order */
		while (n < ss->nprops && ss->props[n].off <= j)
		{
			scratch[n] = &ss->props[n];
			n++;
		}
		if (ss->reordered)
			qsort(scratch, n, sizeof(*scratch), sprop_order_cmp);
		for (size_t k = 0; k < n; k++)
		{
			const sprop *sp = scratch[k];
			json_object *v = series_value(cv, sp->values, j - sp->off);

			if (json_object_object_add(rep, sp->name, v) != 0)
			{
				json_object_put(v);
				json_object_put(report);
				return NULL;
			}
		}
	}
	return report;
}

static rtcstats_status
pc_trace(converter *cv, const char *pcid, json_object *pc, itrace *tr)
{
	json_object *log,
			   *stats,
			   *first;
	bool		found,
				has_prev = false;
	double		ts = 0,
				prev = 0;
	rtcstats_status rc;

	if (pc == NULL || !json_object_is_type(pc, json_type_object))
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "PeerConnections[\"%.64s\"] is not an object", pcid);
	log = get(pc, "updateLog", &found);
	if (log != NULL && !json_object_is_type(log, json_type_array))
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "PeerConnections[\"%.64s\"].updateLog is not an array", pcid);
	stats = get(pc, "stats", &found);
	if (stats != NULL && !json_object_is_type(stats, json_type_object))
		return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
							 PFX "PeerConnections[\"%.64s\"].stats is not an object", pcid);

	/* create: the configuration, at the first update's time */
	first = log && json_object_array_length(log) > 0 ? json_object_array_get_idx(log, 0) : NULL;
	{
		bool		own = get_time(get(first, "timestamp", &found), true, &ts);

		if ((rc = push(cv, tr, "create", ts, !own,
					   json_object_get(get(pc, "rtcConfiguration", &found)))) != RTCSTATS_OK)
			return rc;
	}

	for (size_t i = 0; log && i < json_object_array_length(log); i++)
	{
		json_object *ev = json_object_array_get_idx(log, i);
		json_object *type,
				   *value;
		char		buf[64];
		bool		own;

		if (ev == NULL || !json_object_is_type(ev, json_type_object))
			return rtcstats_fail(cv->err, RTCSTATS_ERR_FORMAT, 0,
								 PFX "PeerConnections[\"%.64s\"].updateLog[%zu] is not an object",
								 pcid, i);
		type = get(ev, "type", &found);
		{
			const char *method = js_text(type, found, buf, sizeof(buf));

			/* value: JSON-parsed when it is a non-empty string that parses */
			value = get(ev, "value", &found);
			if (value && json_object_is_type(value, json_type_string) &&
				json_object_get_string_len(value) > 0)
			{
				bool		ok;
				json_object *parsed = parse_text(cv, json_object_get_string(value),
												 (size_t) json_object_get_string_len(value), &ok);

				value = ok ? parsed : json_object_get(value);
			}
			else
				value = json_object_get(value);

			/*
			 * ev.timestamp || new Date(ev.time): a numeric time is used as
			 * such; an entry without either (a locale date string) keeps the
			 * previous entry's time instead of upstream's 0.
			 */
			own = get_time(get(ev, "timestamp", &found), true, &ts) ||
				get_time(get(ev, "time", &found), false, &ts);
			if (!own && has_prev)
			{
				ts = prev;
				own = true;
			}
			if ((rc = push(cv, tr, method, ts, !own, value)) != RTCSTATS_OK)
				return rc;
			if (own)
			{
				prev = ts;
				has_prev = true;
			}
		}
	}
	if (stats)
		return read_stats(cv, pcid, stats, &tr->stats);
	return RTCSTATS_OK;
}

static int
ievent_cmp(const void *a, const void *b)
{
	const ievent *x = a;
	const ievent *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Emit a trace sorted by time, stably: the getStats reports were pushed
 * last upstream, so at an equal time they come after the other events.
 */
static rtcstats_status
emit_trace(converter *cv, itrace *tr, double dump_time)
{
	istats	   *st = &tr->stats;
	const sprop **scratch = NULL;
	size_t		maxprops = 1,
				i = 0,
				g = 0;
	rtcstats_status rc = RTCSTATS_OK;

	for (size_t k = 0; k < tr->n; k++)
		if (tr->ev[k].at_dump_time)
			tr->ev[k].ts = dump_time;
	qsort(tr->ev, tr->n, sizeof(*tr->ev), ievent_cmp);
	for (size_t k = 0; k < st->ns; k++)
		if (st->s[k].nprops > maxprops)
			maxprops = st->s[k].nprops;
	if (st->nsamples && (scratch = malloc(maxprops * sizeof(*scratch))) == NULL)
		return nomem(cv);
	while (rc == RTCSTATS_OK && (i < tr->n || g < st->nsamples))
	{
		if (g < st->nsamples && (i >= tr->n || st->samples[g].ts < tr->ev[i].ts))
		{
			size_t		h = g + 1;
			json_object *report;

			while (h < st->nsamples && st->samples[h].ts == st->samples[g].ts)
				h++;
			if ((report = build_report(cv, st, g, h, scratch)) == NULL)
				rc = nomem(cv);
			else
				rc = rtcstats_reader_emit(cv->r, tr->pc, "getStats", st->samples[g].ts, report,
										  NULL, cv->err);
			json_object_put(report);
			g = h;
		}
		else
		{
			ievent	   *e = &tr->ev[i++];

			rc = rtcstats_reader_emit(cv->r, tr->pc, e->method, e->ts, e->value, NULL, cv->err);
		}
	}
	free(scratch);
	trace_clear(tr);
	return rc;
}

/* The metadata of an internals dump: what the document says about itself. */
static rtcstats_status
emit_metadata(converter *cv, json_object *doc, double dump_time)
{
	json_object *meta = json_object_new_object();
	json_object *ua;
	bool		found;
	rtcstats_status rc;

	if (meta == NULL)
		return nomem(cv);
	json_object_object_add(meta, "fileFormat", json_object_new_string("webrtc-internals"));
	ua = get(doc, "UserAgent", &found);
	if (found)
		json_object_object_add(meta, "userAgent", json_object_get(ua));
	json_object_object_add(meta, "startTime",
						   json_object_new_double(cv->have_ts && cv->min_ts < dump_time
												  ? cv->min_ts : dump_time));
	json_object_object_add(meta, "dumpTime", json_object_new_double(dump_time));
	rc = rtcstats_reader_emit_metadata(cv->r, meta, cv->err);
	json_object_put(meta);
	return rc;
}

rtcstats_status
rtcstats_internals_convert(rtcstats_reader *r, json_object *doc, rtcstats_error *err)
{
	converter	cv;
	json_object *pcs;
	jkey	   *ids = NULL;
	size_t		nids = 0;
	double		dump_time;
	bool		found;
	rtcstats_status rc;

	memset(&cv, 0, sizeof(cv));
	cv.r = r;
	cv.err = err;
	cv.tok = json_tokener_new_ex(rtcstats_reader_max_depth(r));
	if (cv.tok == NULL)
		return nomem(&cv);
	json_tokener_set_flags(cv.tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

	pcs = get(doc, "PeerConnections", &found);
	if (pcs != NULL && !json_object_is_type(pcs, json_type_object))
	{
		rc = rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 0, PFX "PeerConnections is not an object");
		goto done;
	}
	if (pcs && (ids = js_keys(pcs, &nids)) == NULL)
	{
		rc = nomem(&cv);
		goto done;
	}
	cv.traces = calloc(nids + 1, sizeof(*cv.traces));
	if (cv.traces == NULL)
	{
		rc = nomem(&cv);
		goto done;
	}
	cv.ntraces = nids + 1;

	/* every trace first: the dump's time may be its latest event */
	if ((rc = client_trace(&cv, doc, &cv.traces[0])) != RTCSTATS_OK)
		goto done;
	for (size_t i = 0; i < nids; i++)
	{
		cv.traces[i + 1].pc = ids[i].key;
		if ((rc = pc_trace(&cv, ids[i].key, ids[i].val, &cv.traces[i + 1])) != RTCSTATS_OK)
			goto done;
	}
	if (!get_time(get(doc, "timestamp", &found), true, &dump_time))
		dump_time = cv.have_ts ? cv.max_ts : 0;

	if ((rc = emit_metadata(&cv, doc, dump_time)) != RTCSTATS_OK)
		goto done;
	for (size_t i = 0; i < cv.ntraces; i++)
		if ((rc = emit_trace(&cv, &cv.traces[i], dump_time)) != RTCSTATS_OK)
			goto done;

done:
	for (size_t i = 0; cv.traces && i < cv.ntraces; i++)
		trace_clear(&cv.traces[i]);
	free(cv.traces);
	free(ids);
	json_tokener_free(cv.tok);
	return rc;
}
