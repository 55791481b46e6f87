/*
 * utf8.c: see rtcstats/utf8.h.  The ranges are RFC 3629's table of
 * well-formed byte sequences, so an overlong form, a surrogate (ED A0..BF)
 * or a code point above U+10FFFF never passes.
 */
#include "rtcstats/utf8.h"

size_t
rtcstats_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c;
	unsigned char lo = 0x80,
				hi = 0xbf;
	size_t		len;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
	{
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;			/* below is overlong */
		else if (c == 0xed)
			hi = 0x9f;			/* above is a surrogate */
	}
	else if (c >= 0xf0 && c <= 0xf4)
	{
		len = 4;
		if (c == 0xf0)
			lo = 0x90;			/* below is overlong */
		else if (c == 0xf4)
			hi = 0x8f;			/* above is beyond U+10FFFF */
	}
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool
rtcstats_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < n)
	{
		size_t		l;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		l = rtcstats_utf8_seq_len(p + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

size_t
rtcstats_utf8_repair(char *s, size_t n, char replacement)
{
	unsigned char *p = (unsigned char *) s;
	size_t		i = 0,
				bad = 0;

	while (i < n)
	{
		size_t		l = p[i] < 0x80 ? 1 : rtcstats_utf8_seq_len(p + i, n - i);

		if (l == 0)
		{
			p[i++] = (unsigned char) replacement;
			bad++;
		}
		else
			i += l;
	}
	return bad;
}
