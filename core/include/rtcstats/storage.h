/*
 * storage.h: where dumps live.  "file:///dir" (the embedded default) or
 * "s3://bucket/prefix" on any S3-compatible endpoint, through libcurl with
 * CURLOPT_AWS_SIGV4.  No Postgres here: the extension, the proxy and
 * rtcstats-worker share this client.
 *
 * Objects are named by key (e.g. "<uuid>.gz") relative to the storage URL;
 * rtcstats_storage_object_url() gives the full URL stored in blob_url, and
 * rtcstats_storage_key_from_url() accepts only URLs under the configured
 * root, so a database row can never make a host read anything else.
 */
#ifndef RTCSTATS_STORAGE_H
#define RTCSTATS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcstats/error.h"

typedef struct rtcstats_storage_config
{
	const char *url;				/* file:///dir or s3://bucket[/prefix] */
	const char *s3_endpoint;		/* http(s)://host:port; NULL/"" = AWS for the region */
	const char *s3_region;			/* default "us-east-1" */
	const char *s3_access_key_id;
	const char *s3_secret_access_key;
	bool		s3_path_style;		/* endpoint/bucket/key rather than bucket.endpoint/key */
	long		connect_timeout_ms; /* 0: 5000 */
	long		timeout_ms;			/* whole request; 0: 60000 */
	int			max_retries;		/* on 5xx, 429, timeouts; 0: none, <0: default 3 */
	size_t		max_object_bytes;	/* get() refuses larger objects; 0: 1 GiB */
	/* Polled during transfers; return true to abort (CURLE_ABORTED_BY_CALLBACK). */
	bool		(*should_stop) (void *arg);
	void	   *should_stop_arg;
} rtcstats_storage_config;

typedef struct rtcstats_storage rtcstats_storage;

typedef struct rtcstats_buffer
{
	unsigned char *data;		/* malloc'd; free with rtcstats_buffer_free */
	size_t		len;
	size_t		cap;
} rtcstats_buffer;

void		rtcstats_buffer_free(rtcstats_buffer *b);

/* Once per process, before threads (curl_global_init). */
void		rtcstats_storage_global_init(void);

rtcstats_storage *rtcstats_storage_new(const rtcstats_storage_config *cfg, rtcstats_error *err);
void		rtcstats_storage_free(rtcstats_storage *s);		/* NULL-safe */

rtcstats_status rtcstats_storage_put(rtcstats_storage *s, const char *key,
									 const void *data, size_t len, rtcstats_error *err);
rtcstats_status rtcstats_storage_get(rtcstats_storage *s, const char *key,
									 rtcstats_buffer *out, rtcstats_error *err);
rtcstats_status rtcstats_storage_delete(rtcstats_storage *s, const char *key,
										rtcstats_error *err);
/* Reachability for health checks (HEAD bucket / stat dir). */
rtcstats_status rtcstats_storage_check(rtcstats_storage *s, rtcstats_error *err);

/* Full URL of key, malloc'd: "file:///dir/<key>" or "s3://bucket/prefix/<key>". */
char	   *rtcstats_storage_object_url(const rtcstats_storage *s, const char *key);
/* Key of a full URL, malloc'd; RTCSTATS_ERR_PERMISSION if not under the root. */
rtcstats_status rtcstats_storage_key_from_url(const rtcstats_storage *s, const char *url,
											  char **key, rtcstats_error *err);

/*
 * True if key is a valid object key: '/'-separated segments of [A-Za-z0-9._-],
 * none empty, "." or "..", at most 1024 bytes (e.g. "2026/11/24/<uuid>.gz").
 * put/get/delete refuse other keys; a host naming objects may check first.
 */
bool		rtcstats_storage_key_valid(const char *key);

/*
 * Makes a rename into dir durable (fsync of the directory, whose entry the
 * file's own fsync does not commit); also true on a filesystem that refuses
 * directory fsync.  False with errno set.  The file store does this for every
 * object; the proxy for its spool.
 */
bool		rtcstats_fsync_dir(const char *dir);

#endif
