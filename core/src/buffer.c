/*
 * buffer.c: the growable byte buffer storage reads objects into.
 *
 * malloc only: the extension calls this from a backend, where a palloc
 * failure would longjmp through libcurl.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcstats/storage.h"
#include "storage_internal.h"

/* First allocation; doubling from there keeps appends amortised O(1). */
#define BUFFER_INITIAL_CAP 16384

/*
 * Frees the data and leaves an empty buffer, so a caller may reuse or free it
 * again without harm (NULL-safe).
 */
void
rtcstats_buffer_free(rtcstats_buffer *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/*
 * Appends len bytes, refusing to let the buffer hold more than limit bytes.
 * The check comes before any allocation, so an oversized object costs no
 * memory beyond the limit whatever its sender claims.  The data stays
 * NUL-terminated one byte past len (not counted), which lets callers treat a
 * small text body (an S3 error document) as a C string.
 */
rtcstats_status
rtcstats_buffer_append(rtcstats_buffer *b, const void *data, size_t len, size_t limit,
					   rtcstats_error *err)
{
	size_t		need;

	if (len > limit || b->len > limit - len)
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, 0,
							 "object is larger than the limit of %zu bytes", limit);
	need = b->len + len + 1;
	if (need > b->cap)
	{
		size_t		cap = b->cap ? b->cap : BUFFER_INITIAL_CAP;
		unsigned char *p;

		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		p = realloc(b->data, cap);
		if (p == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0,
								 "out of memory growing a buffer to %zu bytes", cap);
		b->data = p;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return RTCSTATS_OK;
}
