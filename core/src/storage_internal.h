/*
 * storage_internal.h: what storage.c shares with its two backends
 * (storage_file.c, storage_s3.c) and with the unit tests.
 *
 * A storage object is not thread-safe: it owns one curl easy handle, which
 * libcurl allows on one thread at a time.  Use one object per thread.
 */
#ifndef RTCSTATS_STORAGE_INTERNAL_H
#define RTCSTATS_STORAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcstats/storage.h"

/* Longest key we accept; S3's own limit is 1024 bytes. */
#define RTCSTATS_STORAGE_MAX_KEY 1024

/* Defaults of rtcstats_storage_config (see storage.h). */
#define RTCSTATS_STORAGE_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define RTCSTATS_STORAGE_DEFAULT_TIMEOUT_MS 60000
#define RTCSTATS_STORAGE_DEFAULT_RETRIES 3
#define RTCSTATS_STORAGE_DEFAULT_MAX_OBJECT ((size_t) 1 << 30)

/*
 * Backoff between attempts: 200 ms, doubling, at most 5 s (the shape of the
 * AWS SDKs' "standard" retry mode, without the jitter: one storage object
 * serves one thread, so there is no herd to spread).
 */
#define RTCSTATS_STORAGE_BACKOFF_FIRST_MS 200
#define RTCSTATS_STORAGE_BACKOFF_MAX_MS 5000

/* An S3 error body is a small XML document; keep at most this much of it. */
#define RTCSTATS_STORAGE_MAX_ERROR_BODY (16 * 1024)

typedef enum rtcstats_storage_kind
{
	RTCSTATS_STORAGE_FILE,
	RTCSTATS_STORAGE_S3
} rtcstats_storage_kind;

typedef struct rtcstats_s3 rtcstats_s3;

struct rtcstats_storage
{
	rtcstats_storage_kind kind;
	char	   *root_url;		/* "file:///dir" or "s3://bucket[/prefix]", no final '/' */
	size_t		max_object_bytes;
	bool		(*should_stop) (void *arg);
	void	   *should_stop_arg;

	/* file:// */
	char	   *root_path;		/* the directory, as configured (percent-decoded) */

	/* s3:// */
	rtcstats_s3 *s3;
};

/* storage.c (rtcstats_storage_key_valid is public: storage.h) */
char	   *rtcstats_storage_strdup(const char *s);
char	   *rtcstats_storage_printf(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* buffer.c: append, refusing to grow past limit (RTCSTATS_ERR_TOO_LARGE) */
rtcstats_status rtcstats_buffer_append(rtcstats_buffer *b, const void *data, size_t len,
									   size_t limit, rtcstats_error *err);

/* storage_file.c */
rtcstats_status rtcstats_file_init(rtcstats_storage *s, const char *path_part,
								   rtcstats_error *err);
rtcstats_status rtcstats_file_put(rtcstats_storage *s, const char *key, const void *data,
								  size_t len, rtcstats_error *err);
rtcstats_status rtcstats_file_get(rtcstats_storage *s, const char *key, rtcstats_buffer *out,
								  rtcstats_error *err);
rtcstats_status rtcstats_file_delete(rtcstats_storage *s, const char *key, rtcstats_error *err);
rtcstats_status rtcstats_file_check(rtcstats_storage *s, rtcstats_error *err);

/* storage_s3.c */
rtcstats_status rtcstats_s3_init(rtcstats_storage *s, const rtcstats_storage_config *cfg,
								 const char *bucket, const char *prefix, rtcstats_error *err);
void		rtcstats_s3_free(rtcstats_s3 *s3);
rtcstats_status rtcstats_s3_put(rtcstats_storage *s, const char *key, const void *data,
								size_t len, rtcstats_error *err);
rtcstats_status rtcstats_s3_get(rtcstats_storage *s, const char *key, rtcstats_buffer *out,
								rtcstats_error *err);
rtcstats_status rtcstats_s3_delete(rtcstats_storage *s, const char *key, rtcstats_error *err);
rtcstats_status rtcstats_s3_check(rtcstats_storage *s, rtcstats_error *err);

/* storage_s3.c, exposed for the unit tests */
char	   *rtcstats_s3_uri_encode_path(const char *path);
void		rtcstats_s3_parse_error(const char *body, size_t len, char *code, size_t code_size,
									char *message, size_t message_size);
const char *rtcstats_s3_request_url(const rtcstats_storage *s);	/* base URL of the bucket */

#endif
