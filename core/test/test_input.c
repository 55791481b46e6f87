/*
 * test_input.c: bytes to lines, plain and gzip, fed in any chunking.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "rtcstats/input.h"

typedef struct lines
{
	char		text[8192];
	size_t		len;
	long		n;
} lines;

static rtcstats_status
collect(void *arg, const char *line, size_t len, long lineno, rtcstats_error *err)
{
	lines	   *l = arg;

	CHECK(line[len] == '\0');
	CHECK_EQ_LONG(lineno, l->n + 1);
	l->n++;
	memcpy(l->text + l->len, line, len);
	l->len += len;
	l->text[l->len++] = '|';
	l->text[l->len] = '\0';
	return RTCSTATS_OK;
}

static size_t
gzip_buf(const char *in, size_t len, unsigned char *out, size_t cap)
{
	z_stream	zs = {0};

	deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *) in;
	zs.avail_in = (uInt) len;
	zs.next_out = out;
	zs.avail_out = (uInt) cap;
	deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	return zs.total_out;
}

static size_t document_limit;	/* given to every input feed_all makes */

/* Feed data in chunks of `step` bytes; return the status of finish. */
static rtcstats_status
feed_all(const void *data, size_t len, size_t step, lines *l, size_t max_line, rtcstats_error *err)
{
	rtcstats_input *in = rtcstats_input_new(collect, l, max_line);
	rtcstats_status rc = RTCSTATS_OK;

	rtcstats_input_set_document_limit(in, document_limit);

	memset(l, 0, sizeof(*l));
	for (size_t off = 0; off < len && rc == RTCSTATS_OK; off += step)
		rc = rtcstats_input_feed(in, (const char *) data + off, off + step < len ? step : len - off, err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_input_finish(in, err);
	rtcstats_input_free(in);
	return rc;
}

int
main(void)
{
	const char *text = "RTCStatsDump\n{\"a\":1}\r\n\n[1,2]\nlast";
	unsigned char gz[4096],
				gz2[8192];
	size_t		gzlen;
	lines		l;
	rtcstats_error err;

	/* plain, every chunk size: same lines, CRLF stripped, last line without newline */
	for (size_t step = 1; step < 40; step++)
	{
		CHECK_EQ_LONG(feed_all(text, strlen(text), step, &l, 0, &err), RTCSTATS_OK);
		CHECK_EQ_STR(l.text, "RTCStatsDump|{\"a\":1}||[1,2]|last|");
	}
	/* gzip, every chunk size */
	gzlen = gzip_buf(text, strlen(text), gz, sizeof(gz));
	for (size_t step = 1; step < gzlen + 2; step += 3)
	{
		CHECK_EQ_LONG(feed_all(gz, gzlen, step, &l, 0, &err), RTCSTATS_OK);
		CHECK_EQ_STR(l.text, "RTCStatsDump|{\"a\":1}||[1,2]|last|");
	}
	/* two gzip members concatenated, as gzip(1) accepts */
	memcpy(gz2, gz, gzlen);
	memcpy(gz2 + gzlen, gz, gzlen);
	CHECK_EQ_LONG(feed_all(gz2, 2 * gzlen, 7, &l, 0, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(l.n, 9);		/* "last" + "RTCStatsDump" join across the members */
	/* truncated gzip */
	CHECK_EQ_LONG(feed_all(gz, gzlen - 5, 4, &l, 0, &err), RTCSTATS_ERR_GZIP);
	CHECK(strstr(err.detail, "truncated") != NULL);
	/* corrupt gzip */
	memcpy(gz2, gz, gzlen);
	for (size_t i = 12; i < gzlen - 8; i++)
		gz2[i] ^= 0x5a;
	CHECK_EQ_LONG(feed_all(gz2, gzlen, 5, &l, 0, &err), RTCSTATS_ERR_GZIP);
	/* line limit: refused with the line number, not allocated */
	CHECK_EQ_LONG(feed_all("ab\ncdefgh\nij", 12, 2, &l, 4, &err), RTCSTATS_ERR_TOO_LARGE);
	CHECK_EQ_LONG(err.line, 2);
	CHECK_EQ_LONG(feed_all("ab\ncdefgh\nij", 12, 100, &l, 4, &err), RTCSTATS_ERR_TOO_LARGE);
	CHECK_EQ_LONG(err.line, 2);
	CHECK_EQ_LONG(feed_all("abcd\nefgh", 9, 3, &l, 4, &err), RTCSTATS_OK);
	/* a single byte, and nothing at all */
	CHECK_EQ_LONG(feed_all("x", 1, 1, &l, 0, &err), RTCSTATS_OK);
	CHECK_EQ_STR(l.text, "x|");
	CHECK_EQ_LONG(feed_all("", 0, 1, &l, 0, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(l.n, 0);

	/* one JSON document (webrtc-internals) is bounded by the document limit */
	document_limit = 16;
	CHECK_EQ_LONG(feed_all("{\"a\":\"0123456789\"}", 18, 3, &l, 8, &err), RTCSTATS_ERR_TOO_LARGE);
	CHECK_EQ_LONG(feed_all("{\"a\":\"01234567\"}", 16, 3, &l, 8, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(l.n, 1);
	/* ... and only a document: other lines keep the line limit */
	CHECK_EQ_LONG(feed_all("[\"a\",\"01234567\"]", 16, 3, &l, 8, &err), RTCSTATS_ERR_TOO_LARGE);
	{
		unsigned char docgz[256];
		size_t		docgzlen = gzip_buf("{\"a\":\"01234567\"}", 16, docgz, sizeof(docgz));

		CHECK_EQ_LONG(feed_all(docgz, docgzlen, 5, &l, 8, &err), RTCSTATS_OK);
	}
	document_limit = 0;
	CHECK_EQ_LONG(feed_all("{\"a\":\"01234567\"}", 16, 3, &l, 8, &err), RTCSTATS_ERR_TOO_LARGE);
	return check_summary("input");
}
