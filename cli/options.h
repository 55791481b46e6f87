/*
 * options.h: option values the command-line programs parse alike.
 */
#ifndef RTCSTATS_CLI_OPTIONS_H
#define RTCSTATS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A positive decimal count (e.g. --max-line-bytes): false for an empty,
 * signed, zero, non-numeric or out-of-range text.
 */
bool		cli_parse_positive_size(const char *text, size_t *out);

#endif
