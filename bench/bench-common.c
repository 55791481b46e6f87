/*
 * bench-common.c: reading, gunzipping and lengthening benchmark input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench-common.h"

blob
bench_read_file(const char *path)
{
	blob		b = {0};
	FILE	   *f = fopen(path, "rb");
	size_t		cap = 1 << 20;

	if (!f)
	{
		perror(path);
		exit(2);
	}
	b.data = malloc(cap);
	for (;;)
	{
		size_t		n;

		if (b.len == cap)
			b.data = realloc(b.data, cap *= 2);
		n = fread(b.data + b.len, 1, cap - b.len, f);
		if (n == 0)
			break;
		b.len += n;
	}
	fclose(f);
	return b;
}

blob
bench_plain_text(blob in)
{
	blob		out = {0};
	z_stream	zs = {0};
	size_t		cap = in.len * 8 + 1024;

	if (in.len < 2 || in.data[0] != 0x1f || in.data[1] != 0x8b)
		return in;
	inflateInit2(&zs, 15 + 16);
	out.data = malloc(cap);
	zs.next_in = in.data;
	zs.avail_in = (uInt) in.len;
	for (;;)
	{
		int			r;

		if (out.len == cap)
			out.data = realloc(out.data, cap *= 2);
		zs.next_out = out.data + out.len;
		zs.avail_out = (uInt) (cap - out.len);
		r = inflate(&zs, Z_NO_FLUSH);
		out.len = cap - zs.avail_out;
		if (r == Z_STREAM_END || (r != Z_OK && r != Z_BUF_ERROR))
			break;
	}
	inflateEnd(&zs);
	return out;
}

blob
bench_lengthen(blob text, int times)
{
	blob		out = {0};
	size_t		first_gs = 0,
				end_gs = 0;
	char	   *p = (char *) text.data,
			   *end = p + text.len;

	/* find the span from the first to the end of the last getStats line */
	while (p < end)
	{
		char	   *nl = memchr(p, '\n', (size_t) (end - p));
		char	   *le = nl ? nl + 1 : end;

		if (strncmp(p, "[\"g\",", 5) == 0 || strncmp(p, "[1,", 3) == 0)
		{
			if (first_gs == 0)
				first_gs = (size_t) (p - (char *) text.data);
			end_gs = (size_t) (le - (char *) text.data);
		}
		p = le;
	}
	out.data = malloc(text.len + (size_t) times * (end_gs - first_gs) + 1);
	memcpy(out.data, text.data, end_gs);
	out.len = end_gs;
	for (int i = 1; i < times; i++)
	{
		/* only the getStats lines of the span */
		char	   *q = (char *) text.data + first_gs;

		while (q < (char *) text.data + end_gs)
		{
			char	   *nl = memchr(q, '\n', (size_t) ((char *) text.data + end_gs - q));
			size_t		l = (size_t) ((nl ? nl + 1 : (char *) text.data + end_gs) - q);

			if (strncmp(q, "[\"g\",", 5) == 0 || strncmp(q, "[1,", 3) == 0)
			{
				memcpy(out.data + out.len, q, l);
				out.len += l;
			}
			q += l;
		}
	}
	memcpy(out.data + out.len, text.data + end_gs, text.len - end_gs);
	out.len += text.len - end_gs;
	return out;
}
