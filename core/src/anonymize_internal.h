/*
 * anonymize_internal.h: what anonymize.c needs from address.c.
 */
#ifndef RTCSTATS_ANONYMIZE_INTERNAL_H
#define RTCSTATS_ANONYMIZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcstats/anonymize.h"

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
