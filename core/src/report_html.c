/*
 * report_html.c: rtcstats_report_html() (report.h).
 *
 * Charts are inline SVG polylines over the call's time axis, one per series,
 * scaled from 0 (or the series minimum when negative) to its maximum; the
 * caption gives min, max and last value so nothing depends on reading the
 * picture.  Every text taken from the inputs goes through put_text(), which
 * escapes the five HTML metacharacters.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "features_internal.h"
#include "rtcstats/report.h"

#define CHART_W 640
#define CHART_H 90

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
		!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/*
 * Element i of an array and the length of one; NULL and 0 for anything else
 * (json-c asserts on a non-array, and a stored analysis is caller input).
 */
static size_t
items(json_object *a)
{
	return a != NULL && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static json_object *
item(json_object *a, size_t i)
{
	return i < items(a) ? json_object_array_get_idx(a, i) : NULL;
}

/*
 * Keys compared with their digit runs as numbers (PC_2 before PC_10).  The
 * page lists series and connections in this order, not the object's: json-c
 * keeps insertion order and jsonb sorts by length, and both must give the
 * same page.
 */
static int
natural_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *) a,
			   *y = *(const char *const *) b;

	while (*x && *y)
	{
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9')
		{
			const char *xs = x,
					   *ys = y;

			while (*xs == '0')
				xs++;
			while (*ys == '0')
				ys++;
			for (x = xs; *x >= '0' && *x <= '9'; x++);
			for (y = ys; *y >= '0' && *y <= '9'; y++);
			if (x - xs != y - ys)
				return (x - xs) < (y - ys) ? -1 : 1;
			for (; xs < x; xs++, ys++)
				if (*xs != *ys)
					return *xs < *ys ? -1 : 1;
			continue;
		}
		if (*x != *y)
			return (unsigned char) *x < (unsigned char) *y ? -1 : 1;
		x++;
		y++;
	}
	return *x ? 1 : *y ? -1 : strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The keys of an object in natural order, malloc'd (NULL when empty or out of memory). */
static const char **
sorted_keys(json_object *o, size_t *n)
{
	const char **keys;

	*n = 0;
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
		json_object_object_length(o) == 0 ||
		(keys = malloc(sizeof(char *) * (size_t) json_object_object_length(o))) == NULL)
		return NULL;
	json_object_object_foreach(o, key, val)
	{
		(void) val;
		keys[(*n)++] = key;
	}
	qsort(keys, *n, sizeof(char *), natural_cmp);
	return keys;
}

static void
put_text(struct printbuf *pb, const char *s)
{
	for (; *s; s++)
	{
		switch (*s)
		{
			case '&':
				printbuf_strappend(pb, "&amp;");
				break;
			case '<':
				printbuf_strappend(pb, "&lt;");
				break;
			case '>':
				printbuf_strappend(pb, "&gt;");
				break;
			case '"':
				printbuf_strappend(pb, "&quot;");
				break;
			case '\'':
				printbuf_strappend(pb, "&#39;");
				break;
			default:
				printbuf_memappend(pb, s, 1);
		}
	}
}

/* Any JSON value as escaped text: strings as they are, the rest as JSON. */
static void
put_value(struct printbuf *pb, json_object *v)
{
	if (v == NULL)
		printbuf_strappend(pb, "&ndash;");
	else if (json_object_is_type(v, json_type_string))
		put_text(pb, json_object_get_string(v));
	else if (json_object_is_type(v, json_type_double))
		sprintbuf(pb, "%.4g", json_object_get_double(v));
	else
		put_text(pb, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
													JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A number for people: 3 significant digits with k, M or G from 1000 up. */
static void
put_quantity(struct printbuf *pb, double v)
{
	static const char *const suffix[] = {"", " k", " M", " G"};
	int			i = 0;

	while (i < 3 && fabs(v) >= 1000)
	{
		v /= 1000;
		i++;
	}
	sprintbuf(pb, i ? "%.3g%s" : "%.4g%s", v, suffix[i]);
}

/* ms since the epoch as "2026-11-24 07:16:38 UTC". */
static void
put_time(struct printbuf *pb, double ms)
{
	time_t		t;
	struct tm	tm;
	char		buf[64];

	/* within +-1e15 s (gmtime_r refuses years beyond int) before the cast, which must not overflow */
	if (!isfinite(ms) || fabs(ms) > 1e18 ||
		(t = (time_t) floor(ms / 1000), gmtime_r(&t, &tm) == NULL) ||
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		printbuf_strappend(pb, "&ndash;");
	else
		printbuf_memappend(pb, buf, (int) strlen(buf));
}

/* A time relative to the call's start, "+12.3 s". */
static void
put_offset(struct printbuf *pb, json_object *v, double t0)
{
	if (js_is_number(v) && isfinite(t0))
		sprintbuf(pb, "+%.1f s", (json_object_get_double(v) - t0) / 1000);
	else
		put_value(pb, v);
}

/* The time span of every series point, [t0, t1]; infinite bounds when there is none. */
static void
span_of(json_object *timeseries, double *t0, double *t1)
{
	*t0 = INFINITY;
	*t1 = -INFINITY;
	if (timeseries == NULL || !json_object_is_type(timeseries, json_type_object))
		return;
	json_object_object_foreach(timeseries, pc, conn)
	{
		json_object *tracks = get(conn, "tracks");
		size_t		ntracks = items(tracks);

		(void) pc;
		for (size_t k = 0; k <= ntracks; k++)
		{
			json_object *series = get(k == 0 ? conn : item(tracks, k - 1),
									  "series");

			if (series == NULL || !json_object_is_type(series, json_type_object))
				continue;
			json_object_object_foreach(series, name, points)
			{
				(void) name;
				if (!json_object_is_type(points, json_type_array))
					continue;
				for (size_t i = 0; i < items(points); i++)
				{
					json_object *t = item(item(points, i), 0);

					if (js_is_number(t))
					{
						*t0 = fmin(*t0, json_object_get_double(t));
						*t1 = fmax(*t1, json_object_get_double(t));
					}
				}
			}
		}
	}
}

/* The unit of a series (docs/analysis.md, "Time series"); "" when not known. */
static const char *
series_unit(const char *name)
{
	static const char *const units[][2] = {
		{"sendBitrate", "bit/s"}, {"receiveBitrate", "bit/s"},
		{"availableOutgoingBitrate", "bit/s"}, {"bitrate", "bit/s"},
		{"roundTripTime", "ms"}, {"remoteRoundTripTime", "ms"}, {"jitter", "ms"},
		{"framesPerSecond", "1/s"}, {"frameHeight", "px"}, {"freezes", "per interval"},
		{"packetLoss", "fraction"}, {"concealment", "fraction"}, {"remoteFractionLost", "fraction"},
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i][0], name) == 0)
			return units[i][1];
	return "";
}

/* One series as a chart with its caption. */
static void
put_chart(struct printbuf *pb, const char *name, json_object *points, double t0, double t1)
{
	double		lo = 0,			/* the axis floor: 0, or the minimum when negative */
				min = INFINITY,
				hi = -INFINITY,
				last = NAN;
	size_t		n = items(points);
	bool		pen_down = false;

	for (size_t i = 0; i < n; i++)
	{
		json_object *v = item(item(points, i), 1);

		if (js_is_number(v) && isfinite(json_object_get_double(v)))
		{
			last = json_object_get_double(v);
			min = fmin(min, last);
			lo = fmin(lo, last);
			hi = fmax(hi, last);
		}
	}
	printbuf_strappend(pb, "<figure><figcaption>");
	put_text(pb, name);
	if (*series_unit(name))
		sprintbuf(pb, " (%s)", series_unit(name));
	if (isfinite(hi))
	{
		printbuf_strappend(pb, ": min ");
		put_quantity(pb, min);
		printbuf_strappend(pb, ", max ");
		put_quantity(pb, hi);
		printbuf_strappend(pb, ", last ");
		put_quantity(pb, last);
	}
	else
		printbuf_strappend(pb, ": no values");
	sprintbuf(pb, "</figcaption><svg viewBox=\"0 0 %d %d\" role=\"img\"><path d=\"", CHART_W, CHART_H);
	for (size_t i = 0; i < n && isfinite(hi); i++)
	{
		json_object *p = item(points, i);
		json_object *t = item(p, 0),
				   *v = item(p, 1);
		double		x,
					y;

		/* a gap (null) lifts the pen */
		if (!js_is_number(t) || !js_is_number(v) || !isfinite(json_object_get_double(v)))
		{
			pen_down = false;
			continue;
		}
		x = t1 > t0 ? (json_object_get_double(t) - t0) / (t1 - t0) * CHART_W : 0;
		y = hi > lo ? CHART_H - (json_object_get_double(v) - lo) / (hi - lo) * (CHART_H - 4) - 2 :
			CHART_H / 2.0;
		sprintbuf(pb, "%s%.1f %.1f", pen_down ? " L" : (i ? " M" : "M"), x, y);
		pen_down = true;
	}
	printbuf_strappend(pb, "\"/></svg></figure>\n");
}

static void
put_charts(struct printbuf *pb, json_object *series, double t0, double t1)
{
	size_t		n;
	const char **names = sorted_keys(series, &n);

	for (size_t i = 0; i < n; i++)
	{
		json_object *points = get(series, names[i]);

		if (json_object_is_type(points, json_type_array))
			put_chart(pb, names[i], points, t0, t1);
	}
	free(names);
}

static void
put_scores_row(struct printbuf *pb, const char *label, json_object *s)
{
	static const char *const keys[] = {"overall", "audio", "video", "connectivity"};

	printbuf_strappend(pb, "<tr><th>");
	put_text(pb, label);
	printbuf_strappend(pb, "</th>");
	for (int i = 0; i < 4; i++)
	{
		printbuf_strappend(pb, "<td>");
		put_value(pb, get(s, keys[i]));
		printbuf_strappend(pb, "</td>");
	}
	printbuf_strappend(pb, "</tr>\n");
}

static void
put_scores(struct printbuf *pb, json_object *scores)
{
	json_object *conns = get(scores, "connections");
	size_t		n;
	const char **pcs;

	if (scores == NULL || !json_object_is_type(scores, json_type_object))
		return;
	printbuf_strappend(pb, "<h2>Scores (1 to 5)</h2>\n<table><tr><th></th><th>overall</th>"
					   "<th>audio</th><th>video</th><th>connectivity</th></tr>\n");
	put_scores_row(pb, "call", get(scores, "call"));
	pcs = sorted_keys(conns, &n);
	for (size_t i = 0; i < n; i++)
		put_scores_row(pb, pcs[i], get(conns, pcs[i]));
	free(pcs);
	printbuf_strappend(pb, "</table>\n");
}

static void
put_observations(struct printbuf *pb, json_object *obs, double t0)
{
	size_t		n = items(obs);

	sprintbuf(pb, "<h2>Observations (%zu)</h2>\n", n);
	if (n == 0)
	{
		printbuf_strappend(pb, "<p>None.</p>\n");
		return;
	}
	printbuf_strappend(pb, "<table><tr><th>severity</th><th>category</th><th>type</th>"
					   "<th>where</th><th>first seen</th><th>duration</th><th>what happened</th></tr>\n");
	for (size_t i = 0; i < n; i++)
	{
		json_object *o = item(obs, i);
		json_object *sev = get(o, "severity"),
				   *track = get(o, "track"),
				   *dur = get(o, "duration_ms");

		printbuf_strappend(pb, "<tr class=\"");
		put_text(pb, sev && json_object_is_type(sev, json_type_string) ?
				 json_object_get_string(sev) : "info");
		printbuf_strappend(pb, "\"><td>");
		put_value(pb, sev);
		printbuf_strappend(pb, "</td><td>");
		put_value(pb, get(o, "category"));
		printbuf_strappend(pb, "</td><td>");
		put_value(pb, get(o, "type"));
		printbuf_strappend(pb, "</td><td>");
		put_value(pb, get(o, "pc"));
		if (track && !json_object_is_type(track, json_type_null))
		{
			printbuf_strappend(pb, " / ");
			put_value(pb, track);
		}
		printbuf_strappend(pb, "</td><td>");
		put_offset(pb, get(o, "first_seen"), t0);
		printbuf_strappend(pb, "</td><td>");
		if (js_is_number(dur))
			sprintbuf(pb, "%.1f s", json_object_get_double(dur) / 1000);
		printbuf_strappend(pb, "</td><td>");
		put_value(pb, get(o, "explanation"));
		printbuf_strappend(pb, "</td></tr>\n");
	}
	printbuf_strappend(pb, "</table>\n");
}

/* A few connection features that say how it connected, when present. */
static void
put_connection_features(struct printbuf *pb, json_object *f)
{
	static const char *const keys[] = {
		"connected", "iceConnectionTime", "firstCandidatePairLocalType",
		"firstCandidatePairRemoteType", "firstCandidatePairLocalProtocol",
		"averageStunRoundTripTime", "iceRestart", "dtlsVersion", "duration",
	};
	bool		any = false;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
	{
		json_object *v = get(f, keys[i]);

		if (v == NULL)
			continue;
		if (!any)
			printbuf_strappend(pb, "<dl>");
		any = true;
		sprintbuf(pb, "<dt>%s</dt><dd>", keys[i]);
		put_value(pb, v);
		printbuf_strappend(pb, "</dd>");
	}
	if (any)
		printbuf_strappend(pb, "</dl>\n");
}

static void
put_events(struct printbuf *pb, json_object *events, double t0)
{
	size_t		n = items(events);

	if (n == 0)
		return;
	sprintbuf(pb, "<details><summary>State changes (%zu)</summary><table>\n", n);
	for (size_t i = 0; i < n; i++)
	{
		json_object *e = item(events, i);

		printbuf_strappend(pb, "<tr><td>");
		put_offset(pb, item(e, 0), t0);
		printbuf_strappend(pb, "</td><td>");
		put_value(pb, item(e, 1));
		printbuf_strappend(pb, "</td><td>");
		put_value(pb, item(e, 2));
		printbuf_strappend(pb, "</td></tr>\n");
	}
	printbuf_strappend(pb, "</table></details>\n");
}

static void
put_connections(struct printbuf *pb, json_object *features, json_object *analysis, double t0,
				double c0, double t1)
{
	json_object *timeseries = get(analysis, "timeseries"),
			   *ids = get(analysis, "connections"),
			   *pcs = get(features, "peerConnections");

	size_t		npcs;
	const char **pc_ids = sorted_keys(timeseries, &npcs);

	for (size_t p = 0; p < npcs; p++)
	{
		const char *pc = pc_ids[p];
		json_object *conn = get(timeseries, pc),
				   *tracks = get(conn, "tracks"),
				   *f = NULL;

		/* the features of this pc: same position in "connections" and "peerConnections" */
		for (size_t i = 0; i < items(ids); i++)
		{
			json_object *id = item(ids, i);

			if (json_object_is_type(id, json_type_string) &&
				strcmp(json_object_get_string(id), pc) == 0)
				f = item(pcs, i);
		}
		printbuf_strappend(pb, "<h2>Connection ");
		put_text(pb, pc);
		printbuf_strappend(pb, "</h2>\n");
		put_connection_features(pb, f);
		put_charts(pb, get(conn, "series"), c0, t1);
		put_events(pb, get(conn, "events"), t0);
		for (size_t k = 0; k < items(tracks); k++)
		{
			json_object *t = item(tracks, k);

			printbuf_strappend(pb, "<h3>");
			put_value(pb, get(t, "direction"));
			printbuf_strappend(pb, " ");
			put_value(pb, get(t, "kind"));
			if (get(t, "rid"))
			{
				printbuf_strappend(pb, " rid ");
				put_value(pb, get(t, "rid"));
			}
			printbuf_strappend(pb, " <small>");
			put_value(pb, get(t, "track"));
			printbuf_strappend(pb, "</small></h3>\n");
			put_charts(pb, get(t, "series"), c0, t1);
		}
	}
	free(pc_ids);
}

static const char style[] =
"body{font:14px/1.4 system-ui,sans-serif;max-width:720px;margin:2em auto;color:#222}"
"table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;"
"padding:2px 6px;text-align:left;vertical-align:top}tr.error td{background:#fde2e2}"
"tr.warning td{background:#fff3cd}figure{margin:.6em 0}figcaption{font-size:12px;color:#555}"
"svg{width:100%;height:90px;background:#f7f7f9}path{fill:none;stroke:#2563eb;stroke-width:1.5}"
"dl{display:grid;grid-template-columns:max-content auto;gap:0 1em}dd{margin:0}"
"small{color:#777}.meta{color:#555}";

char *
rtcstats_report_html(json_object *metadata, json_object *features, json_object *analysis)
{
	struct printbuf *pb = printbuf_new();
	json_object *start = get(metadata, "startTime"),
			   *summary = get(analysis, "summary");
	double		t0,
				c0,
				t1;
	char	   *out;

	if (pb == NULL)
		return NULL;
	/* charts span the call from its start (or first sample) to its last sample */
	span_of(get(analysis, "timeseries"), &c0, &t1);
	t0 = c0;
	if (js_is_number(start))
		t0 = json_object_get_double(start);
	else if (js_is_number(get(features, "startTime")))
		t0 = json_object_get_double(get(features, "startTime"));
	c0 = fmin(c0, t0);
	printbuf_strappend(pb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
					   "<title>rtcstats call report</title><style>");
	printbuf_memappend(pb, style, (int) sizeof(style) - 1);
	printbuf_strappend(pb, "</style></head><body>\n<h1>Call report</h1>\n<p class=\"meta\">");
	put_value(pb, get(metadata, "url") ? get(metadata, "url") : get(metadata, "origin"));
	printbuf_strappend(pb, "<br>");
	put_value(pb, get(metadata, "userAgent"));
	printbuf_strappend(pb, "<br>started ");
	put_time(pb, t0);
	if (js_is_number(get(features, "duration")))
		sprintbuf(pb, ", %.1f s", json_object_get_double(get(features, "duration")) / 1000);
	printbuf_strappend(pb, "</p>\n");
	if (summary && json_object_is_type(summary, json_type_string))
	{
		printbuf_strappend(pb, "<p>");
		put_text(pb, json_object_get_string(summary));
		printbuf_strappend(pb, "</p>\n");
	}
	put_scores(pb, get(analysis, "scores"));
	put_observations(pb, get(analysis, "observations"), t0);
	put_connections(pb, features, analysis, t0, c0, t1);
	printbuf_strappend(pb, "</body></html>\n");
	out = strdup(pb->buf);
	printbuf_free(pb);
	return out;
}
