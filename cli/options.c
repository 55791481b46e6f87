/*
 * options.c: see options.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

bool
cli_parse_positive_size(const char *text, size_t *out)
{
	char	   *end;
	unsigned long long v;

	/* strtoull would accept leading blanks and turn "-5" into a huge value */
	if (!isdigit((unsigned char) text[0]))
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end != '\0' || v == 0 || errno == ERANGE || v > SIZE_MAX)
		return false;
	*out = (size_t) v;
	return true;
}

int
cli_reader_option(int c, const char *arg, const char *program, rtcstats_reader_options *opts)
{
	switch (c)
	{
		case 's':
			opts->skip_bad_lines = true;
			return 1;
		case 'm':
			if (!cli_parse_positive_size(arg, &opts->max_line_bytes))
			{
				fprintf(stderr, "%s: --max-line-bytes needs a positive number\n", program);
				return -1;
			}
			return 1;
		default:
			return 0;
	}
}

rtcstats_status
cli_feed_file(FILE *f, cli_feed_fn feed, void *consumer, rtcstats_error *err)
{
	static unsigned char buf[1 << 18];
	rtcstats_status rc = RTCSTATS_OK;

	for (;;)
	{
		size_t		n = fread(buf, 1, sizeof(buf), f);

		if (n > 0 && (rc = feed(consumer, buf, n, err)) != RTCSTATS_OK)
			return rc;
		if (n < sizeof(buf))
		{
			if (ferror(f))
				return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "read error: %s", strerror(errno));
			return RTCSTATS_OK;
		}
	}
}

void
cli_report_error(const char *path, const rtcstats_error *err)
{
	if (err->line > 0)
		fprintf(stderr, "%s:%ld: %s\n", path, err->line, err->detail);
	else
		fprintf(stderr, "%s: %s\n", path, err->detail);
}
