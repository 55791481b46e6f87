/*
 * anonymize_internal.h: what anonymize.c needs from address.c.
 */
#ifndef RTCSTATS_ANONYMIZE_INTERNAL_H
#define RTCSTATS_ANONYMIZE_INTERNAL_H

#include <stddef.h>

/* Room the obfuscated form of an address of len bytes may need (plus the NUL). */
#define RTCSTATS_OBFUSCATED_MAX(len) ((len) + 40)

/*
 * Obfuscate the len bytes at s (need not be NUL-terminated, may contain NUL)
 * into out, which has RTCSTATS_OBFUSCATED_MAX(len) bytes; returns the length
 * written (out is NUL-terminated).  Pure: no allocation, never fails.
 */
size_t		rtcstats_obfuscate_address_into(const char *s, size_t len, char *out);

#endif
