/*
 * anonymize_fns.c: IP address obfuscation from SQL (anonymize.h; section 7
 * of the dump format).  The core returns malloc'd strings and writes the
 * anonymized dump through a callback into a malloc'd buffer; both are freed
 * on every path.  The C symbols carry "_sql" because the core's functions
 * already own the plain names.
 */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "rtcstats/anonymize.h"
#include "rtcstats_have.h"
#include "rtcstats_ext.h"

PG_FUNCTION_INFO_V1(rtcstats_sql_obfuscate_address);
PG_FUNCTION_INFO_V1(rtcstats_sql_anonymize_candidate);
PG_FUNCTION_INFO_V1(rtcstats_sql_anonymize_sdp);
PG_FUNCTION_INFO_V1(rtcstats_sql_anonymize_dump);

/* Bytes handed to the anonymizer at a time: a cancel is checked between. */
#define FEED_CHUNK (256 * 1024)

#ifdef HAVE_RTCSTATS_ANONYMIZER

typedef char *(*string_fn) (const char *);

/* A core string function over a text argument; NULL from the core = OOM. */
static text *
apply_string_fn(text *in, string_fn fn)
{
	char	   *arg = text_to_cstring(in);
	char	   *volatile res = fn(arg);
	text	   *out = NULL;

	pfree(arg);
	if (res == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_TRY();
	{
		out = cstring_to_text(res);
	}
	PG_FINALLY();
	{
		free(res);
	}
	PG_END_TRY();
	return out;
}

/* The anonymized dump, collected on malloc (the core calls this). */
typedef struct out_buffer
{
	char	   *data;
	size_t		len;
	size_t		cap;
} out_buffer;

static rtcstats_status
write_out(void *arg, const void *data, size_t len, rtcstats_error *err)
{
	out_buffer *b = arg;

	if (len > MaxAllocSize - VARHDRSZ - b->len)
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, 0,
							 "the anonymized dump exceeds %zu bytes", (size_t) MaxAllocSize);
	if (b->len + len > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 65536;
		char	   *p;

		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->data, cap);
		if (p == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return RTCSTATS_OK;
}

/* rtcstats_anonymize_dump(dump bytea) -> bytea, a plain anonymized dump */
Datum
rtcstats_sql_anonymize_dump(PG_FUNCTION_ARGS)
{
	bytea	   *dump = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(dump);
	size_t		left = VARSIZE_ANY_EXHDR(dump);
	out_buffer	b = {NULL, 0, 0};
	rtcstats_anonymizer *a;
	rtcstats_error err;
	rtcstats_status rc = RTCSTATS_OK;
	bytea	   *result = NULL;

	rtcstats_error_clear(&err);
	a = rtcstats_anonymizer_new(NULL, write_out, &b);
	if (a == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	while (rc == RTCSTATS_OK && left > 0 && !(QueryCancelPending || ProcDiePending))
	{
		size_t		n = Min(left, FEED_CHUNK);

		rc = rtcstats_anonymizer_feed(a, p, n, &err);
		p += n;
		left -= n;
	}
	if (rc == RTCSTATS_OK && left == 0)
		rc = rtcstats_anonymizer_finish(a, &err);
	rtcstats_anonymizer_free(a);
	if (rc != RTCSTATS_OK || left > 0)
	{
		free(b.data);
		CHECK_FOR_INTERRUPTS();
		rtcstats_raise("invalid dump", &err);
	}
	PG_TRY();
	{
		result = (bytea *) palloc(VARHDRSZ + b.len);
		SET_VARSIZE(result, VARHDRSZ + b.len);
		if (b.len > 0)
			memcpy(VARDATA(result), b.data, b.len);
	}
	PG_FINALLY();
	{
		free(b.data);
	}
	PG_END_TRY();
	PG_RETURN_BYTEA_P(result);
}

#else							/* the core has no anonymizer yet */

typedef void *string_fn;

static text *
apply_string_fn(text *in, string_fn fn)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("this build of rtcstats has no anonymizer")));
	return NULL;
}

Datum
rtcstats_sql_anonymize_dump(PG_FUNCTION_ARGS)
{
	(void) apply_string_fn(NULL, NULL);
	PG_RETURN_NULL();
}

#define rtcstats_obfuscate_address NULL
#define rtcstats_anonymize_candidate NULL
#define rtcstats_anonymize_sdp NULL

#endif

/* rtcstats_obfuscate_address(text) -> text: "192.0.2.7" -> "192.0.2.x" */
Datum
rtcstats_sql_obfuscate_address(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(apply_string_fn(PG_GETARG_TEXT_PP(0), rtcstats_obfuscate_address));
}

/* rtcstats_anonymize_candidate(text) -> text: an ICE candidate line */
Datum
rtcstats_sql_anonymize_candidate(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(apply_string_fn(PG_GETARG_TEXT_PP(0), rtcstats_anonymize_candidate));
}

/* rtcstats_anonymize_sdp(text) -> text: candidate, c= and a=rtcp: lines */
Datum
rtcstats_sql_anonymize_sdp(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(apply_string_fn(PG_GETARG_TEXT_PP(0), rtcstats_anonymize_sdp));
}
