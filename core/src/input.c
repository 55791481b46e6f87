/*
 * input.c: raw dump bytes (plain or gzip) to lines.
 *
 * Gzip is detected from the first two bytes (1f 8b), as upstream's
 * maybeUncompressDump() does.  Inflated output and plain input go through the
 * same line splitter, which keeps at most one partial line; a line longer than
 * max_line_bytes stops the input instead of growing the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "rtcstats/input.h"

#define INFLATE_CHUNK (256 * 1024)

typedef enum
{
	INPUT_SNIFFING,				/* fewer than two bytes seen */
	INPUT_PLAIN,
	INPUT_GZIP
} input_mode;

struct rtcstats_input
{
	rtcstats_line_fn on_line;
	void	   *arg;
	size_t		max_line;
	size_t		max_document;	/* max_line when the input is one JSON document */
	bool		document;		/* it is: max_line is max_document */
	input_mode	mode;
	unsigned char sniff[2];
	size_t		nsniff;

	/* the partial line carried between feeds */
	char	   *line;
	size_t		line_len;
	size_t		line_cap;
	long		lineno;
	size_t		total;			/* uncompressed bytes */

	z_stream	zs;
	bool		zs_live;		/* inflateInit2 done */
	bool		zs_ended;		/* last member ended cleanly */
	unsigned char *zout;
};

rtcstats_input *
rtcstats_input_new(rtcstats_line_fn on_line, void *arg, size_t max_line_bytes)
{
	rtcstats_input *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->on_line = on_line;
	in->arg = arg;
	in->max_line = max_line_bytes ? max_line_bytes : RTCSTATS_DEFAULT_MAX_LINE_BYTES;
	in->mode = INPUT_SNIFFING;
	return in;
}

void
rtcstats_input_free(rtcstats_input *in)
{
	if (in == NULL)
		return;
	if (in->zs_live)
		inflateEnd(&in->zs);
	free(in->zout);
	free(in->line);
	free(in);
}

bool
rtcstats_input_was_gzip(const rtcstats_input *in)
{
	return in->mode == INPUT_GZIP;
}

void
rtcstats_input_set_document_limit(rtcstats_input *in, size_t max_document_bytes)
{
	in->max_document = max_document_bytes;
}

size_t
rtcstats_input_bytes(const rtcstats_input *in)
{
	return in->total;
}

/* Append to the partial line, refusing to grow past the limit. */
static rtcstats_status
line_append(rtcstats_input *in, const char *data, size_t len, rtcstats_error *err)
{
	if (in->line_len + len > in->max_line && in->document)
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, in->lineno + 1,
							 "webrtc-internals document is larger than the limit of %zu bytes",
							 in->max_line);
	if (in->line_len + len > in->max_line)
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, in->lineno + 1,
							 "line is longer than the limit of %zu bytes", in->max_line);
	if (in->line_len + len + 1 > in->line_cap)
	{
		size_t		cap = in->line_cap ? in->line_cap : 4096;
		char	   *p;

		while (cap < in->line_len + len + 1)
			cap *= 2;
		p = realloc(in->line, cap);
		if (p == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, in->lineno + 1, "out of memory");
		in->line = p;
		in->line_cap = cap;
	}
	memcpy(in->line + in->line_len, data, len);
	in->line_len += len;
	return RTCSTATS_OK;
}

/* data is always in->line, NUL-terminated at len. */
static rtcstats_status
emit_line(rtcstats_input *in, char *data, size_t len, rtcstats_error *err)
{
	if (len > 0 && data[len - 1] == '\r')
		data[--len] = '\0';	/* CRLF line ends */
	in->lineno++;
	if (in->max_line < len)
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, in->lineno,
							 "line is longer than the limit of %zu bytes", in->max_line);
	return in->on_line(in->arg, data, len, in->lineno, err);
}

/* Split uncompressed bytes into lines. */
static rtcstats_status
split_lines(rtcstats_input *in, const char *data, size_t len, rtcstats_error *err)
{
	rtcstats_status rc;

	/*
	 * A webrtc-internals dump is one JSON document, usually on one line: it
	 * is bounded by the document limit, not by the line limit.
	 */
	if (in->total == 0 && len > 0 && data[0] == '{' && in->max_document >= in->max_line)
	{
		in->max_line = in->max_document;
		in->document = true;
	}
	in->total += len;
	while (len > 0)
	{
		const char *nl = memchr(data, '\n', len);
		size_t		n;

		if (nl == NULL)
			return line_append(in, data, len, err);
		n = (size_t) (nl - data);
		if ((rc = line_append(in, data, n, err)) != RTCSTATS_OK)
			return rc;
		in->line[in->line_len] = '\0';
		rc = emit_line(in, in->line, in->line_len, err);
		in->line_len = 0;
		if (rc != RTCSTATS_OK)
			return rc;
		data = nl + 1;
		len -= n + 1;
	}
	return RTCSTATS_OK;
}

static rtcstats_status
feed_gzip(rtcstats_input *in, const unsigned char *data, size_t len, rtcstats_error *err)
{
	rtcstats_status rc;

	if (!in->zs_live)
	{
		in->zout = malloc(INFLATE_CHUNK);
		if (in->zout == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
		if (inflateInit2(&in->zs, 15 + 16) != Z_OK)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "could not initialize zlib");
		in->zs_live = true;
	}
	in->zs.next_in = (unsigned char *) data;
	in->zs.avail_in = (uInt) len;
	while (in->zs.avail_in > 0)
	{
		int			zr;

		if (in->zs_ended)
		{
			/* Another gzip member follows (gzip(1) accepts concatenations). */
			if (inflateReset(&in->zs) != Z_OK)
				return rtcstats_fail(err, RTCSTATS_ERR_GZIP, in->lineno + 1,
									 "gzip stream: could not reset for the next member");
			in->zs_ended = false;
		}
		in->zs.next_out = in->zout;
		in->zs.avail_out = INFLATE_CHUNK;
		zr = inflate(&in->zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return rtcstats_fail(err, RTCSTATS_ERR_GZIP, in->lineno + 1,
								 "gzip stream is corrupt: %s",
								 in->zs.msg ? in->zs.msg : "inflate failed");
		if (zr == Z_STREAM_END)
			in->zs_ended = true;
		rc = split_lines(in, (const char *) in->zout, INFLATE_CHUNK - in->zs.avail_out, err);
		if (rc != RTCSTATS_OK)
			return rc;
		if (zr == Z_BUF_ERROR && in->zs.avail_in == 0)
			break;
	}
	/* Drain output still pending inside zlib for this input. */
	while (!in->zs_ended)
	{
		int			zr;

		in->zs.next_out = in->zout;
		in->zs.avail_out = INFLATE_CHUNK;
		zr = inflate(&in->zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return rtcstats_fail(err, RTCSTATS_ERR_GZIP, in->lineno + 1,
								 "gzip stream is corrupt: %s",
								 in->zs.msg ? in->zs.msg : "inflate failed");
		if (zr == Z_STREAM_END)
			in->zs_ended = true;
		if (INFLATE_CHUNK - in->zs.avail_out == 0)
			break;
		rc = split_lines(in, (const char *) in->zout, INFLATE_CHUNK - in->zs.avail_out, err);
		if (rc != RTCSTATS_OK)
			return rc;
	}
	return RTCSTATS_OK;
}

static rtcstats_status
feed_mode(rtcstats_input *in, const unsigned char *data, size_t len, rtcstats_error *err)
{
	if (in->mode == INPUT_GZIP)
		return feed_gzip(in, data, len, err);
	return split_lines(in, (const char *) data, len, err);
}

rtcstats_status
rtcstats_input_feed(rtcstats_input *in, const void *data, size_t len, rtcstats_error *err)
{
	const unsigned char *p = data;

	if (in->mode == INPUT_SNIFFING)
	{
		rtcstats_status rc;

		while (in->nsniff < 2 && len > 0)
		{
			in->sniff[in->nsniff++] = *p++;
			len--;
		}
		if (in->nsniff < 2)
			return RTCSTATS_OK;
		in->mode = (in->sniff[0] == 0x1f && in->sniff[1] == 0x8b) ? INPUT_GZIP : INPUT_PLAIN;
		if ((rc = feed_mode(in, in->sniff, 2, err)) != RTCSTATS_OK)
			return rc;
	}
	if (len == 0)
		return RTCSTATS_OK;
	return feed_mode(in, p, len, err);
}

rtcstats_status
rtcstats_input_finish(rtcstats_input *in, rtcstats_error *err)
{
	rtcstats_status rc;

	if (in->mode == INPUT_SNIFFING && in->nsniff > 0)
	{
		in->mode = INPUT_PLAIN;
		if ((rc = split_lines(in, (const char *) in->sniff, in->nsniff, err)) != RTCSTATS_OK)
			return rc;
	}
	if (in->mode == INPUT_GZIP && !in->zs_ended)
		return rtcstats_fail(err, RTCSTATS_ERR_GZIP, in->lineno + 1,
							 "gzip stream is truncated (%zu bytes inflated)", in->total);
	if (in->line_len > 0)
	{
		in->line[in->line_len] = '\0';
		rc = emit_line(in, in->line, in->line_len, err);
		in->line_len = 0;
		return rc;
	}
	return RTCSTATS_OK;
}

rtcstats_status
rtcstats_input_feed_file(rtcstats_input *in, const char *path, rtcstats_error *err)
{
	unsigned char *buf;
	int			fd;
	rtcstats_status rc = RTCSTATS_OK;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "could not open: %s", strerror(errno));
	buf = malloc(INFLATE_CHUNK);
	if (buf == NULL)
		rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	while (rc == RTCSTATS_OK)
	{
		ssize_t		n = read(fd, buf, INFLATE_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = rtcstats_fail(err, RTCSTATS_ERR_IO, in->lineno, "read failed: %s",
							   strerror(errno));
		else if (n == 0)
			break;
		else
			rc = rtcstats_input_feed(in, buf, (size_t) n, err);
	}
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc != RTCSTATS_OK)
		return rc;
	return rtcstats_input_finish(in, err);
}
