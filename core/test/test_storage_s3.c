/*
 * test_storage_s3.c: the storage client against a real S3-compatible
 * server (s3rver in CI, started by test/suites/20-storage-s3.sh).
 *
 * Environment:
 *   RTCSTATS_TEST_S3_ENDPOINT        http://127.0.0.1:4568 (path style)
 *   RTCSTATS_TEST_S3_BUCKET          an existing bucket
 *   RTCSTATS_TEST_S3_VHOST_ENDPOINT  optional: an endpoint for virtual-host style
 *   RTCSTATS_TEST_S3_ACCESS_KEY, RTCSTATS_TEST_S3_SECRET_KEY  default s3rver's
 *   RTCSTATS_TEST_S3_REGION          default us-east-1
 * Exits 77 (skipped) when the endpoint or bucket is unset; the suite counts
 * that as a failure, so CI cannot pass without the server.
 *
 * s3rver does not verify SigV4 signatures (test_sigv4.c does that against
 * AWS's vectors); it does check the access key id, which gives a real 403.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "check.h"
#include "http_stub.h"
#include "rtcstats/storage.h"

static const char *endpoint;
static const char *bucket;
static const char *access_key;
static const char *secret_key;
static const char *region;
static char prefix_url[256];	/* s3://bucket/<run prefix> */

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && v[0] ? v : dflt;
}

static rtcstats_storage *
open_storage(const char *url, const char *ep, bool path_style, const char *key,
			 size_t max_bytes)
{
	rtcstats_storage_config cfg = {0};
	rtcstats_error err;
	rtcstats_storage *s;

	cfg.url = url;
	cfg.s3_endpoint = ep;
	cfg.s3_region = region;
	cfg.s3_access_key_id = key;
	cfg.s3_secret_access_key = secret_key;
	cfg.s3_path_style = path_style;
	cfg.connect_timeout_ms = 2000;
	cfg.timeout_ms = 20000;
	cfg.max_retries = 2;
	cfg.max_object_bytes = max_bytes;
	s = rtcstats_storage_new(&cfg, &err);
	if (s == NULL)
		fprintf(stderr, "storage_new(%s): %s\n", url, err.detail);
	return s;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
round_trip(rtcstats_storage *s, const char *key, const unsigned char *data, size_t len)
{
	rtcstats_error err;
	rtcstats_buffer b = {0};

	if (!CHECK_EQ_LONG(rtcstats_storage_put(s, key, data, len, &err), RTCSTATS_OK))
		fprintf(stderr, "  put %s: %s\n", key, err.detail);
	if (!CHECK_EQ_LONG(rtcstats_storage_get(s, key, &b, &err), RTCSTATS_OK))
		fprintf(stderr, "  get %s: %s\n", key, err.detail);
	CHECK_EQ_LONG(b.len, len);
	CHECK(b.len == len && (len == 0 || memcmp(b.data, data, len) == 0));
	rtcstats_buffer_free(&b);
}

static void
test_objects(void)
{
	rtcstats_storage *s = open_storage(prefix_url, endpoint, true, access_key, 0);
	rtcstats_error err;
	rtcstats_buffer b = {0};
	size_t		big_len = 3 * 1024 * 1024 + 17;
	unsigned char *big = malloc(big_len);
	size_t		i;
	char	   *url;
	char	   *key = NULL;

	if (!CHECK(s != NULL))
	{
		free(big);
		return;
	}
	srand(42);
	for (i = 0; i < big_len; i++)
		big[i] = (unsigned char) (rand() >> 7);

	if (!CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_OK))
		fprintf(stderr, "  check: %s\n", err.detail);
	round_trip(s, "small.gz", (const unsigned char *) "hello s3", 8);
	round_trip(s, "small.gz", (const unsigned char *) "replaced", 8);
	round_trip(s, "empty", (const unsigned char *) "", 0);
	round_trip(s, "2026/11/24/nested-key_1.gz", (const unsigned char *) "\0\1\2\3", 4);
	round_trip(s, "big.bin", big, big_len);

	/* missing objects, deletion, idempotent deletion */
	CHECK_EQ_LONG(rtcstats_storage_get(s, "no-such-key", &b, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "small.gz", &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "small.gz", &b, &err), RTCSTATS_ERR_NOT_FOUND);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "small.gz", &err), RTCSTATS_OK);

	/* the URL a row stores leads back to the same object, and only under the root */
	url = rtcstats_storage_object_url(s, "big.bin");
	CHECK(url != NULL && strncmp(url, prefix_url, strlen(prefix_url)) == 0);
	CHECK_EQ_LONG(rtcstats_storage_key_from_url(s, url, &key, &err), RTCSTATS_OK);
	CHECK_EQ_STR(key, "big.bin");
	if (key != NULL)
	{
		CHECK_EQ_LONG(rtcstats_storage_get(s, key, &b, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(b.len, big_len);
	}
	free(key);
	free(url);
	key = NULL;
	{
		char		other[300];

		snprintf(other, sizeof(other), "s3://%s/elsewhere/big.bin", bucket);
		CHECK_EQ_LONG(rtcstats_storage_key_from_url(s, other, &key, &err),
					  RTCSTATS_ERR_PERMISSION);
		snprintf(other, sizeof(other), "%s/../big.bin", prefix_url);
		CHECK_EQ_LONG(rtcstats_storage_key_from_url(s, other, &key, &err),
					  RTCSTATS_ERR_PERMISSION);
		CHECK(key == NULL);
	}
	rtcstats_buffer_free(&b);
	rtcstats_storage_free(s);

	/* the size cap, on the bytes s3rver sends */
	s = open_storage(prefix_url, endpoint, true, access_key, 1000);
	if (CHECK(s != NULL))
	{
		CHECK_EQ_LONG(rtcstats_storage_get(s, "big.bin", &b, &err), RTCSTATS_ERR_TOO_LARGE);
		CHECK(b.data == NULL);
	}
	rtcstats_storage_free(s);
	free(big);
}

static void
test_errors(void)
{
	rtcstats_storage *s;
	rtcstats_error err;
	rtcstats_buffer b = {0};
	char		url[300];
	char		closed[64];
	struct timespec t0;
	long		ms;

	/* a bucket that does not exist */
	snprintf(url, sizeof(url), "s3://%s-missing/x", bucket);
	s = open_storage(url, endpoint, true, access_key, 0);
	if (CHECK(s != NULL))
	{
		CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_ERR_NOT_FOUND);
		CHECK_EQ_LONG(rtcstats_storage_get(s, "k", &b, &err), RTCSTATS_ERR_STORAGE);
		if (!CHECK(strstr(err.detail, "HTTP 404 NoSuchBucket") != NULL))
			fprintf(stderr, "  detail: %s\n", err.detail);
	}
	rtcstats_storage_free(s);

	/* an access key the server does not know: 403 with S3's code and message */
	s = open_storage(prefix_url, endpoint, true, "AKIDNOSUCHKEY", 0);
	if (CHECK(s != NULL))
	{
		CHECK_EQ_LONG(rtcstats_storage_put(s, "k", "x", 1, &err), RTCSTATS_ERR_STORAGE);
		if (!CHECK(strstr(err.detail,
						  "HTTP 403 InvalidAccessKeyId: The AWS Access Key Id") != NULL))
			fprintf(stderr, "  detail: %s\n", err.detail);
		CHECK(strstr(err.detail, "(1 attempt)") != NULL);	/* 4xx: no retry */
	}
	rtcstats_storage_free(s);

	/* nothing listening: NETWORK after the retries, quickly */
	snprintf(closed, sizeof(closed), "http://127.0.0.1:%d", stub_closed_port());
	s = open_storage(prefix_url, closed, true, access_key, 0);
	if (CHECK(s != NULL))
	{
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_EQ_LONG(rtcstats_storage_put(s, "k", "x", 1, &err), RTCSTATS_ERR_NETWORK);
		ms = ms_since(&t0);
		if (!CHECK(strstr(err.detail, "3 attempts") != NULL))
			fprintf(stderr, "  detail: %s\n", err.detail);
		CHECK(ms >= 600 && ms < 5000);	/* 200 + 400 ms of backoff */
	}
	rtcstats_storage_free(s);
	rtcstats_buffer_free(&b);
}

static void
test_vhost(const char *vhost_endpoint)
{
	rtcstats_storage *s = open_storage(prefix_url, vhost_endpoint, false, access_key, 0);
	rtcstats_storage *p = open_storage(prefix_url, endpoint, true, access_key, 0);
	rtcstats_error err;
	rtcstats_buffer b = {0};

	if (CHECK(s != NULL && p != NULL))
	{
		if (!CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_OK))
			fprintf(stderr, "  vhost check: %s\n", err.detail);
		round_trip(s, "vhost.gz", (const unsigned char *) "virtual host", 12);
		/* the same object, seen path-style: both styles name one thing */
		CHECK_EQ_LONG(rtcstats_storage_get(p, "vhost.gz", &b, &err), RTCSTATS_OK);
		CHECK(b.len == 12 && memcmp(b.data, "virtual host", 12) == 0);
	}
	rtcstats_buffer_free(&b);
	rtcstats_storage_free(s);
	rtcstats_storage_free(p);
}

/* Prints a figure (asserts nothing about time): small objects over one connection. */
static void
measure(void)
{
	rtcstats_storage *s = open_storage(prefix_url, endpoint, true, access_key, 0);
	rtcstats_error err;
	rtcstats_buffer b = {0};
	static unsigned char body[100 * 1024];
	struct timespec t0;
	int			i,
				ok = 0;
	long		ms;
	char		key[32];

	if (!CHECK(s != NULL))
		return;
	memset(body, 'r', sizeof(body));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 50; i++)
	{
		snprintf(key, sizeof(key), "m/%d.gz", i);
		ok += rtcstats_storage_put(s, key, body, sizeof(body), &err) == RTCSTATS_OK &&
			rtcstats_storage_get(s, key, &b, &err) == RTCSTATS_OK && b.len == sizeof(body) &&
			rtcstats_storage_delete(s, key, &err) == RTCSTATS_OK;
	}
	ms = ms_since(&t0);
	CHECK_EQ_LONG(ok, 50);
	printf("s3: 50 x (put + get + delete) of 100 KiB in %ld ms (%.1f ms per object)\n",
		   ms, ms / 50.0);
	rtcstats_buffer_free(&b);
	rtcstats_storage_free(s);
}

int
main(void)
{
	const char *vhost;

	endpoint = getenv("RTCSTATS_TEST_S3_ENDPOINT");
	bucket = getenv("RTCSTATS_TEST_S3_BUCKET");
	if (endpoint == NULL || endpoint[0] == '\0' || bucket == NULL || bucket[0] == '\0')
	{
		fprintf(stderr, "test_storage_s3: skipped (set RTCSTATS_TEST_S3_ENDPOINT and "
				"RTCSTATS_TEST_S3_BUCKET)\n");
		return 77;
	}
	vhost = getenv("RTCSTATS_TEST_S3_VHOST_ENDPOINT");
	access_key = env_or("RTCSTATS_TEST_S3_ACCESS_KEY", "S3RVER");
	secret_key = env_or("RTCSTATS_TEST_S3_SECRET_KEY", "S3RVER");
	region = env_or("RTCSTATS_TEST_S3_REGION", "us-east-1");
	snprintf(prefix_url, sizeof(prefix_url), "s3://%s/test-%ld", bucket, (long) time(NULL));

	rtcstats_storage_global_init();
	test_objects();
	test_errors();
	if (vhost != NULL && vhost[0] != '\0')
		test_vhost(vhost);
	measure();
	curl_global_cleanup();
	return check_summary("test_storage_s3");
}
