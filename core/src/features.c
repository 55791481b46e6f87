/*
 * features.c: the extractor (reader events -> feature groups -> one JSON
 * object) and the JavaScript-value helpers the groups share.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features_internal.h"
#include "reader_internal.h"
#include "rtcstats/analysis.h"
#include "rtcstats/features.h"
#include "rtcstats/input.h"

struct rtcstats_extractor
{
	rtcstats_reader *reader;
	json_object *metadata;
	client_features *client;
	rtcstats_analysis *analysis;	/* NULL unless enabled; fed in the same pass */
	connection_features **pcs;	/* by reader pc_index */
	char	  **pc_ids;
	size_t		npcs;
	size_t		pcs_cap;
};

/* ---- JavaScript value helpers ---- */

void
jsval_set(jsval *x, json_object *v)
{
	json_object_put(x->v);
	x->v = json_object_get(v);
	x->defined = true;
}

void
jsval_set_if(jsval *x, bool defined, json_object *v)
{
	if (defined)
		jsval_set(x, v);
	else
		jsval_clear(x);
}

void
jsval_clear(jsval *x)
{
	json_object_put(x->v);
	x->v = NULL;
	x->defined = false;
}

void
jsval_put(json_object *out, const char *key, const jsval *x)
{
	if (x->defined)
		json_object_object_add(out, key, json_object_get(x->v));
	else
		json_object_object_del(out, key);
}

json_object *
js_get(json_object *o, const char *key, bool *found)
{
	json_object *v = NULL;
	bool		f = false;

	if (o != NULL && json_object_is_type(o, json_type_object))
		f = json_object_object_get_ex(o, key, &v);
	if (found)
		*found = f;
	return f ? v : NULL;
}

bool
js_has(json_object *o, const char *key)
{
	bool		found;

	js_get(o, key, &found);
	return found;
}

bool
js_truthy(json_object *v, bool defined)
{
	if (!defined || v == NULL)
		return false;
	switch (json_object_get_type(v))
	{
		case json_type_boolean:
			return json_object_get_boolean(v);
		case json_type_int:
			return json_object_get_int64(v) != 0;
		case json_type_double:
			{
				double		d = json_object_get_double(v);

				return d != 0 && !isnan(d);
			}
		case json_type_string:
			return json_object_get_string_len(v) > 0;
		default:
			return true;		/* objects and arrays, even empty */
	}
}

bool
js_is_string(json_object *v, const char *s)
{
	return v != NULL && json_object_is_type(v, json_type_string) &&
		strcmp(json_object_get_string(v), s) == 0;
}

bool
js_is_number(json_object *v)
{
	return v != NULL && (json_object_is_type(v, json_type_int) ||
						 json_object_is_type(v, json_type_double));
}

double
js_number(json_object *v)
{
	return js_is_number(v) ? json_object_get_double(v) : NAN;
}

/* a === b for JSON values (objects and arrays are never equal: distinct instances). */
bool
js_strict_equal(json_object *a, bool a_def, json_object *b, bool b_def)
{
	if (!a_def || !b_def)
		return !a_def && !b_def;
	if (a == NULL || b == NULL)
		return a == NULL && b == NULL;
	if (js_is_number(a) && js_is_number(b))
		return json_object_get_double(a) == json_object_get_double(b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a))
	{
		case json_type_string:
			return strcmp(json_object_get_string(a), json_object_get_string(b)) == 0;
		case json_type_boolean:
			return json_object_get_boolean(a) == json_object_get_boolean(b);
		default:
			return a == b;
	}
}

json_object *
js_new_number(double d)
{
	char		buf[32];

	if (!isfinite(d))
		return NULL;			/* JSON.stringify(NaN) is null */
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return json_object_new_int64((int64_t) d);
	/* shortest text that reads back as d, like JavaScript's Number#toString */
	for (int prec = 15; prec <= 17; prec++)
	{
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return json_object_new_double_s(d, buf);
}

void
put_number(json_object *out, const char *key, double d)
{
	json_object_object_add(out, key, js_new_number(d));
}

void
put_bool(json_object *out, const char *key, bool b)
{
	json_object_object_add(out, key, json_object_new_boolean(b));
}

/*
 * The fields of an ICE candidate the features use, split on single spaces
 * like SDPUtils.parseCandidate(): "candidate:" or "a=candidate:", then
 * foundation component protocol priority address port "typ" type, then
 * key/value pairs.  A line too short to have a type is not valid (upstream
 * throws on it).
 */
bool
parse_candidate(const char *line, candidate_info *c)
{
	const char *p;
	int			field = 0;
	char		key[32] = "";

	memset(c, 0, sizeof(*c));
	if (strncmp(line, "a=candidate:", 12) == 0)
		p = line + 12;
	else if (strlen(line) >= 10)
		p = line + 10;
	else
		return false;
	while (p)
	{
		const char *sp = strchr(p, ' ');
		size_t		len = sp ? (size_t) (sp - p) : strlen(p);

		if (field == 4)
			snprintf(c->address, sizeof(c->address), "%.*s", (int) len, p);
		else if (field == 7)
			snprintf(c->type, sizeof(c->type), "%.*s", (int) len, p);
		else if (field >= 8 && (field - 8) % 2 == 0)
			snprintf(key, sizeof(key), "%.*s", (int) len, p);
		else if (field >= 9 && strcmp(key, "tcptype") == 0)
			snprintf(c->tcptype, sizeof(c->tcptype), "%.*s", (int) len, p);
		field++;
		p = sp ? sp + 1 : NULL;
	}
	c->valid = field >= 3;
	return c->valid;
}

/* SDPUtils.splitLines(): trim the blob, split on "\n", trim each line. */
bool
sdp_any_line(const char *sdp, sdp_line_fn fn, void *arg)
{
	const char *p = sdp;

	while (*p)
	{
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		const char *s = p;

		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if (fn(arg, s, (size_t) (end - s)))
			return true;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

/* ---- the extractor ---- */

static rtcstats_status
on_metadata(void *arg, json_object *metadata, rtcstats_error *err)
{
	rtcstats_extractor *x = arg;

	json_object_put(x->metadata);
	x->metadata = json_object_get(metadata);
	return RTCSTATS_OK;
}

static rtcstats_status
on_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	rtcstats_extractor *x = arg;

	rtcstats_analysis_event(x->analysis, ev);
	if (ev->pc_index < 0)
	{
		client_event(x->client, ev);
		return RTCSTATS_OK;
	}
	if ((size_t) ev->pc_index >= x->npcs)
	{
		/* the reader numbers peer connections densely, in order of appearance */
		if ((size_t) ev->pc_index >= x->pcs_cap)
		{
			size_t		cap = x->pcs_cap ? x->pcs_cap * 2 : 8;
			connection_features **p = realloc(x->pcs, cap * sizeof(*p));
			char	  **q;

			if (p == NULL)
				return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, ev->line, "out of memory");
			x->pcs = p;
			q = realloc(x->pc_ids, cap * sizeof(*q));
			if (q == NULL)
				return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, ev->line, "out of memory");
			x->pc_ids = q;
			x->pcs_cap = cap;
		}
		x->pcs[x->npcs] = connection_new(ev->pc);
		x->pc_ids[x->npcs] = strdup(ev->pc);
		if (x->pcs[x->npcs] == NULL || x->pc_ids[x->npcs] == NULL)
		{
			connection_free(x->pcs[x->npcs]);
			free(x->pc_ids[x->npcs]);
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, ev->line, "out of memory");
		}
		x->npcs++;
	}
	connection_event(x->pcs[ev->pc_index], ev);
	return RTCSTATS_OK;
}

rtcstats_extractor *
rtcstats_extractor_new(const rtcstats_reader_options *opts)
{
	rtcstats_extractor *x = calloc(1, sizeof(*x));
	rtcstats_reader_callbacks cb = {on_metadata, on_event};

	if (x == NULL)
		return NULL;
	x->client = client_new();
	x->reader = rtcstats_reader_new(opts, &cb, x);
	if (x->client == NULL || x->reader == NULL)
	{
		rtcstats_extractor_free(x);
		return NULL;
	}
	return x;
}

void
rtcstats_extractor_free(rtcstats_extractor *x)
{
	if (x == NULL)
		return;
	rtcstats_reader_free(x->reader);
	json_object_put(x->metadata);
	if (x->client)
		client_free(x->client);
	rtcstats_analysis_free(x->analysis);
	for (size_t i = 0; i < x->npcs; i++)
	{
		connection_free(x->pcs[i]);
		free(x->pc_ids[i]);
	}
	free(x->pcs);
	free(x->pc_ids);
	free(x);
}

json_object *
rtcstats_extractor_metadata(const rtcstats_extractor *x)
{
	return x->metadata;
}

long
rtcstats_extractor_skipped_lines(const rtcstats_extractor *x)
{
	return rtcstats_reader_skipped_lines(x->reader);
}

const long *
rtcstats_extractor_skipped_line_numbers(const rtcstats_extractor *x, size_t *n)
{
	return rtcstats_reader_skipped_line_numbers(x->reader, n);
}

rtcstats_status
rtcstats_extractor_feed(rtcstats_extractor *x, const void *data, size_t len,
						rtcstats_error *err)
{
	return rtcstats_reader_feed(x->reader, data, len, err);
}

/*
 * Upstream lists peer connections in Object.keys() order of its trace map:
 * array-index ids ascending, then the others in order of appearance.
 */
static int
compare_pc_order(const void *a, const void *b, void *arg)
{
	char	  **ids = arg;
	size_t		ia = *(const size_t *) a,
				ib = *(const size_t *) b;
	unsigned long va,
				vb;
	bool		na = rtcstats_js_array_index(ids[ia], &va);
	bool		nb = rtcstats_js_array_index(ids[ib], &vb);

	if (na && nb)
		return va < vb ? -1 : va > vb;
	if (na != nb)
		return na ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

rtcstats_status
rtcstats_extractor_finish(rtcstats_extractor *x, json_object **features, rtcstats_error *err)
{
	rtcstats_status rc = rtcstats_reader_finish(x->reader, err);
	json_object *out,
			   *pcs;
	size_t	   *order;

	*features = NULL;
	if (rc != RTCSTATS_OK)
		return rc;
	out = json_object_new_object();
	pcs = json_object_new_array();
	order = malloc((x->npcs + 1) * sizeof(*order));
	if (!out || !pcs || !order)
	{
		json_object_put(out);
		json_object_put(pcs);
		free(order);
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	client_finish(x->client, out);
	for (size_t i = 0; i < x->npcs; i++)
		order[i] = i;
	qsort_r(order, x->npcs, sizeof(*order), compare_pc_order, x->pc_ids);
	for (size_t i = 0; i < x->npcs; i++)
		json_object_array_add(pcs, connection_finish(x->pcs[order[i]]));
	free(order);
	json_object_object_add(out, "peerConnections", pcs);
	*features = out;
	return RTCSTATS_OK;
}

bool
rtcstats_extractor_enable_analysis(rtcstats_extractor *x)
{
	if (x->analysis == NULL)
		x->analysis = rtcstats_analysis_new();
	return x->analysis != NULL;
}

json_object *
rtcstats_extractor_analysis(rtcstats_extractor *x, json_object *features)
{
	json_object *out;
	json_object *ids;
	size_t	   *order;

	if (x->analysis == NULL)
		return NULL;
	{
		size_t		n;
		const long *at = rtcstats_reader_skipped_line_numbers(x->reader, &n);

		rtcstats_analysis_set_malformed(x->analysis, rtcstats_reader_skipped_lines(x->reader),
										at, n);
	}
	out = rtcstats_analysis_finish(x->analysis, features);
	if (out == NULL)
		return NULL;

	/*
	 * The peer connection ids in the order of the features' "peerConnections"
	 * (which, as upstream's, carries no ids), so a host can tie each
	 * connection's features to its time series and observations.
	 */
	ids = json_object_new_array_ext((int) x->npcs);
	order = malloc((x->npcs + 1) * sizeof(*order));
	if (ids == NULL || order == NULL)
	{
		json_object_put(ids);
		json_object_put(out);
		free(order);
		return NULL;
	}
	for (size_t i = 0; i < x->npcs; i++)
		order[i] = i;
	qsort_r(order, x->npcs, sizeof(*order), compare_pc_order, x->pc_ids);
	for (size_t i = 0; i < x->npcs; i++)
		json_object_array_add(ids, json_object_new_string(x->pc_ids[order[i]]));
	free(order);
	json_object_object_add(out, "connections", ids);
	return out;
}

rtcstats_status
rtcstats_extract_buffer(const void *data, size_t len, json_object **features,
						rtcstats_error *err)
{
	rtcstats_extractor *x = rtcstats_extractor_new(NULL);
	rtcstats_status rc;

	*features = NULL;
	if (x == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	rc = rtcstats_extractor_feed(x, data, len, err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_extractor_finish(x, features, err);
	rtcstats_extractor_free(x);
	return rc;
}


rtcstats_status
rtcstats_extract_file(const char *path, json_object **features, rtcstats_error *err)
{
	rtcstats_extractor *x = rtcstats_extractor_new(NULL);
	FILE	   *f;
	unsigned char *buf;
	rtcstats_status rc = RTCSTATS_OK;

	*features = NULL;
	if (x == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
	{
		rtcstats_extractor_free(x);
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "could not open: %m");
	}
	buf = malloc(1 << 18);
	if (buf == NULL)
		rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	while (rc == RTCSTATS_OK)
	{
		size_t		n = fread(buf, 1, 1 << 18, f);

		if (n > 0)
			rc = rtcstats_extractor_feed(x, buf, n, err);
		if (n < (1 << 18))
		{
			if (ferror(f))
				rc = rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "read failed");
			break;
		}
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_extractor_finish(x, features, err);
	rtcstats_extractor_free(x);
	return rc;
}
