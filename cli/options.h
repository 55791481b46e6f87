/*
 * options.h: what the command-line programs do alike: the reader options
 * they share, feeding a file to the core, and naming the place of an error.
 */
#ifndef RTCSTATS_CLI_OPTIONS_H
#define RTCSTATS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rtcstats/reader.h"

/*
 * A positive decimal count (e.g. --max-line-bytes): false for an empty,
 * signed, zero, non-numeric or out-of-range text.
 */
bool		cli_parse_positive_size(const char *text, size_t *out);

/* getopt_long entries of the reader options, with the values cli_reader_option takes. */
#define CLI_READER_OPTIONS \
	{"skip-bad-lines", no_argument, NULL, 's'}, \
	{"max-line-bytes", required_argument, NULL, 'm'}

/*
 * Applies getopt's result c to opts if it is a reader option: 1 if it was
 * one, 0 if not, -1 after a message on stderr if its value is bad.
 */
int			cli_reader_option(int c, const char *arg, const char *program,
							  rtcstats_reader_options *opts);

/* The core's feed function of a dump consumer (extractor, anonymizer). */
typedef rtcstats_status (*cli_feed_fn) (void *consumer, const void *data, size_t len,
										rtcstats_error *err);

/* Feeds all of f to consumer in 256 KiB reads; a read error is RTCSTATS_ERR_IO. */
rtcstats_status cli_feed_file(FILE *f, cli_feed_fn feed, void *consumer, rtcstats_error *err);

/* "path:line: detail" on stderr, or "path: detail" when no line is known. */
void		cli_report_error(const char *path, const rtcstats_error *err);

#endif
