/*
 * anonymize_internal.h: how the parts of the anonymizer call each other
 * (address.c, anonymize_sdp.c, anonymize.c, anonymize_internals.c).
 */
#ifndef RTCSTATS_ANONYMIZE_INTERNAL_H
#define RTCSTATS_ANONYMIZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rtcstats/anonymize.h"

/* ---- address.c ---- */

/* Room the obfuscated form of an address of len bytes may need (plus the NUL). */
#define RTCSTATS_OBFUSCATED_MAX(len) ((len) + 40)

/*
 * Obfuscate the len bytes at s (need not be NUL-terminated, may contain NUL)
 * into out, which has RTCSTATS_OBFUSCATED_MAX(len) bytes; returns the length
 * written (out is NUL-terminated).  Pure: no allocation, never fails.
 */
size_t		rtcstats_obfuscate_address_into(const char *s, size_t len, char *out);

/* Whether the len bytes at s are exactly an IPv4 dotted quad or an IPv6 address. */
bool		rtcstats_is_ip_address(const char *s, size_t len);

/* ---- the string buffer every part writes into ---- */

/* A growable string; an allocation failure is sticky and checked once at the end. */
typedef struct sbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		nomem;
} sbuf;

static inline bool
sb_reserve(sbuf *b, size_t extra)
{
	size_t		cap;
	char	   *p;

	if (b->nomem)
		return false;
	if (extra < b->cap - b->len)
		return true;
	if (extra > ((size_t) -1) / 2 - b->len)
	{
		b->nomem = true;
		return false;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= extra)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
	{
		b->nomem = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

static inline void
sb_put(sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
sb_puts(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Append the obfuscated form of an address. */
static inline void
sb_put_obfuscated(sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, RTCSTATS_OBFUSCATED_MAX(n)))
		return;
	b->len += rtcstats_obfuscate_address_into(s, n, b->data + b->len);
}

static inline void
sb_free(sbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/*
 * anonymize_sdp.c: append to b the anonymized candidate ("candidate:..." or
 * "a=candidate:...", written back with "candidate:", or with the input's
 * "a=candidate:" when keep_a), or the anonymized SDP.
 */
void		rtcstats_candidate_into(sbuf *b, const char *s, size_t len, bool keep_a);
void		rtcstats_sdp_into(sbuf *b, const char *sdp, size_t len);

/*
 * anonymize_sdp.c: append free text to b with every word that is an IP
 * address (alone, as "address:port", "address/len" or followed by ".")
 * obfuscated, the rest as written.
 */
void		rtcstats_text_into(sbuf *b, const char *s, size_t len);

struct json_object;
struct rtcstats_anonymizer;

/*
 * anonymize.c: anonymize the event array [method, pc, value, ...] in place,
 * as for a line of a dump (method compressed or not); returns whether it holds
 * an address field (then it must be re-serialized); *nomem on allocation failure.
 */
bool		rtcstats_anonymize_event(struct rtcstats_anonymizer *a, struct json_object *arr,
									 bool *nomem);

/*
 * anonymize.c: the obfuscated form of a string value of len bytes in free
 * text: every word that is an IP address (alone or as "address:port") is
 * obfuscated, the rest kept.  Returns a new json string, NULL when out of memory.
 */
struct json_object *rtcstats_anonymize_text(struct rtcstats_anonymizer *a, const char *s,
											size_t len);

/*
 * anonymize.c: s with every integer literal json-c would saturate widened to
 * a double (see there); s itself or a copy valid until the next call, NULL
 * when out of memory.
 */
const char *rtcstats_widen_long_integers(struct rtcstats_anonymizer *a, const char *s, size_t len,
										 size_t *outlen);

/*
 * anonymize_internals.c: anonymize a whole webrtc-internals document (text
 * of len bytes, parsed with max_depth) and hand it, pretty-printed, to write.
 */
rtcstats_status rtcstats_anonymize_internals(struct rtcstats_anonymizer *a, const char *doc,
											 size_t len, int max_depth,
											 rtcstats_write_fn write, void *arg,
											 rtcstats_error *err);

#endif
