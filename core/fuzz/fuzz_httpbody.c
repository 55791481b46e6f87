/*
 * fuzz_httpbody: libFuzzer target for the proxy's upload body parsers
 * (proxy/httpbody.c, compiled in here so the core's fuzz rule builds it):
 * the input is de-chunked, and read as a multipart/form-data body with the
 * boundary "XyZ", each in pieces whose sizes come from the first byte.  The
 * pieces must not change the result: a parse fed byte by byte gives the
 * same bytes and the same verdict as one fed whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxy/httpbody.c"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct collected
{
	unsigned char *p;
	size_t		len;
} collected;

static unsigned
collect(void *arg, const unsigned char *d, size_t n)
{
	collected  *c = arg;
	unsigned char *np = realloc(c->p, c->len + n + 1);

	if (!np)
		abort();
	memcpy(np + c->len, d, n);
	c->p = np;
	c->len += n;
	return 0;
}

/* De-chunks in pieces of step bytes (0: whole); returns the verdict. */
static unsigned
dechunk(const uint8_t *data, size_t size, size_t step, collected *out, size_t *used_total)
{
	proxy_chunked c;
	const char *why;
	size_t		off = 0;

	proxy_chunked_init(&c);
	*used_total = 0;
	while (off < size && !proxy_chunked_done(&c))
	{
		size_t		n = step && size - off > step ? step : size - off;
		size_t		used = 0;
		unsigned	s = proxy_chunked_feed(&c, data + off, n, &used, collect, out, &why);

		if (s)
			return s;
		if (used > n)
			abort();
		*used_total += used;
		off += n;
	}
	return proxy_chunked_done(&c) ? 1 : 0;
}

static unsigned
multipart(const uint8_t *data, size_t size, size_t step, collected *out)
{
	proxy_multipart *m = malloc(sizeof(proxy_multipart));
	const char *why;
	size_t		off = 0;
	unsigned	s;

	if (!m || proxy_multipart_init(m, "multipart/form-data; boundary=XyZ", &why) != 0)
		abort();
	while (off < size)
	{
		size_t		n = step && size - off > step ? step : size - off;

		if ((s = proxy_multipart_feed(m, data + off, n, collect, out, &why)) != 0)
		{
			free(m);
			return s;
		}
		off += n;
	}
	s = proxy_multipart_finish(m, &why);
	free(m);
	return s;
}

static void
same(const collected *a, const collected *b, unsigned va, unsigned vb)
{
	if (va != vb)
		abort();
	if (va == 0 || va == 1)
		if (a->len != b->len || (a->len && memcmp(a->p, b->p, a->len) != 0))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	collected	whole = {0},
				pieces = {0};
	size_t		step,
				u1,
				u2;
	unsigned	v1,
				v2;

	if (size < 1)
		return 0;
	step = 1 + data[0] % 7;
	data++;
	size--;

	v1 = dechunk(data, size, 0, &whole, &u1);
	v2 = dechunk(data, size, step, &pieces, &u2);
	same(&whole, &pieces, v1, v2);
	if (v1 == 1 && u1 != u2)
		abort();
	free(whole.p);
	free(pieces.p);
	memset(&whole, 0, sizeof(whole));
	memset(&pieces, 0, sizeof(pieces));

	v1 = multipart(data, size, 0, &whole);
	v2 = multipart(data, size, step, &pieces);
	/* Content given out before an error depends on where the error is seen. */
	if (v1 == 0 || v2 == 0)
		same(&whole, &pieces, v1, v2);
	else if (v1 != v2)
		abort();
	free(whole.p);
	free(pieces.p);
	return 0;
}
