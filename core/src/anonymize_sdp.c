/*
 * anonymize_sdp.c: anonymize one ICE candidate or one SDP (section 7 of the
 * dump format), as upstream's obfuscateCandidate() and obfuscateSDP() do.
 *
 * Upstream (rtcstats-shared/address-obfuscator.js) parses a candidate with the
 * "sdp" package and writes it back with SDPUtils.writeCandidate(), so an
 * anonymized candidate is re-serialized: transport upper-cased, priority and
 * port as JavaScript numbers, "generation", "network-id" and other extension
 * attributes dropped.  We reproduce that writer exactly, because a dump's
 * output must be JSON-equal to upstream's line by line; hence the small
 * emulations of JavaScript's trim() and parseInt() below.  SDP lines are
 * trimmed, rejoined with CRLF and end with CRLF, as SDPUtils.splitLines() and
 * the join do.  Only the address rule differs (address.c).
 *
 * Where upstream would throw (a candidate with fewer than five fields) and
 * its stream then stores the line unchanged, we never keep the original:
 * every field of such a candidate that reads as an address is masked in place.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anonymize_internal.h"
#include "rtcstats/anonymize.h"

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

/* ---- free text ---- */

/*
 * Words are runs of the characters an address, a host name or a URL is made
 * of; everything else (white space, punctuation, any non-ASCII byte such as
 * a no-break space) separates them and is copied as it is.
 */
static bool
is_text_delimiter(char c)
{
	return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 c == '.' || c == ':' || c == '%' || c == '-' || c == '_' || c == '/');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The length of a dotted quad (1-3 digits per part) starting at w[i], or 0. */
static size_t
dotted_quad_at(const char *w, size_t n, size_t i)
{
	size_t		j = i;

	for (int part = 0; part < 4; part++)
	{
		size_t		start;

		if (part > 0)
		{
			if (j >= n || w[j] != '.')
				return 0;
			j++;
		}
		start = j;
		while (j < n && is_digit(w[j]) && j - start < 3)
			j++;
		if (j == start)
			return 0;
	}
	return j - i;
}

/*
 * One word of free text: an address, "address:port", "address/len" or
 * "address." is masked; failing those, every dotted quad inside the word
 * ("ip-10.0.0.1-x") is, so no IPv4 address survives whatever surrounds it.
 */
static void
sb_put_word(sbuf *b, const char *w, size_t n)
{
	size_t		core = n;
	const char *slash;
	size_t		copied = 0;

	/* sentence punctuation after an address */
	while (core > 0 && (w[core - 1] == '.' || w[core - 1] == ':'))
		core--;
	if (rtcstats_is_ip_address(w, core))
	{
		sb_put_obfuscated(b, w, core);
		sb_put(b, w + core, n - core);
		return;
	}
	/* an IPv6 address with a prefix length */
	if ((slash = memchr(w, '/', n)) != NULL && rtcstats_is_ip_address(w, (size_t) (slash - w)))
	{
		sb_put_obfuscated(b, w, (size_t) (slash - w));
		sb_put(b, slash, n - (size_t) (slash - w));
		return;
	}
	/* dotted quads anywhere: a.b.c.d:port, a.b.c.d/len, turn:a.b.c.d:3478, ... */
	for (size_t i = 0; i < n; i++)
	{
		size_t		q;

		if (!is_digit(w[i]) || (i > 0 && is_digit(w[i - 1])))
			continue;
		q = dotted_quad_at(w, n, i);
		if (q == 0 || (i + q < n && (is_digit(w[i + q]) || (w[i + q] == '.' && i + q + 1 < n &&
																  is_digit(w[i + q + 1])))))
			continue;
		sb_put(b, w + copied, i - copied);
		sb_put_obfuscated(b, w + i, q);
		copied = i + q;
		i += q - 1;
	}
	sb_put(b, w + copied, n - copied);
}

void
rtcstats_text_into(sbuf *b, const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		j = i;

		if (is_text_delimiter(s[i]))
		{
			while (j < len && is_text_delimiter(s[j]))
				j++;
			sb_put(b, s + i, j - i);
		}
		else
		{
			while (j < len && !is_text_delimiter(s[j]))
				j++;
			sb_put_word(b, s + i, j - i);
		}
		i = j;
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

/*
 * A field where upstream expects one address: the address rule (address.c),
 * as upstream.  A field with white space or other separators in it (never
 * from a browser) then also has every IP address left in it masked, where
 * upstream would keep "host.local\t10.0.0.1" whole as a "hostname".
 */
static bool
has_delimiter(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_text_delimiter(s[i]))
			return true;
	return false;
}

static void
sb_put_address(sbuf *b, const char *s, size_t n)
{
	sbuf		tmp = {0};

	if (!has_delimiter(s, n))
	{
		sb_put_obfuscated(b, s, n);
		return;
	}
	/* upstream's rule first (its output where it masks), then any address left inside */
	sb_put_obfuscated(&tmp, s, n);
	if (tmp.nomem)
		b->nomem = true;
	else
		rtcstats_text_into(b, tmp.data, tmp.len);
	sb_free(&tmp);
}

/* A field upstream writes back as it is: the same, but an IP address hidden in it is masked. */
static void
sb_put_field(sbuf *b, field f)
{
	if (f.defined)
		rtcstats_text_into(b, f.s, f.len);
}

/* Mask every space-separated field that reads as an address, keep the rest as written. */
static void
mask_fields(sbuf *b, const char *s, size_t len)
{
	size_t		i = 0;

	for (;;)
	{
		size_t		j = i;

		while (j < len && s[j] != ' ')
			j++;
		sb_put_address(b, s + i, j - i);
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
void
rtcstats_candidate_into(sbuf *b, const char *s, size_t len, bool keep_a)
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
	/* component: parseCandidate names 1 and 2 "rtp" and "rtcp", writeCandidate numbers those */
	if (eq(part[1], "rtp"))
		sb_put(b, "1", 1);
	else if (eq(part[1], "rtcp"))
		sb_put(b, "2", 1);
	else
		sb_put_field(b, part[1]);
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
	if (relay && !has_delimiter(part[4].s, part[4].len))
		sb_put(b, part[4].s, part[4].len);	/* the TURN server's: kept */
	else
		sb_put_address(b, part[4].s, part[4].len);
	sb_put(b, " ", 1);
	js_parse_int(part[5].s, part[5].len, part[5].defined, num);
	sb_puts(b, num);
	sb_puts(b, " typ ");
	sb_put_field(b, part[7]);
	if (!eq(part[7], "host") && truthy(raddr) &&
		(rport_is_number ? rport_truthy : truthy(rport_str)))
	{
		sb_puts(b, " raddr ");
		sb_put_address(b, raddr.s, raddr.len);
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
void
rtcstats_sdp_into(sbuf *b, const char *sdp, size_t len)
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
			rtcstats_candidate_into(b, sdp + ls, le - ls, false);
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
	rtcstats_candidate_into(&b, candidate, strlen(candidate), true);
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
	rtcstats_sdp_into(&b, sdp, strlen(sdp));
	return finish_helper(&b);
}
