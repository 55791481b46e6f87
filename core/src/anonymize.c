/*
 * anonymize.c: IP obfuscation of candidates, SDP and whole dumps (section 7
 * of the dump format).
 *
 * Upstream (rtcstats-shared/address-obfuscator.js) parses a candidate with the
 * "sdp" package and writes it back with SDPUtils.writeCandidate(), so an
 * anonymized candidate is re-serialized: transport upper-cased, priority and
 * port as JavaScript numbers, "generation", "network-id" and other extension
 * attributes dropped.  We reproduce that writer exactly, because the output
 * must be JSON-equal to upstream's line by line.  SDP lines are trimmed,
 * rejoined with CRLF and end with CRLF, as SDPUtils.splitLines() and the
 * join do.  Only the address rule differs (address.c).
 *
 * Where upstream would throw (a candidate with fewer than five fields, an
 * address that is not a string) and its stream then stores the line
 * unchanged, we never keep the original: such a candidate has every
 * address-like field masked in place, and such a value becomes null.
 *
 * The dump anonymizer decides what to touch from the method, decompressed
 * with the reader's tables, and touches the stats properties in both their
 * full and their compressed (numeric) names.  Compressed SDP needs no
 * decompression: a section that is exactly "m=" holds no address, and the
 * section it stands for was anonymized where it first appeared.  A line with
 * nothing to anonymize is copied as read; a line we changed is re-serialized
 * by json-c (JSON-equal to upstream's JSON.stringify; doubles keep their text).
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
#include "rtcstats/anonymize.h"
#include "rtcstats/input.h"
#include "tables.h"

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_DOCUMENT (256 * 1024 * 1024)

/* A growable string; an allocation failure is sticky and checked once at the end. */
typedef struct sbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		nomem;
} sbuf;

static bool
sb_reserve(sbuf *b, size_t extra)
{
	size_t		cap;
	char	   *p;

	if (b->nomem)
		return false;
	if (extra < b->cap - b->len)
		return true;
	if (extra > ((size_t) -1) / 2 - b->len)
	{
		b->nomem = true;
		return false;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= extra)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
	{
		b->nomem = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

static void
sb_put(sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
sb_puts(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Append the obfuscated form of an address. */
static void
sb_put_obfuscated(sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, RTCSTATS_OBFUSCATED_MAX(n)))
		return;
	b->len += rtcstats_obfuscate_address_into(s, n, b->data + b->len);
}

static void
sb_free(sbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- what JavaScript's String.prototype.trim() and parseInt() do ---- */

/* Bytes of the JavaScript white space or line terminator starting at s[i] (UTF-8), or 0. */
static size_t
js_space_at(const char *s, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *) s + i;
	size_t		left = len - i;

	if (left == 0)
		return 0;
	if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r'))
		return 1;
	if (left >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;				/* U+00A0 */
	if (left < 3)
		return 0;
	if ((u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) ||	/* U+1680 */
		(u[0] == 0xe2 && u[1] == 0x80 && (u[2] <= 0x8a || u[2] == 0xa8 ||
										  u[2] == 0xa9 || u[2] == 0xaf)) ||	/* U+2000-200A,
																			 * 2028, 2029,
																			 * 202F */
		(u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) ||	/* U+205F */
		(u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) ||	/* U+3000 */
		(u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf))		/* U+FEFF */
		return 3;
	return 0;
}

/* Bytes of the JavaScript white space ending just before s[end], or 0. */
static size_t
js_space_before(const char *s, size_t end)
{
	if (end >= 1 && js_space_at(s, end, end - 1) == 1)
		return 1;
	if (end >= 2 && js_space_at(s, end, end - 2) == 2)
		return 2;
	if (end >= 3 && js_space_at(s, end, end - 3) == 3)
		return 3;
	return 0;
}

static void
js_trim(const char *s, size_t *start, size_t *end)
{
	size_t		n;

	while (*start < *end && (n = js_space_at(s, *end, *start)) > 0)
		*start += n;
	while (*end > *start && (n = js_space_before(s, *end)) > 0 && *end - n >= *start)
		*end -= n;
}

/*
 * String(parseInt(s, 10)) into out (at least 32 bytes); returns whether the
 * number is truthy (neither NaN nor zero).  Digits beyond what a double holds
 * round as JavaScript's do, and print as Number.prototype.toString() does.
 */
static bool
js_parse_int(const char *s, size_t len, bool defined, char *out)
{
	size_t		i = 0,
				n;
	bool		neg = false;
	size_t		first,
				ndigits;

	if (!defined)
	{
		strcpy(out, "NaN");
		return false;
	}
	while ((n = js_space_at(s, len, i)) > 0)
		i += n;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	first = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == first)
	{
		strcpy(out, "NaN");
		return false;
	}
	while (first < i - 1 && s[first] == '0')
		first++;
	ndigits = i - first;
	if (ndigits == 1 && s[first] == '0')
	{
		strcpy(out, "0");		/* also "-0" */
		return false;
	}
	if (ndigits <= 15)
	{
		/* exact in a double: the digits as written */
		size_t		p = 0;

		if (neg)
			out[p++] = '-';
		memcpy(out + p, s + first, ndigits);
		out[p + ndigits] = '\0';
		return true;
	}
	if (ndigits > 330)
	{
		strcpy(out, neg ? "-Infinity" : "Infinity");
		return true;
	}
	{
		char		digits[340];
		char		e[40];
		double		d;
		int			prec,
					exp10;
		char		mant[20];
		size_t		m = 0,
					p = 0;

		memcpy(digits, s + first, ndigits);
		digits[ndigits] = '\0';
		d = strtod(digits, NULL);
		if (isinf(d))
		{
			strcpy(out, neg ? "-Infinity" : "Infinity");
			return true;
		}
		/* the shortest digits that read back as d */
		for (prec = 1; prec <= 17; prec++)
		{
			snprintf(e, sizeof(e), "%.*e", prec - 1, d);
			if (strtod(e, NULL) == d)
				break;
		}
		for (const char *c = e; *c && *c != 'e'; c++)
			if (*c != '.')
				mant[m++] = *c;
		exp10 = atoi(strchr(e, 'e') + 1);
		if (neg)
			out[p++] = '-';
		if (exp10 < 21)
		{
			memcpy(out + p, mant, m);
			p += m;
			for (int z = exp10 + 1 - (int) m; z > 0; z--)
				out[p++] = '0';
			out[p] = '\0';
		}
		else
		{
			out[p++] = mant[0];
			if (m > 1)
			{
				out[p++] = '.';
				memcpy(out + p, mant + 1, m - 1);
				p += m - 1;
			}
			snprintf(out + p, 16, "e+%d", exp10);
		}
		return true;
	}
}

/* ---- candidates ---- */

/* One space-separated field of a candidate; defined is false past the end (JS undefined). */
typedef struct field
{
	const char *s;
	size_t		len;
	bool		defined;
} field;

static bool
eq(field f, const char *lit)
{
	return f.defined && f.len == strlen(lit) && memcmp(f.s, lit, f.len) == 0;
}

static bool
truthy(field f)
{
	return f.defined && f.len > 0;
}

static void
sb_put_field(sbuf *b, field f)
{
	if (f.defined)
		sb_put(b, f.s, f.len);
}

/* Mask every field that reads as an IP address, keep the rest as written. */
static void
mask_fields(sbuf *b, const char *s, size_t len)
{
	size_t		i = 0;

	for (;;)
	{
		size_t		j = i;

		while (j < len && s[j] != ' ')
			j++;
		sb_put_obfuscated(b, s + i, j - i);
		if (j == len)
			break;
		sb_put(b, " ", 1);
		i = j + 1;
	}
}

/*
 * Anonymize one candidate ("candidate:..." or "a=candidate:...") into b, as
 * upstream's obfuscateCandidate(): parseCandidate(), mask the address unless
 * the type is relay, mask the related address, writeCandidate().  The prefix
 * written is "candidate:" (writeCandidate's), or the input's "a=candidate:"
 * when keep_a is set.
 */
static void
anonymize_candidate_into(sbuf *b, const char *s, size_t len, bool keep_a)
{
	const char *body = s;
	size_t		blen = len;
	const char *prefix = "candidate:";
	field		part[8];
	size_t		nparts = 0;
	size_t		i = 0;
	field		raddr = {0},
				rport_str = {0},
				tcptype = {0},
				ufrag = {0},
				uname = {0};
	bool		rport_is_number = false;
	bool		rport_truthy = false;
	char		rport_text[48],
				num[48];
	bool		relay;

	if (len >= 12 && memcmp(s, "a=candidate:", 12) == 0)
	{
		body = s + 12;
		blen = len - 12;
		if (keep_a)
			prefix = "a=candidate:";
	}
	else if (len >= 10 && memcmp(s, "candidate:", 10) == 0)
	{
		body = s + 10;
		blen = len - 10;
	}

	/* the eight positional fields, then "name value" pairs */
	for (;;)
	{
		size_t		j = i;
		field		f;

		while (j < blen && body[j] != ' ')
			j++;
		f.s = body + i;
		f.len = j - i;
		f.defined = true;
		if (nparts < 8)
			part[nparts++] = f;
		else
			break;
		if (j == blen)
		{
			i = blen + 1;
			break;
		}
		i = j + 1;
	}
	if (nparts < 5)
	{
		/* upstream throws here and keeps the line: we mask instead */
		if (body != s)
			sb_puts(b, prefix);
		mask_fields(b, body, blen);
		return;
	}
	for (size_t k = nparts; k < 8; k++)
		part[k] = (field) {0};
	while (i <= blen)
	{
		field		name,
					value = {0};
		size_t		j = i;

		while (j < blen && body[j] != ' ')
			j++;
		name = (field) {body + i, j - i, true};
		i = j + 1;
		if (j < blen)
		{
			j = i;
			while (j < blen && body[j] != ' ')
				j++;
			value = (field) {body + i, j - i, true};
			i = j + 1;
		}
		if (eq(name, "raddr"))
			raddr = value;
		else if (eq(name, "rport"))
		{
			rport_is_number = true;
			rport_truthy = js_parse_int(value.s, value.len, value.defined, rport_text);
		}
		else if (eq(name, "tcptype"))
			tcptype = value;
		else if (eq(name, "ufrag"))
			ufrag = uname = value;
		/* other names only fill a property not yet set */
		else if (eq(name, "relatedAddress") && !raddr.defined)
			raddr = value;
		else if (eq(name, "relatedPort") && !rport_is_number && !rport_str.defined)
			rport_str = value;
		else if (eq(name, "tcpType") && !tcptype.defined)
			tcptype = value;
		else if (eq(name, "usernameFragment") && !uname.defined)
			uname = value;
	}

	relay = eq(part[7], "relay");
	sb_puts(b, prefix);
	sb_put_field(b, part[0]);	/* foundation */
	sb_put(b, " ", 1);
	sb_put_field(b, part[1]);	/* component: "1" and "2" round-trip */
	sb_put(b, " ", 1);
	if (sb_reserve(b, part[2].len))
	{
		for (size_t k = 0; k < part[2].len; k++)
		{
			char		c = part[2].s[k];

			b->data[b->len++] = (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
		}
		b->data[b->len] = '\0';
	}
	sb_put(b, " ", 1);
	js_parse_int(part[3].s, part[3].len, true, num);
	sb_puts(b, num);
	sb_put(b, " ", 1);
	if (relay)
		sb_put_field(b, part[4]);
	else
		sb_put_obfuscated(b, part[4].s, part[4].len);
	sb_put(b, " ", 1);
	js_parse_int(part[5].s, part[5].len, part[5].defined, num);
	sb_puts(b, num);
	sb_puts(b, " typ ");
	sb_put_field(b, part[7]);
	if (!eq(part[7], "host") && truthy(raddr) &&
		(rport_is_number ? rport_truthy : truthy(rport_str)))
	{
		sb_puts(b, " raddr ");
		sb_put_obfuscated(b, raddr.s, raddr.len);
		sb_puts(b, " rport ");
		if (rport_is_number)
			sb_puts(b, rport_text);
		else
			sb_put_field(b, rport_str);
	}
	if (truthy(tcptype) && part[2].len == 3 &&
		(part[2].s[0] | 0x20) == 't' && (part[2].s[1] | 0x20) == 'c' && (part[2].s[2] | 0x20) == 'p')
	{
		sb_puts(b, " tcptype ");
		sb_put_field(b, tcptype);
	}
	if (truthy(uname) || truthy(ufrag))
	{
		sb_puts(b, " ufrag ");
		sb_put_field(b, truthy(uname) ? uname : ufrag);
	}
}

/* ---- SDP ---- */

/*
 * Anonymize an SDP blob into b, as upstream's obfuscateSDP(): trim, split at
 * "\n", trim each line, rewrite candidate, c= and a=rtcp: lines, join with
 * CRLF, trim, end with CRLF.
 */
static void
anonymize_sdp_into(sbuf *b, const char *sdp, size_t len)
{
	size_t		start = 0,
				end = len;
	size_t		out0 = b->len;
	size_t		i;

	js_trim(sdp, &start, &end);
	i = start;
	for (;;)
	{
		const char *nl = memchr(sdp + i, '\n', end - i);
		size_t		ls = i,
					le = nl ? (size_t) (nl - sdp) : end;
		size_t		next = le + 1;

		js_trim(sdp, &ls, &le);
		if (le - ls >= 12 && memcmp(sdp + ls, "a=candidate:", 12) == 0)
		{
			sb_put(b, "a=", 2);
			anonymize_candidate_into(b, sdp + ls, le - ls, false);
		}
		else if (le - ls >= 2 && memcmp(sdp + ls, "c=", 2) == 0)
			sb_puts(b, "c=IN IP4 0.0.0.0");
		else if (le - ls >= 7 && memcmp(sdp + ls, "a=rtcp:", 7) == 0)
			sb_puts(b, "a=rtcp:9 IN IP4 0.0.0.0");
		else
			sb_put(b, sdp + ls, le - ls);
		if (nl == NULL)
			break;
		sb_put(b, "\r\n", 2);
		i = next;
	}
	if (b->nomem)
		return;
	/* the joined text is trimmed again (a rewritten last line may end in a space) */
	{
		size_t		s = out0,
					e = b->len;

		js_trim(b->data, &s, &e);
		if (s > out0)
			memmove(b->data + out0, b->data + s, e - s);
		b->len = out0 + (e - s);
	}
	sb_put(b, "\r\n", 2);
}

/* ---- single-value helpers ---- */

static char *
finish_helper(sbuf *b)
{
	if (b->nomem)
	{
		sb_free(b);
		return NULL;
	}
	if (b->data == NULL)
		return strdup("");
	return b->data;
}

char *
rtcstats_anonymize_candidate(const char *candidate)
{
	sbuf		b = {0};

	if (candidate == NULL)
		return NULL;
	if (candidate[0] == '\0')
		return strdup("");		/* end-of-candidates */
	anonymize_candidate_into(&b, candidate, strlen(candidate), true);
	return finish_helper(&b);
}

char *
rtcstats_anonymize_sdp(const char *sdp)
{
	sbuf		b = {0};

	if (sdp == NULL)
		return NULL;
	if (sdp[0] == '\0')
		return strdup("");
	anonymize_sdp_into(&b, sdp, strlen(sdp));
	return finish_helper(&b);
}

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

/* JavaScript truthiness of a JSON value. */
static bool
json_truthy(json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return false;
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
			return true;
	}
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
		anonymize_candidate_into(&a->scratch, s, len, false);
	else
		anonymize_sdp_into(&a->scratch, s, len);
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
	if (json_truthy(v))
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

	return json_object_object_get_ex(obj, key, &v) && json_truthy(v);
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

				if (json_truthy(v))
					json_object_array_put_idx(value, i, rewritten(a, v, REWRITE_ADDRESS, nomem));
			}
		}
		else if (json_truthy(value))
			json_object_array_put_idx(arr, 2, rewritten(a, value, REWRITE_ADDRESS, nomem));
	}
	return touched;
}

static bool
is_text_delimiter(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == ',' || c == ';' || c == '"' ||
		c == '\'' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' ||
		c == '<' || c == '>' || c == '=' || c == '|';
}

/* One word of free text: an address, "address:port", "address/prefix" or "address." is masked. */
static void
sb_put_word(sbuf *b, const char *w, size_t n)
{
	size_t		core = n;
	const char *colon;

	/* sentence punctuation after an address */
	while (core > 0 && (w[core - 1] == '.' || w[core - 1] == ':'))
		core--;
	if (rtcstats_is_ip_address(w, core))
	{
		sb_put_obfuscated(b, w, core);
		sb_put(b, w + core, n - core);
		return;
	}
	/* a.b.c.d:port and a.b.c.d/len */
	for (size_t i = 0; i < n; i++)
		if ((w[i] == ':' || w[i] == '/') && i > 0 && rtcstats_is_ip_address(w, i) &&
			memchr(w, ':', i) == NULL)
		{
			sb_put_obfuscated(b, w, i);
			sb_put(b, w + i, n - i);
			return;
		}
	/* an IPv6 address with a prefix length */
	if ((colon = memchr(w, '/', n)) != NULL && rtcstats_is_ip_address(w, (size_t) (colon - w)))
	{
		sb_put_obfuscated(b, w, (size_t) (colon - w));
		sb_put(b, colon, n - (size_t) (colon - w));
		return;
	}
	sb_put(b, w, n);
}

json_object *
rtcstats_anonymize_text(rtcstats_anonymizer *a, const char *s, size_t len)
{
	size_t		i = 0;

	a->scratch.len = 0;
	a->scratch.nomem = false;
	while (i < len)
	{
		size_t		j = i;

		if (is_text_delimiter(s[i]))
		{
			while (j < len && is_text_delimiter(s[j]))
				j++;
			sb_put(&a->scratch, s + i, j - i);
		}
		else
		{
			while (j < len && !is_text_delimiter(s[j]))
				j++;
			sb_put_word(&a->scratch, s + i, j - i);
		}
		i = j;
	}
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

			if (json_truthy(v))
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
