/*
 * bench-common.h: input preparation the core benchmarks share.
 */
#ifndef RTCSTATS_BENCH_COMMON_H
#define RTCSTATS_BENCH_COMMON_H

#include <stddef.h>

typedef struct blob
{
	unsigned char *data;
	size_t		len;
} blob;

/* The whole file, malloc'd; exits with status 2 if it cannot be read. */
blob		bench_read_file(const char *path);

/* The plain text of a (maybe gzip) dump: in itself when it is not gzip. */
blob		bench_plain_text(blob in);

/*
 * A dump of the same shape as text, times times as long: its getStats lines
 * ("g" or 1) repeated times-1 more times after the last one, so a stats
 * delta keeps applying to the state it was recorded against and timestamps
 * keep advancing.  Plain text only.
 */
blob		bench_lengthen(blob text, int times);

#endif
