/*
 * fuzz_anonymize: libFuzzer target for the anonymizer: the whole dump path
 * (input, JSON, every rewrite) fed in two chunks split at a point taken from
 * the first byte, and the single-value helpers (address, candidate, SDP) on
 * the input as one string.  Its output must read back as a dump: what we
 * write is never something we would refuse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcstats/anonymize.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct out
{
	char	   *data;
	size_t		len;
} out;

static rtcstats_status
collect(void *arg, const void *data, size_t len, rtcstats_error *err)
{
	out		   *o = arg;
	char	   *p = realloc(o->data, o->len + len);

	if (p == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	memcpy(p + o->len, data, len);
	o->data = p;
	o->len += len;
	return RTCSTATS_OK;
}

static rtcstats_status
run(const rtcstats_reader_options *opts, const uint8_t *data, size_t size, size_t split, out *o)
{
	rtcstats_anonymizer *a = rtcstats_anonymizer_new(opts, collect, o);
	rtcstats_error err;
	rtcstats_status rc;

	if (a == NULL)
		return RTCSTATS_ERR_NOMEM;
	rc = rtcstats_anonymizer_feed(a, data, split, &err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_anonymizer_feed(a, data + split, size - split, &err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_anonymizer_finish(a, &err);
	rtcstats_anonymizer_free(a);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rtcstats_reader_options opts = {.max_line_bytes = 1 << 20};
	out			o = {0},
				o2 = {0};
	size_t		split;
	char	   *s,
			   *r;

	if (size == 0)
		return 0;
	opts.skip_bad_lines = (data[0] & 1) != 0;
	split = size > 1 ? (size_t) data[0] * size / 256 : 0;
	if (run(&opts, data, size, split, &o) == RTCSTATS_OK)
	{
		/* our own output is a dump we accept */
		rtcstats_reader_options strict = {0};	/* SDP rewriting may grow a line 8x */

		if (run(&strict, (const uint8_t *) o.data, o.len, o.len / 2, &o2) != RTCSTATS_OK)
			abort();
	}
	free(o.data);
	free(o2.data);

	/* the helpers, on the input as one C string */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((r = rtcstats_obfuscate_address(s)) == NULL)
		abort();
	free(r);
	if ((r = rtcstats_anonymize_candidate(s)) == NULL)
		abort();
	free(r);
	if ((r = rtcstats_anonymize_sdp(s)) == NULL)
		abort();
	free(r);
	free(s);
	return 0;
}
