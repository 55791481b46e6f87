/*
 * test_utf8.c: the validator against a second formulation of RFC 3629
 * (decode the bit pattern, then refuse overlong, surrogate and > U+10FFFF),
 * over every 1-, 2- and 3-byte sequence and every 4-byte lead with its
 * second byte; then the cases that once got through the proxy's headers.
 */
#include <string.h>

#include "rtcstats/utf8.h"

#include "check.h"

/* Reference: length of a valid sequence at s, or 0, by decoding. */
static size_t
reference_len(const unsigned char *s, size_t n)
{
	size_t		len;
	unsigned long cp;
	static const unsigned long min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min_cp[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static int	mismatches;

static void
compare(const unsigned char *s, size_t n)
{
	if (rtcstats_utf8_seq_len(s, n) != reference_len(s, n))
		mismatches++;
}

int
main(void)
{
	unsigned char b[4];
	char		text[64];

	for (int a = 0; a < 256; a++)
	{
		b[0] = (unsigned char) a;
		compare(b, 1);
		for (int c = 0; c < 256; c++)
		{
			b[1] = (unsigned char) c;
			compare(b, 2);
			for (int d = 0; d < 256; d++)
			{
				b[2] = (unsigned char) d;
				compare(b, 3);
				b[3] = 0x80;
				compare(b, 4);
				b[3] = 0xbf;
				compare(b, 4);
				b[3] = 0x7f;
				compare(b, 4);
			}
		}
	}
	CHECK_EQ_LONG(mismatches, 0);

	CHECK(rtcstats_utf8_valid("plain ascii", 11));
	CHECK(rtcstats_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	CHECK(rtcstats_utf8_valid("", 0));
	CHECK(!rtcstats_utf8_valid("\xc0\xaf", 2));			/* overlong '/' */
	CHECK(!rtcstats_utf8_valid("\xe0\x80\xaf", 3));		/* overlong, 3 bytes */
	CHECK(!rtcstats_utf8_valid("\xed\xa0\x80", 3));		/* surrogate U+D800 */
	CHECK(!rtcstats_utf8_valid("\xf4\x90\x80\x80", 4));	/* U+110000 */
	CHECK(!rtcstats_utf8_valid("\xf5\x80\x80\x80", 4));	/* F5 lead */
	CHECK(!rtcstats_utf8_valid("\xf7\xbf\xbf\xbf", 4));	/* F7 lead */
	CHECK(!rtcstats_utf8_valid("\xe2\x82", 2));			/* truncated */
	CHECK(!rtcstats_utf8_valid("\x80", 1));				/* lone continuation */

	strcpy(text, "ok \xed\xa0\x80 \xc3\xa9 \xff");
	CHECK_EQ_LONG(rtcstats_utf8_repair(text, strlen(text), '?'), 4);
	CHECK_EQ_STR(text, "ok ??? \xc3\xa9 ?");
	CHECK(rtcstats_utf8_valid(text, strlen(text)));
	return check_summary("utf8");
}
