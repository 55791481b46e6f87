/*
 * rtcstats-features: print the features of rtcstats dumps as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "options.h"
#include "rtcstats/features.h"
#include "rtcstats/report.h"

static void
usage(FILE *f)
{
	fprintf(f,
			"NAME\n"
			"    rtcstats-features - extract call features from rtcstats dumps\n"
			"\n"
			"SYNOPSIS\n"
			"    rtcstats-features [--pretty] [--analysis | --summary | --html] [--strict-lines]\n"
			"                      [--max-line-bytes N] FILE...\n"
			"\n"
			"DESCRIPTION\n"
			"    Reads each FILE (\"-\" for standard input), an rtcstats dump (file format 3,\n"
			"    as written by rtcstats-server or rtcstats-pg's proxy, or Chrome's own\n"
			"    rtcstats export) or a chrome://webrtc-internals \"Create dump\" JSON file,\n"
			"    plain or gzip-compressed, and prints its features as one JSON object:\n"
			"    client features, then \"peerConnections\", each with its \"tracks\". The\n"
			"    names and values are those of the upstream rtcstats-features.\n"
			"    With several files, one object per line, in the order given.\n"
			"\n"
			"OPTIONS\n"
			"    --pretty          indent the output\n"
			"    --analysis        print the analysis of the call instead of its features:\n"
			"                      {\"timeseries\", \"observations\", \"scores\", \"summary\"}\n"
			"                      (docs/analysis.md)\n"
			"    --summary         print the plain-English summary of the call, one line\n"
			"    --html            print the call's report, one self-contained HTML page\n"
			"                      (summary, scores, observations, charts); one FILE only\n"
			"    --strict-lines    fail on the first malformed event line (not JSON, not an\n"
			"                      array, fewer than 3 elements, no numeric time delta last)\n"
			"                      instead of skipping it; skipped lines are counted in a\n"
			"                      warning on stderr and in the analysis (\"malformed_lines\")\n"
			"    --skip-bad-lines  the default (kept for scripts that pass it)\n"
			"    --max-line-bytes N\n"
			"                      refuse lines longer than N bytes (default 64 MiB)\n"
			"    -h, --help        show this help\n"
			"\n"
			"EXIT STATUS\n"
			"    0 when every file was read; 1 when a file could not be read (the message\n"
			"    names the file, the line and the reason, e.g.\n"
			"    \"call.gz:123: line is not a JSON array\"); 2 on a usage error.\n"
			"\n"
			"EXAMPLES\n"
			"    rtcstats-features --pretty call.rtcstats.gz\n"
			"    rtcstats-features dumps/*.gz > features.jsonl\n");
}

static rtcstats_status
feed_extractor(void *x, const void *data, size_t len, rtcstats_error *err)
{
	return rtcstats_extractor_feed(x, data, len, err);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"pretty", no_argument, NULL, 'p'},
		{"analysis", no_argument, NULL, 'a'},
		{"summary", no_argument, NULL, 'S'},
		{"html", no_argument, NULL, 'H'},
		{"strict-lines", no_argument, NULL, 'L'},
		CLI_READER_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	rtcstats_reader_options opts = {0};
	int			status = 0;
	int			c;
	char		output = 'f';	/* f features, a analysis, S summary, H report */

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
	{
		int			r = cli_reader_option(c, optarg, "rtcstats-features", &opts);

		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (c)
		{
			case 'p':
				flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					JSON_C_TO_STRING_NOSLASHESCAPE;
				break;
			case 'L':
				opts.strict_lines = true;
				break;
			case 'a':
			case 'S':
			case 'H':
				output = (char) c;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (optind >= argc)
	{
		fprintf(stderr, "rtcstats-features: no input file (see --help)\n");
		return 2;
	}
	if (output == 'H' && argc - optind > 1)
	{
		fprintf(stderr, "rtcstats-features: --html takes one FILE (one page per call)\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
	{
		const char *path = argv[i];
		rtcstats_extractor *x = rtcstats_extractor_new(&opts);
		rtcstats_error err = {0};
		json_object *features = NULL;
		FILE	   *f;
		rtcstats_status rc;

		if (x == NULL || (output != 'f' && !rtcstats_extractor_enable_analysis(x)))
		{
			rtcstats_extractor_free(x);
			fprintf(stderr, "rtcstats-features: out of memory\n");
			return 1;
		}
		f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
		if (f == NULL)
		{
			fprintf(stderr, "%s: %m\n", path);
			rtcstats_extractor_free(x);
			status = 1;
			continue;
		}
		rc = cli_feed_file(f, feed_extractor, x, &err);
		if (f != stdin)
			fclose(f);
		if (rc == RTCSTATS_OK)
			rc = rtcstats_extractor_finish(x, &features, &err);
		if (rc != RTCSTATS_OK)
		{
			cli_report_error(path, &err);
			status = 1;
		}
		else
		{
			if (rtcstats_extractor_skipped_lines(x) > 0)
			{
				size_t		n;
				const long *at = rtcstats_extractor_skipped_line_numbers(x, &n);

				fprintf(stderr, "%s: warning: skipped %ld malformed lines (the first: line %ld)\n",
						path, rtcstats_extractor_skipped_lines(x), at[0]);
			}
			if (output == 'f')
				puts(json_object_to_json_string_ext(features, flags));
			else
			{
				json_object *analysis = rtcstats_extractor_analysis(x, features);
				json_object *summary;

				if (analysis == NULL)
				{
					fprintf(stderr, "%s: out of memory\n", path);
					status = 1;
				}
				else if (output == 'a')
					puts(json_object_to_json_string_ext(analysis, flags));
				else if (output == 'H')
				{
					char	   *page = rtcstats_report_html(rtcstats_extractor_metadata(x),
															features, analysis);

					if (page == NULL)
					{
						fprintf(stderr, "%s: out of memory\n", path);
						status = 1;
					}
					else
						fputs(page, stdout);
					free(page);
				}
				else if (json_object_object_get_ex(analysis, "summary", &summary))
					puts(json_object_get_string(summary));
				json_object_put(analysis);
			}
			json_object_put(features);
		}
		rtcstats_extractor_free(x);
	}
	if (fflush(stdout) != 0)
	{
		perror("rtcstats-features: write error");
		return 1;
	}
	return status;
}
