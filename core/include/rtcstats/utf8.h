/*
 * utf8.h: the one UTF-8 validator of the project (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF, no F5-FF leads).  PostgreSQL
 * refuses exactly these in text and jsonb (SQLSTATE 22021), so every client
 * string is checked here before it can reach SQL.
 */
#ifndef RTCSTATS_UTF8_H
#define RTCSTATS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid sequence starting at s[0] (1..4; s[0] < 0x80 is 1), or 0. */
size_t		rtcstats_utf8_seq_len(const unsigned char *s, size_t n);

/* True if s[0..n) is valid UTF-8 (a NUL byte counts as valid: see callers). */
bool		rtcstats_utf8_valid(const char *s, size_t n);

/*
 * Rewrites s[0..n) in place, replacing each byte that starts no valid
 * sequence by `replacement` (an ASCII byte, e.g. '?'); returns how many were
 * replaced.  Valid text is left as it is.
 */
size_t		rtcstats_utf8_repair(char *s, size_t n, char replacement);

#endif
