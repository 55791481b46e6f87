/*
 * reader.c: rtcstats dumps (file format 3) to decoded events, in one pass.
 *
 * This is upstream's readRTCStatsDump() (rtcstats-shared/dump.js) made to
 * stream: instead of building every trace in memory it keeps, per peer
 * connection, only what decoding the next line needs (the running full stats
 * report, the last local/created descriptions) and hands each decoded event
 * to the caller.
 *
 * The running stats report is updated in place by every getStats delta
 * (statsDecompression() in compression.js builds a new object each time; the
 * result is the same, the cost is proportional to the delta, not the report).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"
#include "rtcstats/input.h"
#include "tables.h"

#define DEFAULT_MAX_DEPTH 64
/*
 * webrtc-internals documents are read whole: the peak is about three times
 * the document (the text, the parsed tree, the reported values' starts;
 * docs/features.md), so 64 MiB bounds a call to about 200 MB.
 */
#define DEFAULT_MAX_DOCUMENT (64 * 1024 * 1024)
#define MAX_PEER_CONNECTIONS 100000
#define MAX_STATS_IDS 100000	/* per peer connection; browsers report a few hundred */

typedef struct pc_state
{
	char	   *id;
	json_object *stats;			/* running full report: id -> report */
	rtcstats_stats_entry *entries;	/* stats in JS key order */
	size_t		nentries;
	size_t		entries_cap;
	bool		order_dirty;	/* ids added/removed/reordered since entries was built */
	json_object *last_offer;	/* value of the latest createOfferOnSuccess */
	json_object *last_answer;	/* value of the latest createAnswerOnSuccess */
	json_object *last_sld;		/* value of the latest setLocalDescription */
} pc_state;

struct rtcstats_reader
{
	rtcstats_reader_options opts;
	rtcstats_reader_callbacks cb;
	void	   *arg;
	rtcstats_input *input;
	json_tokener *tok;
	rtcstats_format format;
	long		nlines;			/* lines seen */
	bool		have_metadata;
	double		time;			/* running timestamp */
	long		skipped;		/* malformed event lines skipped */
	long		skipped_at[RTCSTATS_SKIPPED_LINES_KEPT];	/* the first ones' numbers */

	pc_state   *pcs;
	size_t		npcs;
	size_t		pcs_cap;
	json_object *pc_index;		/* pc id -> index into pcs */
	int			last_pc;		/* cache: consecutive lines mostly share a pc */

	json_object *empty_extra;	/* shared [] */

	/* webrtc-internals: the whole document */
	char	   *doc;
	size_t		doc_len;
	size_t		doc_cap;
};

static rtcstats_status on_line(void *arg, const char *line, size_t len, long lineno,
							   rtcstats_error *err);

rtcstats_reader *
rtcstats_reader_new(const rtcstats_reader_options *opts, const rtcstats_reader_callbacks *cb,
					void *arg)
{
	rtcstats_reader *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (opts)
		r->opts = *opts;
	if (r->opts.max_depth <= 0)
		r->opts.max_depth = DEFAULT_MAX_DEPTH;
	if (r->opts.max_document_bytes == 0)
		r->opts.max_document_bytes = DEFAULT_MAX_DOCUMENT;
	if (cb)
		r->cb = *cb;
	r->arg = arg;
	r->last_pc = -1;
	r->input = rtcstats_input_new(on_line, r, r->opts.max_line_bytes);
	if (r->input)
		rtcstats_input_set_document_limit(r->input, r->opts.max_document_bytes);
	r->tok = json_tokener_new_ex(r->opts.max_depth);
	if (r->tok)
		json_tokener_set_flags(r->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	r->pc_index = json_object_new_object();
	r->empty_extra = json_object_new_array();
	if (!r->input || !r->tok || !r->pc_index || !r->empty_extra)
	{
		rtcstats_reader_free(r);
		return NULL;
	}
	return r;
}

static void
pc_state_clear(pc_state *pc)
{
	free(pc->id);
	json_object_put(pc->stats);
	free(pc->entries);
	json_object_put(pc->last_offer);
	json_object_put(pc->last_answer);
	json_object_put(pc->last_sld);
}

void
rtcstats_reader_free(rtcstats_reader *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->npcs; i++)
		pc_state_clear(&r->pcs[i]);
	free(r->pcs);
	json_object_put(r->pc_index);
	json_object_put(r->empty_extra);
	if (r->tok)
		json_tokener_free(r->tok);
	rtcstats_input_free(r->input);
	free(r->doc);
	free(r);
}

int
rtcstats_reader_max_depth(const rtcstats_reader *r)
{
	return r->opts.max_depth;
}

rtcstats_format
rtcstats_reader_format(const rtcstats_reader *r)
{
	return r->format;
}

long
rtcstats_reader_skipped_lines(const rtcstats_reader *r)
{
	return r->skipped;
}

const long *
rtcstats_reader_skipped_line_numbers(const rtcstats_reader *r, size_t *n)
{
	*n = r->skipped < RTCSTATS_SKIPPED_LINES_KEPT ? (size_t) r->skipped
		: RTCSTATS_SKIPPED_LINES_KEPT;
	return r->skipped_at;
}

bool
rtcstats_js_array_index(const char *id, unsigned long *value)
{
	unsigned long n = 0;
	size_t		i;

	if (id[0] == '\0' || (id[0] == '0' && id[1] != '\0'))
		return false;
	for (i = 0; id[i]; i++)
	{
		if (id[i] < '0' || id[i] > '9' || i >= 10)
			return false;
		n = n * 10 + (unsigned long) (id[i] - '0');
	}
	if (n >= 4294967295UL)
		return false;
	if (value)
		*value = n;
	return true;
}

/*
 * The peer connection state for id, created on first sight.  Returns its
 * index or -1 when out of memory or over the limit.
 */
static int
pc_lookup(rtcstats_reader *r, const char *id, rtcstats_error *err, long line)
{
	json_object *idx;
	pc_state   *pc;

	if (r->last_pc >= 0 && strcmp(r->pcs[r->last_pc].id, id) == 0)
		return r->last_pc;
	if (json_object_object_get_ex(r->pc_index, id, &idx))
		return r->last_pc = json_object_get_int(idx);
	if (r->npcs >= MAX_PEER_CONNECTIONS)
	{
		rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, line,
					  "more than %d peer connections", MAX_PEER_CONNECTIONS);
		return -1;
	}
	if (r->npcs == r->pcs_cap)
	{
		size_t		cap = r->pcs_cap ? r->pcs_cap * 2 : 8;
		pc_state   *p = realloc(r->pcs, cap * sizeof(*p));

		if (p == NULL)
			goto nomem;
		r->pcs = p;
		r->pcs_cap = cap;
	}
	pc = &r->pcs[r->npcs];
	memset(pc, 0, sizeof(*pc));
	pc->id = strdup(id);
	pc->stats = json_object_new_object();
	if (!pc->id || !pc->stats)
	{
		pc_state_clear(pc);
		goto nomem;
	}
	json_object_object_add(r->pc_index, id, json_object_new_int((int) r->npcs));
	r->last_pc = (int) r->npcs;
	return (int) r->npcs++;
nomem:
	rtcstats_fail(err, RTCSTATS_ERR_NOMEM, line, "out of memory");
	return -1;
}

/*
 * Number.prototype.toString() of ECMA-262 (Number::toString): the shortest
 * digits that read back as d, written without an exponent for decimal
 * exponents -6..21, so 0.1 is "0.1" (not %.17g's 0.10000000000000001), 1e20
 * is "100000000000000000000" and 1e21 is "1e+21".  size >= 32.
 */
static const char *
js_number(double d, char *buf, size_t size)
{
	char		sci[40],
				digits[20];
	int			p,
				k = 0,
				n;
	char	   *o = buf;

	if (isnan(d))
		return "NaN";
	if (isinf(d))
		return d > 0 ? "Infinity" : "-Infinity";
	if (d == 0)
		return "0";				/* -0 too */
	if (d < 0)
	{
		*o++ = '-';
		d = -d;
	}
	for (p = 1;; p++)
	{
		snprintf(sci, sizeof(sci), "%.*e", p - 1, d);
		if (p == 17 || strtod(sci, NULL) == d)
			break;
	}
	/* sci is "D[.DDD]e[+-]XX": collect the digits, drop trailing zeros */
	for (const char *c = sci; *c != 'e'; c++)
		if (*c != '.')
			digits[k++] = *c;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	n = atoi(strchr(sci, 'e') + 1) + 1;	/* d = 0.DIGITS x 10^n */
	if (k <= n && n <= 21)
	{
		memcpy(o, digits, (size_t) k);
		memset(o + k, '0', (size_t) (n - k));
		o[n] = '\0';
	}
	else if (0 < n && n <= 21)
		snprintf(o, size - (size_t) (o - buf), "%.*s.%.*s", n, digits, k - n, digits + n);
	else if (-6 < n && n <= 0)
		snprintf(o, size - (size_t) (o - buf), "0.%.*s%.*s", -n, "000000", k, digits);
	else
		snprintf(o, size - (size_t) (o - buf), "%c%s%.*se%c%d", digits[0], k > 1 ? "." : "",
				 k - 1, digits + 1, n - 1 < 0 ? '-' : '+', abs(n - 1));
	return buf;
}

/*
 * Integer literals beyond 2^53: JSON.parse() gives the nearest double,
 * json-c an exact 64-bit integer, and beyond 64 bits a saturated one
 * (123456789012345678901234567890 reads as 18446744073709551615).  A text
 * with such a literal outside its strings is copied with each one written
 * as the double JavaScript holds, in Number::toString's words
 * ("1.2345678901234568e+29"), so json-c reads that double and (see
 * rtcstats_json_widened) prints it as upstream does.  Returns 0 when
 * nothing needs widening (the common case: *out NULL), 1 with *out a
 * malloc'd copy of *outlen bytes, -1 when out of memory.
 */
static bool
beyond_safe_integers(const char *digits, size_t n)
{
	if (digits[0] == '0')
		return false;			/* not JSON (leading zero): json-c refuses it */
	return n > 16 || (n == 16 && memcmp(digits, "9007199254740992", 16) > 0);
}

int
rtcstats_json_widen_integers(const char *s, size_t len, char **out, size_t *outlen)
{
	size_t		run = 0,
				i,
				o = 0,
				cap = 0;
	bool		long_run = false;
	char	   *buf = NULL;
	size_t		copied = 0;		/* s[0 .. copied) is in buf */

	*out = NULL;
	*outlen = 0;
	/* quick pass: a literal beyond 2^53 has 16 digits in a row or more */
	for (i = 0; i < len && !long_run; i++)
	{
		run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : 0;
		long_run = run >= 16;
	}
	if (!long_run)
		return 0;
	for (i = 0; i < len;)
	{
		char		c = s[i];

		if (c == '"')
		{
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9'))
		{
			size_t		start = i,
						d0 = c == '-' ? i + 1 : i;
			bool		integer = true;

			for (i = d0; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
									 s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-'); i++)
				integer &= s[i] >= '0' && s[i] <= '9';
			if (integer && i > d0 && beyond_safe_integers(s + d0, i - d0))
			{
				char		text[40];
				char	   *js,
						   *e,
						   *num = strndup(s + start, i - start);
				size_t		need,
							jl;
				double		d;

				if (num == NULL)
				{
					free(buf);
					return -1;
				}
				d = strtod(num, NULL);
				free(num);
				js = isfinite(d) ? (char *) js_number(d, text, sizeof(text)) :
					strcpy(text, c == '-' ? "-1e400" : "1e400");
				/* marked with a capital E, a double to json-c (see rtcstats_json_widened) */
				/* (an infinity stays "1e400", printed as a client's own would be) */
				if (isfinite(d) && (e = strchr(js, 'e')) != NULL)
					*e = 'E';
				else if (isfinite(d))
					js = strcat(js == text ? text : strcpy(text, js), "E0");
				jl = strlen(js);
				need = o + (start - copied) + jl + (len - i) + 1;
				if (need > cap)
				{
					char	   *p;

					cap = need * 2;
					if ((p = realloc(buf, cap)) == NULL)
					{
						free(buf);
						return -1;
					}
					buf = p;
				}
				memcpy(buf + o, s + copied, start - copied);
				o += start - copied;
				memcpy(buf + o, js, jl);
				o += jl;
				copied = i;
			}
			continue;
		}
		i++;
	}
	if (buf == NULL)
		return 0;				/* the long runs were in strings */
	memcpy(buf + o, s + copied, len - copied);
	o += len - copied;
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 1;
}

/*
 * After parsing a widened text: the doubles it marked (a capital E in their
 * text, which js_number never writes) print as JavaScript prints them.  A
 * client's own "1E5" gets the same treatment, which is also what upstream
 * prints.  depth bounds the walk as the tokener bounded the nesting.
 */
void
rtcstats_json_widened(json_object *v, int depth)
{
	if (v == NULL || depth <= 0)
		return;
	switch (json_object_get_type(v))
	{
		case json_type_object:
			{
				json_object_object_foreach(v, key, val)
				{
					(void) key;
					rtcstats_json_widened(val, depth - 1);
				}
				break;
			}
		case json_type_array:
			for (size_t i = 0; i < json_object_array_length(v); i++)
				rtcstats_json_widened(json_object_array_get_idx(v, i), depth - 1);
			break;
		case json_type_double:
			{
				const char *t = json_object_get_userdata(v);
				char		buf[40];
				char	   *copy;

				if (t == NULL || strchr(t, 'E') == NULL || !isfinite(json_object_get_double(v)))
					break;
				if ((copy = strdup(js_number(json_object_get_double(v), buf, sizeof(buf)))) != NULL)
					json_object_set_serializer(v, json_object_userdata_to_json_string, copy,
											   json_object_free_userdata);
				break;
			}
		default:
			break;
	}
}

/*
 * JavaScript's String(v), which is what upstream's table lookups and object
 * keys (method, stats type, peer connection id) turn a value into: numbers
 * as Number::toString (integers beyond 2^53 as the double JavaScript holds),
 * objects as "[object Object]".  Arrays, which String() joins, are left as
 * JSON text: no table has such a key.  The webrtc-internals converter uses
 * it too.  buf (size >= 32) holds a formatted number.
 */
const char *
rtcstats_js_string(json_object *v, char *buf, size_t size)
{
	switch (json_object_get_type(v))
	{
		case json_type_string:
			return json_object_get_string(v);
		case json_type_int:
			{
				/* the common case (compressed stats types): a safe integer prints as is */
				int64_t		i = json_object_get_int64(v);

				if (i > -(INT64_C(1) << 53) && i < (INT64_C(1) << 53))
				{
					snprintf(buf, size, "%lld", (long long) i);
					return buf;
				}
			}
			/* FALLTHROUGH */
		case json_type_double:
			return js_number(json_object_get_double(v), buf, size);
		case json_type_boolean:
			return json_object_get_boolean(v) ? "true" : "false";
		case json_type_null:
			return "null";
		case json_type_object:
			return "[object Object]";
		default:
			return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	}
}

/*
 * Rebuild pc->entries in JavaScript key order: array-index ids ascending,
 * then the other ids.  For those, upstream's result object takes the delta's
 * ids first, in the delta's order, then the base's remaining ones; with no
 * such id in the delta that is simply the stats object's insertion order.
 */
static rtcstats_status
order_stats(pc_state *pc, json_object *delta, rtcstats_error *err, long line)
{
	size_t		n = (size_t) json_object_object_length(pc->stats);
	rtcstats_stats_entry *other;
	size_t		nint = 0,
				nother = 0,
				nfirst;

	if (n > pc->entries_cap || pc->entries == NULL)
	{
		size_t		cap = n > 16 ? n * 2 : 16;
		/* second half: scratch for the other ids */
		rtcstats_stats_entry *p = realloc(pc->entries, cap * 2 * sizeof(*p));

		if (p == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, line, "out of memory");
		pc->entries = p;
		pc->entries_cap = cap;
	}
	other = pc->entries + pc->entries_cap;
	if (delta && json_object_is_type(delta, json_type_object))
	{
		json_object_object_foreach(delta, key, val)
		{
			struct lh_entry *e;

			(void) val;
			if (strcmp(key, "t") == 0 || rtcstats_js_array_index(key, NULL))
				continue;
			e = lh_table_lookup_entry(json_object_get_object(pc->stats), key);
			if (e == NULL)
				continue;
			/* the stats object's own key string outlives the delta */
			other[nother].id = (const char *) lh_entry_k(e);
			other[nother].report = (json_object *) lh_entry_v(e);
			nother++;
		}
	}
	nfirst = nother;
	json_object_object_foreach(pc->stats, key, val)
	{
		if (rtcstats_js_array_index(key, NULL))
		{
			pc->entries[nint].id = key;
			pc->entries[nint].report = val;
			nint++;
		}
		else
		{
			bool		placed = false;

			for (size_t j = 0; j < nfirst && !placed; j++)
				placed = other[j].id == key;
			if (!placed)
			{
				other[nother].id = key;
				other[nother].report = val;
				nother++;
			}
		}
	}
	/* index ids ascending: insertion sort, the input is nearly sorted */
	for (size_t i = 1; i < nint; i++)
	{
		rtcstats_stats_entry e = pc->entries[i];
		unsigned long v,
					w = 0;
		size_t		j = i;

		rtcstats_js_array_index(e.id, &v);
		while (j > 0 && rtcstats_js_array_index(pc->entries[j - 1].id, &w) && w > v)
		{
			pc->entries[j] = pc->entries[j - 1];
			j--;
		}
		pc->entries[j] = e;
	}
	memmove(pc->entries + nint, other, nother * sizeof(*other));
	pc->nentries = nint + nother;
	pc->order_dirty = false;
	return RTCSTATS_OK;
}

/*
 * A report of the delta with its property names and type decompressed, as a
 * new object sharing the values.
 */
static json_object *
decompress_report(json_object *report)
{
	json_object *out = json_object_new_object();
	char		buf[64];

	if (out == NULL)
		return NULL;
	json_object_object_foreach(report, key, val)
	{
		const char *name = rtcstats_table_lookup(&rtcstats_stats_properties_table, key,
												 strlen(key));

		if (name == NULL)
			name = key;
		if (strcmp(name, "type") == 0 && val != NULL)
		{
			const char *text = rtcstats_js_string(val, buf, sizeof(buf));
			const char *type = rtcstats_table_lookup(&rtcstats_stats_types_table, text,
													 strlen(text));

			if (type)
			{
				json_object_object_add(out, name, json_object_new_string(type));
				continue;
			}
		}
		json_object_object_add(out, name, json_object_get(val));
	}
	return out;
}

/*
 * Apply one getStats delta to the running report (statsDecompression() in
 * upstream's compression.js, in place).
 */
static rtcstats_status
apply_stats_delta(pc_state *pc, json_object *delta, rtcstats_error *err, long line)
{
	json_object *t = NULL;
	bool		keys_changed = false;

	if (!json_object_is_type(delta, json_type_object))
		return RTCSTATS_OK;		/* nothing upstream could merge; keep the base */
	json_object_object_get_ex(delta, "t", &t);

	json_object_object_foreach(delta, id, dreport)
	{
		json_object *base;
		json_object *fresh;

		if (strcmp(id, "t") == 0)
			continue;
		if (dreport == NULL)
		{
			/* null: the id was removed */
			if (json_object_object_get_ex(pc->stats, id, NULL))
			{
				json_object_object_del(pc->stats, id);
				keys_changed = true;
			}
			continue;
		}
		if (!json_object_is_type(dreport, json_type_object))
			continue;
		if (json_object_object_length(pc->stats) >= MAX_STATS_IDS &&
			!json_object_object_get_ex(pc->stats, id, NULL))
			return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, line,
								 "more than %d stats ids in one peer connection", MAX_STATS_IDS);
		fresh = decompress_report(dreport);
		if (fresh == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, line, "out of memory");
		if (t != NULL && !json_object_object_get_ex(fresh, "timestamp", NULL))
			json_object_object_add(fresh, "timestamp", json_object_get(t));
		if (!json_object_object_get_ex(pc->stats, id, &base) || base == NULL ||
			!json_object_is_type(base, json_type_object))
		{
			json_object_object_add(pc->stats, id, fresh);
			keys_changed = true;
			continue;
		}
		/* merge into the base report in place */
		json_object_object_foreach(fresh, name, val)
		{
			json_object *old;

			if (val != NULL && json_object_is_type(val, json_type_object) &&
				json_object_object_get_ex(base, name, &old) && old != NULL &&
				json_object_is_type(old, json_type_object))
			{
				/* nested objects (qualityLimitationDurations) merge key by key */
				json_object *merged = json_object_new_object();

				if (merged == NULL)
				{
					json_object_put(fresh);
					return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, line, "out of memory");
				}
				json_object_object_foreach(old, k1, v1)
					json_object_object_add(merged, k1, json_object_get(v1));
				json_object_object_foreach(val, k2, v2)
					json_object_object_add(merged, k2, json_object_get(v2));
				json_object_object_add(base, name, merged);
			}
			else
				json_object_object_add(base, name, json_object_get(val));
		}
		json_object_put(fresh);
		/* mark as carrying this round's timestamp (see below) */
	}

	/*
	 * Reports the delta did not mention get the shared timestamp too; the
	 * ones it mentioned already have theirs (own or t).
	 */
	if (t != NULL)
	{
		json_object_object_foreach(pc->stats, id2, rep)
		{
			json_object *d;

			if (rep == NULL)
				continue;
			if (json_object_object_get_ex(delta, id2, &d) && d != NULL)
				continue;
			json_object_object_add(rep, "timestamp", json_object_get(t));
		}
	}
	if (keys_changed)
		pc->order_dirty = true;
	if (pc->order_dirty || pc->entries == NULL)
		return order_stats(pc, delta, err, line);
	{
		/* a delta with non-index ids reorders them (see order_stats) */
		json_object_object_foreach(delta, key, val)
		{
			(void) val;
			if (strcmp(key, "t") != 0 && !rtcstats_js_array_index(key, NULL))
				return order_stats(pc, delta, err, line);
		}
	}
	return RTCSTATS_OK;
}

/* Section split of descriptionDecompression(): at "\nm=", each trimmed. */
typedef struct sdp_sections
{
	const char **start;
	size_t	   *len;
	size_t		n;
} sdp_sections;

static bool
is_js_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
split_sections(const char *sdp, sdp_sections *out)
{
	size_t		n = 1;
	const char *p;

	for (p = sdp; (p = strstr(p, "\nm=")) != NULL; p += 3)
		n++;
	out->start = malloc(n * sizeof(*out->start));
	out->len = malloc(n * sizeof(*out->len));
	if (!out->start || !out->len)
		return false;
	out->n = 0;
	p = sdp;
	for (;;)
	{
		const char *next = strstr(p, "\nm=");
		const char *end = next ? next : p + strlen(p);
		const char *s = p;

		while (s < end && is_js_space(*s))
			s++;
		while (end > s && is_js_space(end[-1]))
			end--;
		out->start[out->n] = s;
		out->len[out->n] = (size_t) (end - s);
		out->n++;
		if (next == NULL)
			break;
		p = next + 1;			/* the next section starts with "m=" */
	}
	return true;
}

static void
free_sections(sdp_sections *s)
{
	free(s->start);
	free(s->len);
}

/*
 * descriptionDecompression(base, desc): sections that are just "m=" (or
 * "v=" first) are taken from the base at the same index.  Returns a new
 * reference (possibly to desc itself).
 */
static json_object *
decompress_description(json_object *base, json_object *desc)
{
	json_object *bt,
			   *nt,
			   *bs,
			   *ns,
			   *out;
	const char *bsdp,
			   *nsdp;
	sdp_sections bsec = {0},
				nsec = {0};
	char	   *buf = NULL;
	size_t		cap = 0,
				len = 0;

	if (base == NULL || !json_object_is_type(base, json_type_object) ||
		!json_object_is_type(desc, json_type_object))
		return json_object_get(desc);
	json_object_object_get_ex(base, "type", &bt);
	json_object_object_get_ex(desc, "type", &nt);
	if (!json_object_object_get_ex(base, "sdp", &bs) || !json_object_object_get_ex(desc, "sdp", &ns))
		return json_object_get(desc);
	/* upstream compares with !== : both must be the same string */
	if (!bt || !nt || !json_object_is_type(bt, json_type_string) ||
		!json_object_is_type(nt, json_type_string) ||
		strcmp(json_object_get_string(bt), json_object_get_string(nt)) != 0)
		return json_object_get(desc);
	if (!json_object_is_type(bs, json_type_string) || !json_object_is_type(ns, json_type_string))
		return json_object_get(desc);
	bsdp = json_object_get_string(bs);
	nsdp = json_object_get_string(ns);
	if (bsdp[0] == '\0' || nsdp[0] == '\0')
		return json_object_get(desc);
	if (!split_sections(bsdp, &bsec) || !split_sections(nsdp, &nsec))
		goto fail;
	for (size_t i = 0; i < nsec.n; i++)
	{
		const char *s = nsec.start[i];
		size_t		l = nsec.len[i];
		const char *marker = i == 0 ? "v=" : "m=";

		if (l == 2 && memcmp(s, marker, 2) == 0)
		{
			/* baseSections[index] may be undefined: JS joins it as "" */
			if (i < bsec.n)
			{
				s = bsec.start[i];
				l = bsec.len[i];
			}
			else
				l = 0;
		}
		if (len + l + 4 > cap)
		{
			char	   *p;

			cap = (len + l + 4) * 2;
			if ((p = realloc(buf, cap)) == NULL)
				goto fail;
			buf = p;
		}
		if (i > 0)
		{
			memcpy(buf + len, "\r\n", 2);
			len += 2;
		}
		memcpy(buf + len, s, l);
		len += l;
	}
	/* .trim() + '\r\n' */
	{
		size_t		b = 0;

		while (len > 0 && is_js_space(buf[len - 1]))
			len--;
		while (b < len && is_js_space(buf[b]))
			b++;
		memmove(buf, buf + b, len - b);
		len -= b;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	out = json_object_new_object();
	if (out == NULL)
		goto fail;
	json_object_object_add(out, "type", json_object_get(nt));
	json_object_object_add(out, "sdp", json_object_new_string_len(buf, (int) len));
	free(buf);
	free_sections(&bsec);
	free_sections(&nsec);
	return out;
fail:
	free(buf);
	free_sections(&bsec);
	free_sections(&nsec);
	return NULL;
}

/* Chrome JSON-encodes state values; rtcstats-js writes them bare. */
static const char *const state_values[] = {
	"stable", "have-local-offer", "have-remote-offer", "have-local-pranswer",
	"have-remote-pranswer", "closed", "new", "checking", "connected", "completed",
	"failed", "disconnected", "connecting", "gathering", "complete", NULL
};

static bool
is_state_event(const char *method)
{
	return strcmp(method, "onsignalingstatechange") == 0 ||
		strcmp(method, "oniceconnectionstatechange") == 0 ||
		strcmp(method, "onconnectionstatechange") == 0 ||
		strcmp(method, "onicegatheringstatechange") == 0;
}

/*
 * The unquoted state for a quoted one, or NULL.  Upstream's table is per
 * event; the only cross-event difference (e.g. "connecting" is not a
 * signaling state) is checked here too.
 */
static const char *
unquote_state(const char *method, const char *v)
{
	size_t		l = strlen(v);

	if (l < 3 || v[0] != '"' || v[l - 1] != '"')
		return NULL;
	for (const char *const *s = state_values; *s; s++)
	{
		if (strlen(*s) == l - 2 && memcmp(*s, v + 1, l - 2) == 0)
		{
			const char *st = *s;

			if (strcmp(method, "onsignalingstatechange") == 0)
				return (strcmp(st, "stable") == 0 || strncmp(st, "have-", 5) == 0 ||
						strcmp(st, "closed") == 0) ? st : NULL;
			if (strcmp(method, "oniceconnectionstatechange") == 0)
				return (strcmp(st, "new") == 0 || strcmp(st, "checking") == 0 ||
						strcmp(st, "connected") == 0 || strcmp(st, "completed") == 0 ||
						strcmp(st, "failed") == 0 || strcmp(st, "disconnected") == 0 ||
						strcmp(st, "closed") == 0) ? st : NULL;
			if (strcmp(method, "onconnectionstatechange") == 0)
				return (strcmp(st, "new") == 0 || strcmp(st, "connecting") == 0 ||
						strcmp(st, "connected") == 0 || strcmp(st, "disconnected") == 0 ||
						strcmp(st, "failed") == 0 || strcmp(st, "closed") == 0) ? st : NULL;
			return (strcmp(st, "new") == 0 || strcmp(st, "gathering") == 0 ||
					strcmp(st, "complete") == 0) ? st : NULL;
		}
	}
	return NULL;
}

static rtcstats_status
dispatch(rtcstats_reader *r, int pci, const char *pc, const char *method, double ts,
		 json_object *value, json_object *extra, long line, size_t line_bytes,
		 rtcstats_error *err)
{
	rtcstats_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.pc = pc;
	ev.pc_index = pci;
	ev.method = method;
	ev.timestamp = ts;
	ev.value = value;
	ev.extra = extra ? extra : r->empty_extra;
	ev.line = line;
	ev.line_bytes = line_bytes;
	if (pci >= 0 && strcmp(method, "getStats") == 0)
	{
		ev.stats = r->pcs[pci].entries;
		ev.nstats = r->pcs[pci].nentries;
	}
	if (r->cb.on_event == NULL)
		return RTCSTATS_OK;
	return r->cb.on_event(r->arg, &ev, err);
}

/* A malformed event line: skipped and counted, or (strict_lines) the error. */
static rtcstats_status
bad_line(rtcstats_reader *r, rtcstats_status code, long line, const char *what,
		 rtcstats_error *err)
{
	if (r->opts.strict_lines)
		return rtcstats_fail(err, code, line, "%s", what);
	if (r->skipped < RTCSTATS_SKIPPED_LINES_KEPT)
		r->skipped_at[r->skipped] = line;
	r->skipped++;
	return RTCSTATS_OK;
}

/* One event line of format 3. */
static rtcstats_status
event_line(rtcstats_reader *r, json_object *arr, long lineno, size_t len, rtcstats_error *err)
{
	size_t		n = json_object_array_length(arr);
	json_object *jm = json_object_array_get_idx(arr, 0);
	json_object *jpc = n > 1 ? json_object_array_get_idx(arr, 1) : NULL;
	json_object *value = n > 2 ? json_object_array_get_idx(arr, 2) : NULL;
	json_object *jdelta;
	json_object *extra = NULL;
	json_object *owned_value = NULL;
	const char *method;
	const char *pc = NULL;
	char		mbuf[64],
				pcbuf[64];
	int			pci = -1;
	rtcstats_status rc;

	if (n < 3)
		return bad_line(r, RTCSTATS_ERR_LINE_SHAPE, lineno,
						"event line has fewer than 3 elements", err);
	jdelta = json_object_array_get_idx(arr, n - 1);
	if (n == 3)
		value = NULL;			/* [method, pc, delta] */
	if (!json_object_is_type(jdelta, json_type_int) && !json_object_is_type(jdelta, json_type_double))
		return bad_line(r, RTCSTATS_ERR_LINE_SHAPE, lineno,
						"last element of the event line is not a number (time delta)", err);
	/*
	 * A null method is read as upstream reads it: decompressMethod(null) is
	 * null, which equals no method a feature looks for, and String(null),
	 * its name wherever it becomes a key, is "null".
	 */
	method = rtcstats_js_string(jm, mbuf, sizeof(mbuf));
	{
		const char *full = rtcstats_table_lookup(&rtcstats_methods_table, method, strlen(method));

		if (full)
			method = full;
	}
	if (jpc != NULL)
	{
		pc = rtcstats_js_string(jpc, pcbuf, sizeof(pcbuf));
		if ((pci = pc_lookup(r, pc, err, lineno)) < 0)
			return err ? err->code : RTCSTATS_ERR_NOMEM;
		pc = r->pcs[pci].id;
	}
	r->time += json_object_get_double(jdelta);

	if (n > 4)
	{
		extra = json_object_new_array_ext((int) (n - 4));
		if (extra == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
		for (size_t i = 3; i < n - 1; i++)
			json_object_array_add(extra, json_object_get(json_object_array_get_idx(arr, i)));
	}

	if (value != NULL && is_state_event(method) && json_object_is_type(value, json_type_string))
	{
		const char *st = unquote_state(method, json_object_get_string(value));

		if (st)
			value = owned_value = json_object_new_string(st);
	}
	else if (pci >= 0 && strcmp(method, "getStats") == 0)
	{
		if ((rc = apply_stats_delta(&r->pcs[pci], value, err, lineno)) != RTCSTATS_OK)
			goto done;
		value = r->pcs[pci].stats;
	}
	else if (pci >= 0 && strcmp(method, "setLocalDescription") == 0 && value != NULL &&
			 strcmp(pc, "undefined-undefined") != 0)
	{
		json_object *type;
		json_object *base = NULL;

		if (json_object_is_type(value, json_type_object) &&
			json_object_object_get_ex(value, "type", &type) && type &&
			json_object_is_type(type, json_type_string))
		{
			if (strcmp(json_object_get_string(type), "offer") == 0)
				base = r->pcs[pci].last_offer;
			else if (strcmp(json_object_get_string(type), "answer") == 0)
				base = r->pcs[pci].last_answer;
		}
		if (base)
		{
			value = owned_value = decompress_description(base, value);
			if (value == NULL)
			{
				rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
				goto done;
			}
		}
	}
	else if (pci >= 0 && value != NULL &&
			 (strcmp(method, "createOfferOnSuccess") == 0 ||
			  strcmp(method, "createAnswerOnSuccess") == 0))
	{
		json_object *type;

		if (r->pcs[pci].last_sld && json_object_is_type(value, json_type_object) &&
			json_object_object_get_ex(value, "type", &type) && type &&
			json_object_is_type(type, json_type_string) &&
			(strcmp(json_object_get_string(type), "offer") == 0 ||
			 strcmp(json_object_get_string(type), "answer") == 0))
		{
			value = owned_value = decompress_description(r->pcs[pci].last_sld, value);
			if (value == NULL)
			{
				rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
				goto done;
			}
		}
	}

	/* remember the decoded descriptions the next lines refer to */
	if (pci >= 0)
	{
		pc_state   *ps = &r->pcs[pci];
		json_object **slot = NULL;

		if (strcmp(method, "createOfferOnSuccess") == 0)
			slot = &ps->last_offer;
		else if (strcmp(method, "createAnswerOnSuccess") == 0)
			slot = &ps->last_answer;
		else if (strcmp(method, "setLocalDescription") == 0)
			slot = &ps->last_sld;
		if (slot)
		{
			json_object_put(*slot);
			*slot = json_object_get(value);
		}
	}

	rc = dispatch(r, pci, pc, method, r->time, value, extra, lineno, len, err);
done:
	json_object_put(owned_value);
	json_object_put(extra);
	return rc;
}

static rtcstats_status
on_line(void *arg, const char *line, size_t len, long lineno, rtcstats_error *err)
{
	rtcstats_reader *r = arg;
	json_object *obj;
	char	   *widened = NULL;
	const char *text;
	size_t		tlen;
	enum json_tokener_error jerr;
	rtcstats_status rc;

	r->nlines = lineno;
	if (lineno == 1)
	{
		if (len == 12 && memcmp(line, "RTCStatsDump", 12) == 0)
		{
			r->format = RTCSTATS_FORMAT_RTCSTATS;
			return RTCSTATS_OK;
		}
		if (len > 0 && line[0] == '{')
			r->format = RTCSTATS_FORMAT_INTERNALS;
		else
			return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 1,
								 "not an rtcstats dump: the first line is not \"RTCStatsDump\" "
								 "and the input is not a webrtc-internals JSON document");
	}
	if (r->format == RTCSTATS_FORMAT_INTERNALS)
	{
		/* one JSON document: collect it, bounded */
		if (r->doc_len + len + 2 > r->opts.max_document_bytes)
			return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, lineno,
								 "webrtc-internals document is larger than %zu bytes",
								 r->opts.max_document_bytes);
		if (r->doc_len + len + 2 > r->doc_cap)
		{
			size_t		cap = r->doc_cap ? r->doc_cap : 65536;
			char	   *p;

			while (cap < r->doc_len + len + 2)
				cap *= 2;
			if ((p = realloc(r->doc, cap)) == NULL)
				return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
			r->doc = p;
			r->doc_cap = cap;
		}
		memcpy(r->doc + r->doc_len, line, len);
		r->doc_len += len;
		r->doc[r->doc_len++] = '\n';
		return RTCSTATS_OK;
	}

	if (len == 0)
		return RTCSTATS_OK;		/* empty lines are ignored */

	/* the text parsed: the line, or its copy with big integers widened */
	switch (rtcstats_json_widen_integers(line, len, &widened, &tlen))
	{
		case 1:
			text = widened;
			break;
		case 0:
			text = line;
			tlen = len;
			break;
		default:
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
	}
	json_tokener_reset(r->tok);
	obj = json_tokener_parse_ex(r->tok, text, (int) tlen);
	jerr = json_tokener_get_error(r->tok);
	if (jerr == json_tokener_success && json_tokener_get_parse_end(r->tok) < tlen)
	{
		/* trailing garbage after the JSON value (spaces are fine) */
		for (size_t i = json_tokener_get_parse_end(r->tok); i < tlen; i++)
			if (!is_js_space(text[i]))
			{
				json_object_put(obj);
				obj = NULL;
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
	}
	if (widened != NULL)
	{
		rtcstats_json_widened(obj, r->opts.max_depth + 1);
		free(widened);
	}
	if (jerr != json_tokener_success)
	{
		json_object_put(obj);
		if (!r->have_metadata)
			return rtcstats_fail(err, RTCSTATS_ERR_JSON, lineno,
								 "metadata line is not valid JSON: %s",
								 jerr == json_tokener_continue ? "unexpected end of line"
								 : json_tokener_error_desc(jerr));
		if (!r->opts.strict_lines)
			return bad_line(r, RTCSTATS_ERR_JSON, lineno, "", err);
		return rtcstats_fail(err, RTCSTATS_ERR_JSON, lineno, "line is not valid JSON: %s",
							 jerr == json_tokener_continue ? "unexpected end of line"
							 : json_tokener_error_desc(jerr));
	}
	if (!r->have_metadata)
	{
		if (!json_object_is_type(obj, json_type_object))
		{
			json_object_put(obj);
			return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, lineno,
								 "metadata line is not a JSON object");
		}
		r->have_metadata = true;
		rc = r->cb.on_metadata ? r->cb.on_metadata(r->arg, obj, err) : RTCSTATS_OK;
		json_object_put(obj);
		return rc;
	}
	if (!json_object_is_type(obj, json_type_array))
	{
		json_object_put(obj);
		return bad_line(r, RTCSTATS_ERR_LINE_SHAPE, lineno, "line is not a JSON array", err);
	}
	rc = event_line(r, obj, lineno, len, err);
	json_object_put(obj);
	return rc;
}

rtcstats_status
rtcstats_reader_feed(rtcstats_reader *r, const void *data, size_t len, rtcstats_error *err)
{
	return rtcstats_input_feed(r->input, data, len, err);
}

rtcstats_status
rtcstats_reader_finish(rtcstats_reader *r, rtcstats_error *err)
{
	rtcstats_status rc = rtcstats_input_finish(r->input, err);

	if (rc != RTCSTATS_OK)
		return rc;
	if (r->nlines == 0)
		return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 0, "the dump is empty");
	if (r->format == RTCSTATS_FORMAT_RTCSTATS && !r->have_metadata)
		return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, r->nlines,
							 "the dump ends before its metadata line");
	if (r->format == RTCSTATS_FORMAT_INTERNALS)
	{
		json_tokener *tok = json_tokener_new_ex(r->opts.max_depth);
		json_object *doc;
		char	   *widened = NULL;
		size_t		wlen;
		enum json_tokener_error jerr;

		if (tok == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
		/* JSON as JSON.parse() takes it: strict, UTF-8, nothing after the object */
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		switch (rtcstats_json_widen_integers(r->doc, r->doc_len, &widened, &wlen))
		{
			case 1:
				free(r->doc);
				r->doc = widened;
				r->doc_len = wlen;
				break;
			case 0:
				break;
			default:
				json_tokener_free(tok);
				return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
		}
		doc = json_tokener_parse_ex(tok, r->doc, (int) r->doc_len);
		if (widened)
			rtcstats_json_widened(doc, r->opts.max_depth + 1);
		jerr = json_tokener_get_error(tok);
		if (jerr == json_tokener_success)
		{
			for (size_t i = json_tokener_get_parse_end(tok); i < r->doc_len; i++)
				if (!is_js_space(r->doc[i]))
				{
					json_object_put(doc);
					doc = NULL;
					jerr = json_tokener_error_parse_unexpected;
					break;
				}
		}
		json_tokener_free(tok);
		free(r->doc);
		r->doc = NULL;
		if (jerr != json_tokener_success || !json_object_is_type(doc, json_type_object))
		{
			json_object_put(doc);
			return rtcstats_fail(err, RTCSTATS_ERR_JSON, 0,
								 "webrtc-internals dump is not a valid JSON object: %s",
								 jerr == json_tokener_success ? "not an object"
								 : jerr == json_tokener_continue ? "unexpected end of input"
								 : json_tokener_error_desc(jerr));
		}
		rc = rtcstats_internals_convert(r, doc, err);
		json_object_put(doc);
	}
	return rc;
}

rtcstats_status
rtcstats_reader_emit_metadata(rtcstats_reader *r, json_object *metadata, rtcstats_error *err)
{
	r->have_metadata = true;
	return r->cb.on_metadata ? r->cb.on_metadata(r->arg, metadata, err) : RTCSTATS_OK;
}

rtcstats_status
rtcstats_reader_emit(rtcstats_reader *r, const char *pc, const char *method, double timestamp,
					 json_object *value, json_object *extra, rtcstats_error *err)
{
	int			pci = -1;

	if (pc != NULL)
	{
		if ((pci = pc_lookup(r, pc, err, 0)) < 0)
			return err ? err->code : RTCSTATS_ERR_NOMEM;
		pc = r->pcs[pci].id;
		if (strcmp(method, "getStats") == 0 && json_object_is_type(value, json_type_object))
		{
			pc_state   *ps = &r->pcs[pci];

			/* a whole report replaces the previous one */
			json_object_put(ps->stats);
			ps->stats = json_object_get(value);
			ps->nentries = 0;
			ps->order_dirty = true;
			if (order_stats(ps, NULL, err, 0) != RTCSTATS_OK)
				return err ? err->code : RTCSTATS_ERR_NOMEM;
			value = ps->stats;
		}
	}
	r->time = timestamp;
	return dispatch(r, pci, pc, method, timestamp, value, extra, 0, 0, err);
}
