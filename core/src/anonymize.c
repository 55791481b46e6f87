/*
 * anonymize.c: IP obfuscation of whole dumps (section 7 of the dump format),
 * streaming, line by line.
 *
 * The anonymizer decides what to touch from the method, decompressed with
 * the reader's tables, and touches the stats properties in both their full
 * and their compressed (numeric) names.  Candidates and SDP are rewritten by
 * anonymize_sdp.c, addresses by address.c.  Compressed SDP needs no
 * decompression: a section that is exactly "m=" holds no address, and the
 * section it stands for was anonymized where it first appeared.  A line with
 * nothing to anonymize is copied as read; a line with an address field is
 * re-serialized by json-c (JSON-equal to upstream's JSON.stringify; doubles
 * keep their text).  A value where an address is expected that is no string
 * (upstream throws on it and stores the line raw) becomes null.
 *
 * A webrtc-internals document is collected whole and handed to
 * anonymize_internals.c, which uses the event rewrite below and the free-text
 * masker (every word that is an IP address) for Chrome's text values.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "anonymize_internal.h"
#include "features_internal.h"	/* js_truthy: upstream tests values as JavaScript does */
#include "rtcstats/anonymize.h"
#include "rtcstats/input.h"
#include "tables.h"

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_DOCUMENT (64 * 1024 * 1024)	/* as the reader's (reader.c) */

/* ---- the dump anonymizer ---- */

struct rtcstats_anonymizer
{
	rtcstats_reader_options opts;
	rtcstats_write_fn write;
	void	   *arg;
	rtcstats_input *input;
	json_tokener *tok;
	long		nlines;
	bool		have_metadata;
	long		skipped;
	rtcstats_status failed;		/* sticky: the first error */
	sbuf		out;			/* the line being written */
	sbuf		scratch;		/* a rewritten string value */
	sbuf		parsebuf;		/* a line with long integers widened */
	bool		internals;		/* a webrtc-internals document, collected whole */
	sbuf		doc;
	char		ckey_address[24];
	char		ckey_related[24];
	char		ckey_type[24];
};

/* The stats properties we touch, under their full names. */
static const char *const key_address = "address";
static const char *const key_related = "relatedAddress";
static const char *const key_type = "candidateType";

/*
 * Their compressed (numeric) names, from the reader's table, so a new table
 * cannot leave us matching the wrong property.  Kept per anonymizer: no
 * mutable static state, the proxy runs anonymizers in several threads.
 */
static void
compressed_key(const char *name, char *out, size_t size)
{
	for (size_t n = 0; n < rtcstats_stats_properties_table.nnumeric; n++)
	{
		const char *v = rtcstats_stats_properties_table.numeric[n];

		if (v != NULL && strcmp(v, name) == 0)
		{
			snprintf(out, size, "%zu", n);
			return;
		}
	}
	snprintf(out, size, "%s", name);	/* uncompressed: the same name again, harmless */
}

typedef enum rewrite
{
	REWRITE_ADDRESS,
	REWRITE_HOST_PORT,
	REWRITE_CANDIDATE,
	REWRITE_SDP
} rewrite;

/* "192.0.2.7:5000" or "[2001:db8::7]:5000": the address part obfuscated, the port kept. */
static void
sb_put_host_port(sbuf *b, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	const char *close;

	if (len > 0 && s[0] == '[' && (close = memchr(s, ']', len)) != NULL)
	{
		sb_put(b, "[", 1);
		sb_put_obfuscated(b, s + 1, (size_t) (close - s) - 1);
		sb_put(b, close, len - (size_t) (close - s));
	}
	else if (colon != NULL && memchr(colon + 1, ':', len - (size_t) (colon - s) - 1) == NULL)
	{
		sb_put_obfuscated(b, s, (size_t) (colon - s));
		sb_put(b, colon, len - (size_t) (colon - s));
	}
	else
		sb_put_obfuscated(b, s, len);
}

/*
 * The replacement for a truthy value where an address, candidate or SDP is
 * expected, or NULL (JSON null) for a value that is no string and might hide
 * one.  Numbers are left alone (returned with a new reference): they cannot
 * hold an address's text, and [method, pc, delta] puts the delta there.
 * *err_nomem is set when the replacement could not be allocated.
 */
static json_object *
rewritten(rtcstats_anonymizer *a, json_object *v, rewrite how, bool *nomem)
{
	const char *s;
	size_t		len;
	json_object *r;

	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		return json_object_get(v);
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = (size_t) json_object_get_string_len(v);
	a->scratch.len = 0;
	a->scratch.nomem = false;
	if (how == REWRITE_ADDRESS)
		sb_put_obfuscated(&a->scratch, s, len);
	else if (how == REWRITE_HOST_PORT)
		sb_put_host_port(&a->scratch, s, len);
	else if (how == REWRITE_CANDIDATE)
		rtcstats_candidate_into(&a->scratch, s, len, false);
	else
		rtcstats_sdp_into(&a->scratch, s, len);
	if (a->scratch.nomem || a->scratch.len > INT_MAX ||
		(r = json_object_new_string_len(a->scratch.data ? a->scratch.data : "",
										(int) a->scratch.len)) == NULL)
	{
		*nomem = true;
		return json_object_get(v);
	}
	return r;
}

/* Rewrite obj[key] if truthy; returns whether the key exists (so the line is re-serialized). */
static bool
rewrite_member(rtcstats_anonymizer *a, json_object *obj, const char *key, rewrite how,
			   bool *nomem)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return false;
	if (js_truthy(v, true))
		json_object_object_add(obj, key, rewritten(a, v, how, nomem));
	return true;
}

static bool
is_relay(json_object *report, const char *key)
{
	json_object *t;

	return json_object_object_get_ex(report, key, &t) &&
		json_object_is_type(t, json_type_string) &&
		strcmp(json_object_get_string(t), "relay") == 0;
}

static bool
member_truthy(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) && js_truthy(v, true);
}

/*
 * One stats report, as upstream's obfuscateStats(): address (unless the
 * report is a relay candidate) and relatedAddress, each under its full and
 * its compressed name, the relay test using the same form of name; "ip"
 * goes with the address.  Unlike upstream, an "ip" without an address is
 * deleted too (old browsers reported only "ip").
 */
static bool
anonymize_report(rtcstats_anonymizer *a, json_object *report, bool *nomem)
{
	const char *const keys[] = {key_address, a->ckey_address, key_related, a->ckey_related, "ip"};
	bool		touched = false;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		touched |= json_object_object_get_ex(report, keys[k], NULL);
	if (!touched)
		return false;
	if (member_truthy(report, key_address) && !is_relay(report, key_type))
	{
		rewrite_member(a, report, key_address, REWRITE_ADDRESS, nomem);
		json_object_object_del(report, "ip");
	}
	if (member_truthy(report, a->ckey_address) && !is_relay(report, a->ckey_type))
	{
		rewrite_member(a, report, a->ckey_address, REWRITE_ADDRESS, nomem);
		json_object_object_del(report, "ip");
	}
	rewrite_member(a, report, key_related, REWRITE_ADDRESS, nomem);
	rewrite_member(a, report, a->ckey_related, REWRITE_ADDRESS, nomem);
	if (member_truthy(report, "ip") && !is_relay(report, key_type) && !is_relay(report, a->ckey_type))
		json_object_object_del(report, "ip");
	return true;
}

/* An event line: returns whether the array was changed (or holds an address field). */
bool
rtcstats_anonymize_event(rtcstats_anonymizer *a, json_object *arr, bool *nomem)
{
	size_t		n = json_object_array_length(arr);
	json_object *jm = n > 0 ? json_object_array_get_idx(arr, 0) : NULL;
	json_object *value = n > 2 ? json_object_array_get_idx(arr, 2) : NULL;
	const char *method;
	char		mbuf[32];
	bool		touched = false;

	switch (json_object_get_type(jm))
	{
		case json_type_string:
			method = json_object_get_string(jm);
			break;
		case json_type_int:
			snprintf(mbuf, sizeof(mbuf), "%lld", (long long) json_object_get_int64(jm));
			method = mbuf;
			break;
		case json_type_double:
			{
				double		d = json_object_get_double(jm);

				if (d != floor(d) || fabs(d) > 1e6)
					return false;	/* no method has such a number */
				snprintf(mbuf, sizeof(mbuf), "%.0f", d);
				method = mbuf;
				break;
			}
		default:
			return false;
	}
	{
		const char *full = rtcstats_table_lookup(&rtcstats_methods_table, method, strlen(method));

		if (full)
			method = full;
	}
	if (value == NULL)
		return false;

	if (strcmp(method, "onicecandidate") == 0 || strcmp(method, "addIceCandidate") == 0)
	{
		if (json_object_is_type(value, json_type_object))
			touched = rewrite_member(a, value, "candidate", REWRITE_CANDIDATE, nomem);
	}
	else if (strcmp(method, "setLocalDescription") == 0 ||
			 strcmp(method, "setLocalDescriptionOnSuccess") == 0 ||
			 strcmp(method, "setRemoteDescription") == 0 ||
			 strcmp(method, "createOfferOnSuccess") == 0 ||
			 strcmp(method, "createAnswerOnSuccess") == 0)
	{
		if (json_object_is_type(value, json_type_object))
			touched = rewrite_member(a, value, "sdp", REWRITE_SDP, nomem);
	}
	else if (strcmp(method, "getStats") == 0)
	{
		if (json_object_is_type(value, json_type_object))
		{
			json_object_object_foreach(value, id, report)
			{
				(void) id;
				if (json_object_is_type(report, json_type_object))
					touched |= anonymize_report(a, report, nomem);
			}
		}
		else if (json_object_is_type(value, json_type_array))
		{
			for (size_t i = 0; i < json_object_array_length(value); i++)
			{
				json_object *report = json_object_array_get_idx(value, i);

				if (json_object_is_type(report, json_type_object))
					touched |= anonymize_report(a, report, nomem);
			}
		}
	}
	else if (strcmp(method, "onicecandidateerror") == 0)
	{
		/*
		 * Not in upstream: the local address the failing STUN/TURN request
		 * left from (the same one a host candidate carries, which we mask).
		 * The url is the server's and stays, as relay addresses do.
		 */
		if (json_object_is_type(value, json_type_object))
		{
			touched = rewrite_member(a, value, "address", REWRITE_ADDRESS, nomem);
			touched |= rewrite_member(a, value, "hostCandidate", REWRITE_HOST_PORT, nomem);
		}
	}
	else if (strcmp(method, "publicIP") == 0)
	{
		touched = true;
		if (json_object_is_type(value, json_type_array))
		{
			for (size_t i = 0; i < json_object_array_length(value); i++)
			{
				json_object *v = json_object_array_get_idx(value, i);

				if (js_truthy(v, true))
					json_object_array_put_idx(value, i, rewritten(a, v, REWRITE_ADDRESS, nomem));
			}
		}
		else if (js_truthy(value, true))
			json_object_array_put_idx(arr, 2, rewritten(a, value, REWRITE_ADDRESS, nomem));
	}
	return touched;
}

json_object *
rtcstats_anonymize_text(rtcstats_anonymizer *a, const char *s, size_t len)
{
	a->scratch.len = 0;
	a->scratch.nomem = false;
	rtcstats_text_into(&a->scratch, s, len);
	if (a->scratch.nomem || a->scratch.len > INT_MAX)
		return NULL;
	return json_object_new_string_len(a->scratch.data ? a->scratch.data : "", (int) a->scratch.len);
}

/* The metadata line: its remoteAddresses (the WebSocket peers). */
static bool
anonymize_metadata(rtcstats_anonymizer *a, json_object *meta, bool *nomem)
{
	json_object *ra;

	if (!json_object_object_get_ex(meta, "remoteAddresses", &ra))
		return false;
	if (json_object_is_type(ra, json_type_array))
	{
		for (size_t i = 0; i < json_object_array_length(ra); i++)
		{
			json_object *v = json_object_array_get_idx(ra, i);

			if (js_truthy(v, true))
				json_object_array_put_idx(ra, i, rewritten(a, v, REWRITE_ADDRESS, nomem));
		}
	}
	else
		rewrite_member(a, meta, "remoteAddresses", REWRITE_ADDRESS, nomem);
	return true;
}

static rtcstats_status
emit(rtcstats_anonymizer *a, const char *s, size_t len, long lineno, rtcstats_error *err)
{
	a->out.len = 0;
	sb_put(&a->out, s, len);
	sb_put(&a->out, "\n", 1);
	if (a->out.nomem)
	{
		a->out.nomem = false;
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
	}
	return a->write(a->arg, a->out.data, a->out.len, err);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * json-c saturates an integer literal beyond 64 bits (99999999999999999999999
 * reads as 18446744073709551615) where JavaScript reads a double (1e23).  A
 * line we re-serialize must keep its numbers, so such a literal gets ".0"
 * appended before parsing: json-c then reads a double, which it writes back as
 * that text (JSON-equal: the same JavaScript number).  Literals json-c holds
 * exactly keep their text.
 * Returns the text to parse: the line itself, or a patched copy in b (NULL
 * when out of memory).
 */
/* Whether the integer of ndigits digits at d lies outside uint64 (positive) or int64 (negative). */
static bool
beyond_64_bits(const char *d, size_t ndigits, bool negative)
{
	const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
	size_t		limlen = strlen(limit);

	while (ndigits > 1 && *d == '0')
	{
		d++;
		ndigits--;
	}
	if (ndigits != limlen)
		return ndigits > limlen;
	return memcmp(d, limit, limlen) > 0;
}

static const char *
widen_long_integers(sbuf *b, const char *line, size_t len, size_t *outlen)
{
	bool		in_string = false;
	size_t		copied = 0;

	b->len = 0;
	b->nomem = false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = line[i];
		size_t		digits = 0;

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
		{
			in_string = true;
			continue;
		}
		if (c != '-' && (c < '0' || c > '9'))
			continue;
		if (c == '-')
			i++;
		while (i < len && line[i] >= '0' && line[i] <= '9')
		{
			i++;
			digits++;
		}
		if (digits >= 19 && (i == len || (line[i] != '.' && line[i] != 'e' && line[i] != 'E')) &&
			beyond_64_bits(line + i - digits, digits, c == '-'))
		{
			sb_put(b, line + copied, i - copied);
			sb_put(b, ".0", 2);
			copied = i;
		}
		/* the rest of the number (fraction, exponent) holds no integer literal */
		while (i < len && ((line[i] >= '0' && line[i] <= '9') || line[i] == '.' ||
						   line[i] == 'e' || line[i] == 'E' || line[i] == '+' || line[i] == '-'))
			i++;
		i--;
	}
	*outlen = len;
	if (copied == 0)
		return line;
	sb_put(b, line + copied, len - copied);
	if (b->nomem)
		return NULL;
	*outlen = b->len;
	return b->data;
}

const char *
rtcstats_widen_long_integers(rtcstats_anonymizer *a, const char *s, size_t len, size_t *outlen)
{
	return widen_long_integers(&a->parsebuf, s, len, outlen);
}

static rtcstats_status
on_line(void *arg, const char *line, size_t len, long lineno, rtcstats_error *err)
{
	rtcstats_anonymizer *a = arg;
	json_object *obj;
	enum json_tokener_error jerr;
	bool		touched,
				nomem = false;
	rtcstats_status rc;
	const char *text;
	size_t		textlen;

	a->nlines = lineno;
	if (lineno == 1)
	{
		if (len == 12 && memcmp(line, "RTCStatsDump", 12) == 0)
			return emit(a, line, len, lineno, err);
		if (len > 0 && line[0] == '{')
			a->internals = true;
		else
			return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 1,
								 "not an rtcstats dump: the first line is not \"RTCStatsDump\" "
								 "and the input is not a webrtc-internals JSON document");
	}
	if (a->internals)
	{
		/* one JSON document: collect it, bounded, anonymize it at the end */
		if (len + 1 > a->opts.max_document_bytes - a->doc.len || len + 1 > a->opts.max_document_bytes)
			return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, lineno,
								 "webrtc-internals document is larger than %zu bytes",
								 a->opts.max_document_bytes);
		sb_put(&a->doc, line, len);
		sb_put(&a->doc, "\n", 1);
		if (a->doc.nomem)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
		return RTCSTATS_OK;
	}
	if (len == 0)
		return RTCSTATS_OK;		/* empty lines are dropped, as upstream's stream does */

	if ((text = widen_long_integers(&a->parsebuf, line, len, &textlen)) == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
	if (textlen > INT_MAX)
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, lineno, "line is longer than %d bytes",
							 INT_MAX);
	json_tokener_reset(a->tok);
	obj = json_tokener_parse_ex(a->tok, text, (int) textlen);
	jerr = json_tokener_get_error(a->tok);
	if (jerr == json_tokener_success && json_tokener_get_parse_end(a->tok) < textlen)
	{
		for (size_t i = json_tokener_get_parse_end(a->tok); i < textlen; i++)
			if (!is_space(text[i]))
			{
				json_object_put(obj);
				obj = NULL;
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
	}
	if (jerr != json_tokener_success)
	{
		const char *why = jerr == json_tokener_continue ? "unexpected end of line"
			: json_tokener_error_desc(jerr);

		json_object_put(obj);
		if (!a->have_metadata)
			return rtcstats_fail(err, RTCSTATS_ERR_JSON, lineno,
								 "metadata line is not valid JSON: %s", why);
		if (a->opts.skip_bad_lines)
		{
			a->skipped++;		/* dropped: a line we cannot read may hold anything */
			return RTCSTATS_OK;
		}
		return rtcstats_fail(err, RTCSTATS_ERR_JSON, lineno, "line is not valid JSON: %s", why);
	}
	if (!a->have_metadata)
	{
		if (!json_object_is_type(obj, json_type_object))
		{
			json_object_put(obj);
			return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, lineno,
								 "metadata line is not a JSON object");
		}
		a->have_metadata = true;
		touched = anonymize_metadata(a, obj, &nomem);
	}
	else
	{
		if (!json_object_is_type(obj, json_type_array))
		{
			json_object_put(obj);
			if (a->opts.skip_bad_lines)
			{
				a->skipped++;
				return RTCSTATS_OK;
			}
			return rtcstats_fail(err, RTCSTATS_ERR_LINE_SHAPE, lineno, "line is not a JSON array");
		}
		touched = rtcstats_anonymize_event(a, obj, &nomem);
	}
	if (nomem)
		rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
	else if (touched)
	{
		size_t		slen;
		const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
														  JSON_C_TO_STRING_NOSLASHESCAPE, &slen);

		rc = s ? emit(a, s, slen, lineno, err)
			: rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
	}
	else
		rc = emit(a, line, len, lineno, err);
	json_object_put(obj);
	return rc;
}

rtcstats_anonymizer *
rtcstats_anonymizer_new(const rtcstats_reader_options *opts, rtcstats_write_fn write, void *arg)
{
	rtcstats_anonymizer *a;

	if (write == NULL)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if (opts)
		a->opts = *opts;
	if (a->opts.max_depth <= 0)
		a->opts.max_depth = DEFAULT_MAX_DEPTH;
	if (a->opts.max_document_bytes == 0)
		a->opts.max_document_bytes = DEFAULT_MAX_DOCUMENT;
	a->write = write;
	a->arg = arg;
	compressed_key(key_address, a->ckey_address, sizeof(a->ckey_address));
	compressed_key(key_related, a->ckey_related, sizeof(a->ckey_related));
	compressed_key(key_type, a->ckey_type, sizeof(a->ckey_type));
	a->input = rtcstats_input_new(on_line, a, a->opts.max_line_bytes);
	if (a->input)
		rtcstats_input_set_document_limit(a->input, a->opts.max_document_bytes);
	a->tok = json_tokener_new_ex(a->opts.max_depth);
	if (a->tok)
		json_tokener_set_flags(a->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (!a->input || !a->tok)
	{
		rtcstats_anonymizer_free(a);
		return NULL;
	}
	return a;
}

rtcstats_status
rtcstats_anonymizer_feed(rtcstats_anonymizer *a, const void *data, size_t len,
						 rtcstats_error *err)
{
	rtcstats_status rc;

	if (a->failed != RTCSTATS_OK)
		return rtcstats_fail(err, a->failed, 0, "the anonymizer already failed");
	rc = rtcstats_input_feed(a->input, data, len, err);
	a->failed = rc;
	return rc;
}

rtcstats_status
rtcstats_anonymizer_finish(rtcstats_anonymizer *a, rtcstats_error *err)
{
	rtcstats_status rc;

	if (a->failed != RTCSTATS_OK)
		return rtcstats_fail(err, a->failed, 0, "the anonymizer already failed");
	rc = rtcstats_input_finish(a->input, err);
	if (rc == RTCSTATS_OK && a->nlines == 0)
		rc = rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 0, "the dump is empty");
	else if (rc == RTCSTATS_OK && a->internals)
	{
		rc = rtcstats_anonymize_internals(a, a->doc.data, a->doc.len, a->opts.max_depth,
										  a->write, a->arg, err);
		sb_free(&a->doc);
	}
	else if (rc == RTCSTATS_OK && !a->have_metadata)
		rc = rtcstats_fail(err, RTCSTATS_ERR_FORMAT, a->nlines,
						   "the dump ends before its metadata line");
	a->failed = rc;
	return rc;
}

void
rtcstats_anonymizer_free(rtcstats_anonymizer *a)
{
	if (a == NULL)
		return;
	rtcstats_input_free(a->input);
	if (a->tok)
		json_tokener_free(a->tok);
	sb_free(&a->out);
	sb_free(&a->scratch);
	sb_free(&a->parsebuf);
	sb_free(&a->doc);
	free(a);
}

long
rtcstats_anonymizer_skipped_lines(const rtcstats_anonymizer *a)
{
	return a->skipped;
}
