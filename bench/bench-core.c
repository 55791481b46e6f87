/*
 * bench-core: how fast and how lean feature extraction is, beside its floor.
 *
 * For a dump, and for a synthetic dump N times longer (its getStats lines
 * repeated, timestamps advancing through their deltas), prints:
 *   - the floor: gunzip + json-c parse of every line, doing nothing else
 *   - extraction: the whole rtcstats_extractor, same input
 *   - MB/s of uncompressed input, the ratio to the floor, and peak RSS of
 *     each (measured in a forked child, so runs do not share a heap).
 * It asserts nothing: figures are for people and for the issue notes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <json-c/json.h>

#include "rtcstats/features.h"
#include "rtcstats/input.h"

#include "bench-common.h"

static blob
gzip_blob(blob in)
{
	blob		out;
	z_stream	zs = {0};

	deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	out.data = malloc(deflateBound(&zs, in.len) + 64);
	zs.next_in = in.data;
	zs.avail_in = (uInt) in.len;
	zs.next_out = out.data;
	zs.avail_out = (uInt) (deflateBound(&zs, in.len) + 64);
	deflate(&zs, Z_FINISH);
	out.len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static json_tokener *floor_tok;
static long floor_objects;

static rtcstats_status
floor_line(void *arg, const char *line, size_t len, long lineno, rtcstats_error *err)
{
	json_object *o;

	if (lineno == 1)
		return RTCSTATS_OK;
	json_tokener_reset(floor_tok);
	o = json_tokener_parse_ex(floor_tok, line, (int) len);
	floor_objects += o != NULL;
	json_object_put(o);
	return RTCSTATS_OK;
}

static void
run_floor(blob gz)
{
	rtcstats_input *in = rtcstats_input_new(floor_line, NULL, 0);

	floor_tok = json_tokener_new_ex(64);
	rtcstats_input_feed(in, gz.data, gz.len, NULL);
	rtcstats_input_finish(in, NULL);
	rtcstats_input_free(in);
	json_tokener_free(floor_tok);
}

static void
run_extract(blob gz)
{
	rtcstats_extractor *x = rtcstats_extractor_new(NULL);
	json_object *f = NULL;
	rtcstats_error err;
	size_t		chunk = 64 * 1024;

	for (size_t off = 0; off < gz.len; off += chunk)
		rtcstats_extractor_feed(x, gz.data + off, off + chunk < gz.len ? chunk : gz.len - off, &err);
	if (rtcstats_extractor_finish(x, &f, &err) != RTCSTATS_OK)
	{
		fprintf(stderr, "extract failed: %s\n", err.detail);
		exit(1);
	}
	json_object_put(f);
	rtcstats_extractor_free(x);
}

/* Run fn(gz) `reps` times in a child; returns seconds per run and peak RSS (KiB). */
static double
measure(void (*fn) (blob), blob gz, int reps, long *maxrss_kib)
{
	int			fds[2];
	pid_t		pid;
	double		secs = 0;
	int			status;
	struct rusage ru;

	if (pipe(fds) != 0)
		exit(2);
	pid = fork();
	if (pid == 0)
	{
		struct timespec a,
					b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < reps; i++)
			fn(gz);
		clock_gettime(CLOCK_MONOTONIC, &b);
		secs = ((double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9) / reps;
		if (write(fds[1], &secs, sizeof(secs)) != sizeof(secs))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &secs, sizeof(secs)) != sizeof(secs))
		secs = -1;
	close(fds[0]);
	wait4(pid, &status, 0, &ru);
	*maxrss_kib = ru.ru_maxrss;
	return secs;
}

static void
bench(const char *label, blob text, int reps)
{
	blob		gz = gzip_blob(text);
	long		rss_floor,
				rss_x;
	double		t_floor = measure(run_floor, gz, reps, &rss_floor);
	double		t_x = measure(run_extract, gz, reps, &rss_x);
	double		mb = (double) text.len / 1e6;

	printf("%-34s %8.2f MB %7.1f MB/s floor %7.1f MB/s extract  %5.2fx floor  "
		   "peak RSS floor %6.1f MB extract %6.1f MB  (%.1f ms per dump)\n",
		   label, mb, mb / t_floor, mb / t_x, t_x / t_floor,
		   rss_floor / 1024.0, rss_x / 1024.0, t_x * 1000);
	free(gz.data);
}

int
main(int argc, char **argv)
{
	int			times = 50;
	blob		raw,
				text,
				longer;
	char		label[256];

	if (argc < 2)
	{
		fprintf(stderr, "usage: bench-core DUMP [TIMES]\n");
		return 2;
	}
	if (argc > 2)
		times = atoi(argv[2]);
	raw = bench_read_file(argv[1]);
	text = bench_plain_text(raw);
	longer = bench_lengthen(text, times);
	snprintf(label, sizeof(label), "%s", strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]);
	bench(label, text, 20);
	snprintf(label + strlen(label), sizeof(label) - strlen(label), " x%d", times);
	bench(label, longer, 2);
	return 0;
}
