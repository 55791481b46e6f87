/*
 * rtcstats-anonymize: obfuscate the IP addresses of an rtcstats dump.
 *
 * The output file is written under a temporary name beside OUT and renamed
 * when complete, so a dump that fails half-way never leaves a half-anonymized
 * (or half-raw) file under the name the user asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "rtcstats/anonymize.h"

static void
usage(FILE *f)
{
	fprintf(f,
			"NAME\n"
			"    rtcstats-anonymize - obfuscate the IP addresses in an rtcstats dump\n"
			"\n"
			"SYNOPSIS\n"
			"    rtcstats-anonymize [--skip-bad-lines] [--max-line-bytes N] IN OUT\n"
			"\n"
			"DESCRIPTION\n"
			"    Reads IN (\"-\" for standard input), an rtcstats dump (file format 3, as\n"
			"    written by rtcstats-server, rtcstats-pg's proxy or Chrome's own rtcstats\n"
			"    export) or a chrome://webrtc-internals \"Create dump\" JSON file, plain or\n"
			"    gzip-compressed, and writes it to OUT (\"-\" for standard output),\n"
			"    uncompressed, with every IP address obfuscated the way\n"
			"    libWebRTC's IPAddress::ToSensitiveString does: 203.0.113.7 becomes\n"
			"    203.0.113.x, 2001:db8:85a3::7 becomes 2001:db8:85a3:x:x:x:x:x (\"::\" is\n"
			"    expanded first), ::ffff:203.0.113.7 becomes ::ffff:203.0.113.x;\n"
			"    127.0.0.1, ::1, 0.0.0.0 and hostnames (mDNS *.local) stay.\n"
			"\n"
			"    Rewritten: a=candidate, c= and a=rtcp: lines of the SDP of\n"
			"    setLocalDescription, setRemoteDescription, createOfferOnSuccess,\n"
			"    createAnswerOnSuccess and setLocalDescriptionOnSuccess; the candidate of\n"
			"    onicecandidate and addIceCandidate; address and relatedAddress of\n"
			"    getStats reports (compressed property names too), whose ip is deleted;\n"
			"    the publicIP event; address and hostCandidate of onicecandidateerror;\n"
			"    the metadata line's remoteAddresses. Relay (TURN) candidates keep their\n"
			"    address, their related address is obfuscated.\n"
			"    Compressed methods, stats and SDP stay compressed. Candidates are\n"
			"    rewritten as upstream rtcstats does (transport upper-case; generation,\n"
			"    network-id and other extension attributes dropped). Lines with nothing\n"
			"    to obfuscate are copied as they are; every line ends with a newline;\n"
			"    empty lines are dropped. A webrtc-internals file is written back as one\n"
			"    JSON document: its address stats series and every address in its\n"
			"    updateLog values are obfuscated. See docs/privacy.md.\n"
			"\n"
			"    Memory is bounded by the longest line (a webrtc-internals file is read\n"
			"    whole, up to 256 MiB). OUT is written under a temporary\n"
			"    name and renamed when complete: on failure no OUT is left behind.\n"
			"\n"
			"OPTIONS\n"
			"    --skip-bad-lines  drop lines that are not JSON arrays instead of failing\n"
			"                      (a warning on stderr counts them; they are never copied)\n"
			"    --max-line-bytes N\n"
			"                      refuse lines longer than N bytes (default 64 MiB)\n"
			"    -h, --help        show this help\n"
			"\n"
			"EXIT STATUS\n"
			"    0 when the dump was anonymized; 1 when it could not be read or OUT could\n"
			"    not be written (the message names the file, the line and the reason, e.g.\n"
			"    \"call.gz:123: line is not a JSON array\"); 2 on a usage error.\n"
			"\n"
			"EXAMPLES\n"
			"    rtcstats-anonymize call.rtcstats.gz call.anonymized.rtcstats\n"
			"    curl -s \"$URL\" | rtcstats-anonymize - - | gzip > call.gz\n");
}

static rtcstats_status
write_out(void *arg, const void *data, size_t len, rtcstats_error *err)
{
	if (fwrite(data, 1, len, (FILE *) arg) != len)
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "write error: %s", strerror(errno));
	return RTCSTATS_OK;
}

static rtcstats_status
feed_anonymizer(void *a, const void *data, size_t len, rtcstats_error *err)
{
	return rtcstats_anonymizer_feed(a, data, len, err);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_READER_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	rtcstats_reader_options opts = {0};
	rtcstats_anonymizer *a;
	rtcstats_error err = {0};
	rtcstats_status rc = RTCSTATS_OK;
	const char *in_path,
			   *out_path;
	char	   *tmp_path = NULL;
	FILE	   *in,
			   *out;
	int			c;
	bool		write_failed = false;
	bool		direct = false;
	struct stat st;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
	{
		int			r = cli_reader_option(c, optarg, "rtcstats-anonymize", &opts);

		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (c)
		{
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (argc - optind != 2)
	{
		fprintf(stderr, "rtcstats-anonymize: %s (see --help)\n",
				argc - optind < 2 ? "needs IN and OUT" : "too many arguments");
		return 2;
	}
	in_path = argv[optind];
	out_path = argv[optind + 1];

	in = strcmp(in_path, "-") == 0 ? stdin : fopen(in_path, "rb");
	if (in == NULL)
	{
		fprintf(stderr, "%s: %s\n", in_path, strerror(errno));
		return 1;
	}
	if (strcmp(out_path, "-") == 0)
		out = stdout;
	else if (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode))
	{
		/* a device or a pipe (/dev/null, a FIFO): no temporary file beside it */
		if ((out = fopen(out_path, "wb")) == NULL)
		{
			fprintf(stderr, "%s: %s\n", out_path, strerror(errno));
			return 1;
		}
		direct = true;
	}
	else
	{
		int			fd;

		if (asprintf(&tmp_path, "%s.tmp-XXXXXX", out_path) < 0)
		{
			fprintf(stderr, "rtcstats-anonymize: out of memory\n");
			return 1;
		}
		if ((fd = mkstemp(tmp_path)) < 0 || (out = fdopen(fd, "wb")) == NULL)
		{
			fprintf(stderr, "%s: %s\n", out_path, strerror(errno));
			if (fd >= 0)
			{
				close(fd);
				unlink(tmp_path);
			}
			free(tmp_path);
			return 1;
		}
	}

	if ((a = rtcstats_anonymizer_new(&opts, write_out, out)) == NULL)
		rc = rtcstats_fail(&err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	else
		rc = cli_feed_file(in, feed_anonymizer, a, &err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_anonymizer_finish(a, &err);
	if (in != stdin)
		fclose(in);

	if (rc != RTCSTATS_OK)
	{
		/* a write error is about OUT, anything else about IN */
		cli_report_error((rc == RTCSTATS_ERR_IO && strncmp(err.detail, "write", 5) == 0)
						 ? out_path : in_path, &err);
	}
	else if (opts.skip_bad_lines && rtcstats_anonymizer_skipped_lines(a) > 0)
		fprintf(stderr, "%s: warning: dropped %ld bad lines\n", in_path,
				rtcstats_anonymizer_skipped_lines(a));
	rtcstats_anonymizer_free(a);

	if (out == stdout || direct)
	{
		if (fflush(out) != 0 && rc == RTCSTATS_OK)
		{
			fprintf(stderr, "%s: write error: %s\n", out_path, strerror(errno));
			write_failed = true;
		}
		if (direct)
			fclose(out);
	}
	else
	{
		if ((fflush(out) != 0 || fsync(fileno(out)) != 0) && rc == RTCSTATS_OK)
		{
			fprintf(stderr, "%s: write error: %s\n", out_path, strerror(errno));
			write_failed = true;
		}
		fclose(out);
		if (rc == RTCSTATS_OK && !write_failed && rename(tmp_path, out_path) != 0)
		{
			fprintf(stderr, "%s: %s\n", out_path, strerror(errno));
			write_failed = true;
		}
		if (rc != RTCSTATS_OK || write_failed)
			unlink(tmp_path);
		free(tmp_path);
	}
	return (rc != RTCSTATS_OK || write_failed) ? 1 : 0;
}
