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

typedef struct blob
{
	unsigned char *data;
	size_t		len;
} blob;

static blob
read_file(const char *path)
{
	blob		b = {0};
	FILE	   *f = fopen(path, "rb");
	size_t		cap = 1 << 20;

	if (!f)
	{
		perror(path);
		exit(2);
	}
	b.data = malloc(cap);
	for (;;)
	{
		size_t		n;

		if (b.len == cap)
			b.data = realloc(b.data, cap *= 2);
		n = fread(b.data + b.len, 1, cap - b.len, f);
		if (n == 0)
			break;
		b.len += n;
	}
	fclose(f);
	return b;
}

/* Plain text of a (maybe gzip) dump. */
static blob
plain_text(blob in)
{
	blob		out = {0};
	z_stream	zs = {0};
	size_t		cap = in.len * 8 + 1024;

	if (in.len < 2 || in.data[0] != 0x1f || in.data[1] != 0x8b)
		return in;
	inflateInit2(&zs, 15 + 16);
	out.data = malloc(cap);
	zs.next_in = in.data;
	zs.avail_in = (uInt) in.len;
	for (;;)
	{
		int			r;

		if (out.len == cap)
			out.data = realloc(out.data, cap *= 2);
		zs.next_out = out.data + out.len;
		zs.avail_out = (uInt) (cap - out.len);
		r = inflate(&zs, Z_NO_FLUSH);
		out.len = cap - zs.avail_out;
		if (r == Z_STREAM_END || (r != Z_OK && r != Z_BUF_ERROR))
			break;
	}
	inflateEnd(&zs);
	return out;
}

/* The dump with its getStats lines repeated times-1 more times before the end. */
static blob
lengthen(blob text, int times)
{
	blob		out = {0};
	size_t		first_gs = 0,
				end_gs = 0;
	char	   *p = (char *) text.data,
			   *end = p + text.len;

	/* find the span from the first to the end of the last getStats line */
	while (p < end)
	{
		char	   *nl = memchr(p, '\n', (size_t) (end - p));
		char	   *le = nl ? nl + 1 : end;

		if (strncmp(p, "[\"g\",", 5) == 0 || strncmp(p, "[1,", 3) == 0)
		{
			if (first_gs == 0)
				first_gs = (size_t) (p - (char *) text.data);
			end_gs = (size_t) (le - (char *) text.data);
		}
		p = le;
	}
	out.data = malloc(text.len + (size_t) times * (end_gs - first_gs) + 1);
	memcpy(out.data, text.data, end_gs);
	out.len = end_gs;
	for (int i = 1; i < times; i++)
	{
		/* only the getStats lines of the span */
		char	   *q = (char *) text.data + first_gs;

		while (q < (char *) text.data + end_gs)
		{
			char	   *nl = memchr(q, '\n', (size_t) ((char *) text.data + end_gs - q));
			size_t		l = (size_t) ((nl ? nl + 1 : (char *) text.data + end_gs) - q);

			if (strncmp(q, "[\"g\",", 5) == 0 || strncmp(q, "[1,", 3) == 0)
			{
				memcpy(out.data + out.len, q, l);
				out.len += l;
			}
			q += l;
		}
	}
	memcpy(out.data + out.len, text.data + end_gs, text.len - end_gs);
	out.len += text.len - end_gs;
	return out;
}

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
	raw = read_file(argv[1]);
	text = plain_text(raw);
	longer = lengthen(text, times);
	snprintf(label, sizeof(label), "%s", strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]);
	bench(label, text, 20);
	snprintf(label + strlen(label), sizeof(label) - strlen(label), " x%d", times);
	bench(label, longer, 2);
	return 0;
}
