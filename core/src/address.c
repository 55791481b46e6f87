/*
 * address.c: obfuscate one IP address (section 7 of the dump format).
 *
 * libWebRTC's IPAddress::ToSensitiveString keeps an IPv4 address's first
 * three octets and an IPv6 address's first three groups (its /48).  Upstream
 * rtcstats applies that to text: a string with four dot-separated parts is
 * IPv4, anything with a colon is IPv6 split on ":".  We keep the IPv4 rule
 * as is (so a four-label hostname loses its last label, as upstream does) but
 * parse IPv6 properly: "::" is expanded first, so a compressed address cannot
 * survive whole, and an IPv4-mapped address is masked as the IPv4 inside it.
 * Text with a colon that is no IPv6 address at all (an "address:port", a
 * mangled value) is replaced whole: we cannot tell which part identifies.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anonymize_internal.h"
#include "hexdigit.h"
#include "rtcstats/anonymize.h"

#define MASKED_GROUP 0x10000	/* a group already written as "x" */

/* What the parser learns of an IPv6 address. */
typedef struct ipv6_text
{
	unsigned	value[8];		/* 0..0xffff, or MASKED_GROUP */
	const char *text[8];		/* the group as written; NULL when "::" implied it */
	size_t		textlen[8];
	const char *v4;				/* an embedded dotted quad (groups 6 and 7) */
	size_t		v4len;
	int			v4octets[4];	/* -1 for a masked "x" last octet */
} ipv6_text;

/*
 * A dotted quad of decimal octets (1-3 digits, at most 255).  With allow_x the
 * last octet may be "x", so our own output parses again (idempotence).
 */
static bool
parse_dotted_quad(const char *s, size_t len, int octets[4], bool allow_x)
{
	size_t		i = 0;

	for (int k = 0; k < 4; k++)
	{
		int			v = 0;
		size_t		start = i;

		if (k > 0)
		{
			if (i >= len || s[i] != '.')
				return false;
			start = ++i;
		}
		if (k == 3 && allow_x && i + 1 == len && (s[i] == 'x' || s[i] == 'X'))
		{
			octets[k] = -1;
			return true;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == start || v > 255)
			return false;
		octets[k] = v;
	}
	return i == len;
}

/*
 * Parse an IPv6 address without its zone ("%eth0").  Groups are 1-4 hex
 * digits (or "x", an already masked group), at most one "::" standing for
 * one or more zero groups, optionally ending with a dotted quad.
 */
static bool
parse_ipv6(const char *s, size_t len, ipv6_text *a)
{
	int			n = 0;
	int			gap = -1;		/* index where "::" stands */
	size_t		i = 0;

	memset(a, 0, sizeof(*a));
	if (len >= 2 && s[0] == ':' && s[1] == ':')
	{
		gap = 0;
		i = 2;
	}
	else if (len == 0 || s[0] == ':')
		return false;
	while (i < len)
	{
		size_t		j = i;

		while (j < len && s[j] != ':')
			j++;
		if (memchr(s + i, '.', j - i) != NULL)
		{
			/* a dotted quad: the last field, two groups */
			if (j != len || n > 6 || !parse_dotted_quad(s + i, j - i, a->v4octets, true))
				return false;
			a->v4 = s + i;
			a->v4len = j - i;
			a->value[n] = a->v4octets[0] << 8 | a->v4octets[1];
			a->value[n + 1] = a->v4octets[3] < 0 ? MASKED_GROUP :
				(unsigned) (a->v4octets[2] << 8 | a->v4octets[3]);
			n += 2;
			i = j;
			break;
		}
		if (n >= 8 || j == i || j - i > 4)
			return false;
		if (j - i == 1 && (s[i] == 'x' || s[i] == 'X'))
			a->value[n] = MASKED_GROUP;
		else
		{
			unsigned	v = 0;

			for (size_t k = i; k < j; k++)
			{
				int			h = rtcstats_hex_digit(s[k]);

				if (h < 0)
					return false;
				v = v << 4 | (unsigned) h;
			}
			a->value[n] = v;
		}
		a->text[n] = s + i;
		a->textlen[n] = j - i;
		n++;
		i = j;
		if (i == len)
			break;
		i++;					/* the ":" */
		if (i < len && s[i] == ':')
		{
			if (gap >= 0)
				return false;	/* a second "::" */
			gap = n;
			i++;
		}
		else if (i == len)
			return false;		/* ends with a single ":" */
	}
	if (gap < 0)
		return n == 8;
	if (n > 7)
		return false;
	/* move the groups after the gap to the end, zeros in between */
	{
		int			tail = n - gap;
		int			shift = 8 - n;

		for (int k = tail - 1; k >= 0; k--)
		{
			a->value[gap + shift + k] = a->value[gap + k];
			a->text[gap + shift + k] = a->text[gap + k];
			a->textlen[gap + shift + k] = a->textlen[gap + k];
		}
		for (int k = gap; k < gap + shift; k++)
		{
			a->value[k] = 0;
			a->text[k] = NULL;
			a->textlen[k] = 0;
		}
	}
	return true;
}

static size_t
put(char *out, size_t pos, const char *s, size_t len)
{
	memcpy(out + pos, s, len);
	return pos + len;
}

static size_t
keep(const char *s, size_t len, char *out)
{
	memcpy(out, s, len);
	out[len] = '\0';
	return len;
}

static bool
zeros(const ipv6_text *a, int from, int to)
{
	for (int k = from; k < to; k++)
		if (a->value[k] != 0)
			return false;
	return true;
}

static size_t
obfuscate_ipv6(const char *s, size_t len, char *out)
{
	const char *zone = memchr(s, '%', len);
	size_t		alen = zone ? (size_t) (zone - s) : len;
	ipv6_text	a;
	size_t		pos = 0;

	if (!parse_ipv6(s, alen, &a))
		return keep("x:x:x:x:x:x:x:x", 15, out);

	/* :: and ::1 say nothing about anyone */
	if (zeros(&a, 0, 7) && (a.value[7] == 0 || a.value[7] == 1))
		return keep(s, len, out);

	/* IPv4-mapped (::ffff:a.b.c.d): the IPv4 rule inside the mapping */
	if (zeros(&a, 0, 5) && a.value[5] == 0xffff)
	{
		int			o[4];
		char		buf[32];
		int			n;

		if (a.v4)
		{
			memcpy(o, a.v4octets, sizeof(o));
			if ((o[0] == 127 && o[1] == 0 && o[2] == 0 && o[3] == 1) ||
				(o[0] == 0 && o[1] == 0 && o[2] == 0 && o[3] == 0))
				return keep(s, len, out);
			/* as written, up to the last octet */
			pos = put(out, 0, s, (size_t) (a.v4 - s));
			{
				const char *last = a.v4 + a.v4len;

				while (last[-1] != '.')
					last--;
				pos = put(out, pos, a.v4, (size_t) (last - a.v4));
			}
			out[pos++] = 'x';
			out[pos] = '\0';
			return pos;
		}
		if (a.value[6] == MASKED_GROUP || a.value[7] == MASKED_GROUP)
			return keep("::ffff:x.x.x.x", 14, out);
		o[0] = (int) (a.value[6] >> 8);
		o[1] = (int) (a.value[6] & 0xff);
		o[2] = (int) (a.value[7] >> 8);
		o[3] = (int) (a.value[7] & 0xff);
		if ((o[0] == 127 && o[1] == 0 && o[2] == 0 && o[3] == 1) ||
			(o[0] | o[1] | o[2] | o[3]) == 0)
			return keep(s, len, out);
		n = snprintf(buf, sizeof(buf), "::ffff:%d.%d.%d.x", o[0], o[1], o[2]);
		return keep(buf, (size_t) n, out);
	}

	/* the /48 as written ("0" where "::" stood), then the interface part masked */
	for (int k = 0; k < 3; k++)
	{
		if (k > 0)
			out[pos++] = ':';
		if (a.text[k])
			pos = put(out, pos, a.text[k], a.textlen[k]);
		else
			out[pos++] = '0';
	}
	pos = put(out, pos, ":x:x:x:x:x", 10);
	out[pos] = '\0';
	return pos;
}

size_t
rtcstats_obfuscate_address_into(const char *s, size_t len, char *out)
{
	const char *lastdot = NULL;
	int			dots = 0;

	if ((len == 9 && memcmp(s, "127.0.0.1", 9) == 0) ||
		(len == 7 && memcmp(s, "0.0.0.0", 7) == 0) ||
		(len == 3 && memcmp(s, "::1", 3) == 0))
		return keep(s, len, out);
	if (memchr(s, ':', len) != NULL)
		return obfuscate_ipv6(s, len, out);
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.')
		{
			dots++;
			lastdot = s + i;
		}
	if (dots == 3)
	{
		size_t		keeplen = (size_t) (lastdot - s) + 1;

		memcpy(out, s, keeplen);
		out[keeplen] = 'x';
		out[keeplen + 1] = '\0';
		return keeplen + 1;
	}
	return keep(s, len, out);	/* a hostname (mDNS "*.local") */
}

/*
 * Whether s is an IP address written on its own: a dotted quad or an IPv6
 * address (with an optional zone).  Used where addresses sit in free text
 * (webrtc-internals values), where "four dot-separated parts" or "has a
 * colon" would catch host names, URLs and times.
 */
bool
rtcstats_is_ip_address(const char *s, size_t len)
{
	int			octets[4];
	ipv6_text	a;
	const char *zone;

	if (memchr(s, ':', len) == NULL)
		return parse_dotted_quad(s, len, octets, false);
	zone = memchr(s, '%', len);
	return parse_ipv6(s, zone ? (size_t) (zone - s) : len, &a) &&
		a.value[7] != MASKED_GROUP && a.value[6] != MASKED_GROUP;
}

char *
rtcstats_obfuscate_address(const char *address)
{
	size_t		len;
	char	   *out;

	if (address == NULL)
		return NULL;
	len = strlen(address);
	if ((out = malloc(RTCSTATS_OBFUSCATED_MAX(len))) == NULL)
		return NULL;
	rtcstats_obfuscate_address_into(address, len, out);
	return out;
}
