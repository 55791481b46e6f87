/*
 * test_sigv4.c: libcurl's CURLOPT_AWS_SIGV4, as the storage client uses it,
 * produces AWS's published Signature Version 4 signatures.
 *
 * The S3 test server (s3rver) is no referee of signing, so the referee is
 * AWS's own published examples: requests are sent by libcurl to a local stub
 * (http_stub.h) under the example's host name (CURLOPT_CONNECT_TO) and date
 * (an X-Amz-Date header, which libcurl signs instead of the clock), and the
 * Authorization header that arrives must equal the published one.  Vectors:
 * get-vanilla, post-vanilla and get-utf8 from the AWS SigV4 test suite, and
 * the GET and PUT object examples of the S3 API reference ("Signature
 * Calculations for the Authorization Header").
 *
 * The storage client's own requests carry the current date, so for them the
 * expected signature comes from an implementation of the published
 * algorithm written here with OpenSSL's HMAC, itself checked against the
 * same published vectors first.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "check.h"
#include "http_stub.h"
#include "rtcstats/storage.h"

#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3DOC_KEY "AKIAIOSFODNN7EXAMPLE"
#define S3DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- the published algorithm, independently of libcurl ---- */

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t		i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
sha256_hex(const void *d, size_t n, char *out)
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(d, n, md, &len, EVP_sha256(), NULL);
	hex(md, 32, out);
}

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char *out)
{
	unsigned int len = 0;

	HMAC(EVP_sha256(), key, (int) klen, (const unsigned char *) msg, strlen(msg), out, &len);
}

/*
 * Signature of a canonical request (already assembled per the spec), at
 * timestamp (YYYYMMDDTHHMMSSZ), for region and service.
 */
static void
sigv4_signature(const char *secret, const char *timestamp, const char *region,
				const char *service, const char *canonical, char *sig)
{
	char		date[9];
	char		k[128];
	char		creq_hash[65];
	char		sts[512];
	unsigned char k1[32],
				k2[32],
				k3[32],
				k4[32],
				s[32];

	memcpy(date, timestamp, 8);
	date[8] = '\0';
	sha256_hex(canonical, strlen(canonical), creq_hash);
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
			 timestamp, date, region, service, creq_hash);
	snprintf(k, sizeof(k), "AWS4%s", secret);
	hmac(k, strlen(k), date, k1);
	hmac(k1, 32, region, k2);
	hmac(k2, 32, service, k3);
	hmac(k3, 32, "aws4_request", k4);
	hmac(k4, 32, sts, s);
	hex(s, 32, sig);
}

/* The reference implementation reproduces the published vectors. */
static void
test_reference_implementation(void)
{
	char		sig[65];

	/* get-vanilla (aws-sig-v4-test-suite/get-vanilla/get-vanilla.creq) */
	sigv4_signature(SUITE_SECRET, "20150830T123600Z", "us-east-1", "service",
					"GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
					"host;x-amz-date\n" EMPTY_SHA256, sig);
	CHECK_EQ_STR(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

	/* S3 API reference, GET object with Range */
	sigv4_signature(S3DOC_SECRET, "20130524T000000Z", "us-east-1", "s3",
					"GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
					"x-amz-content-sha256:" EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
					"host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256, sig);
	CHECK_EQ_STR(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

/* ---- libcurl against the published vectors ---- */

typedef struct vector
{
	const char *name;
	const char *method;
	const char *url;			/* on the example host */
	const char *connect_host;	/* "example.amazonaws.com" */
	const char *sigv4;
	const char *key;
	const char *secret;
	const char *headers[4];
	const char *body;
	const char *authorization;	/* published */
} vector;

static const vector vectors[] = {
	{
		"get-vanilla", "GET", "http://example.amazonaws.com/", "example.amazonaws.com",
		"aws:amz:us-east-1:service", SUITE_KEY, SUITE_SECRET,
		{"X-Amz-Date: 20150830T123600Z"}, NULL,
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
		"SignedHeaders=host;x-amz-date, "
		"Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	},
	{
		"post-vanilla", "POST", "http://example.amazonaws.com/", "example.amazonaws.com",
		"aws:amz:us-east-1:service", SUITE_KEY, SUITE_SECRET,
		{"X-Amz-Date: 20150830T123600Z"}, "",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
		"SignedHeaders=host;x-amz-date, "
		"Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
	},
	{
		/* the path is signed as sent, already percent-encoded: as for S3 keys */
		"get-utf8", "GET", "http://example.amazonaws.com/%E1%88%B4", "example.amazonaws.com",
		"aws:amz:us-east-1:service", SUITE_KEY, SUITE_SECRET,
		{"X-Amz-Date: 20150830T123600Z"}, NULL,
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
		"SignedHeaders=host;x-amz-date, "
		"Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
	},
	{
		"s3-get-object", "GET", "http://examplebucket.s3.amazonaws.com/test.txt",
		"examplebucket.s3.amazonaws.com", "aws:amz:us-east-1:s3", S3DOC_KEY, S3DOC_SECRET,
		{"Range: bytes=0-9", "x-amz-content-sha256: " EMPTY_SHA256,
		"x-amz-date: 20130524T000000Z"}, NULL,
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	},
	{
		"s3-put-object", "PUT", "http://examplebucket.s3.amazonaws.com/test%24file.text",
		"examplebucket.s3.amazonaws.com", "aws:amz:us-east-1:s3", S3DOC_KEY, S3DOC_SECRET,
		{"Date: Fri, 24 May 2013 00:00:00 GMT", "x-amz-date: 20130524T000000Z",
			"x-amz-storage-class: REDUCED_REDUNDANCY",
		"x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
		"Welcome to Amazon S3.",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
		"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
		"Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
	},
};

static void
test_curl_vector(const vector *v)
{
	http_stub	st;
	CURL	   *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct curl_slist *connect_to = NULL;
	char		ct[256];
	char		auth[512];
	char		host[256];
	CURLcode	rc;
	int			i;

	if (!CHECK(stub_start(&st, NULL, 0)))
	{
		curl_easy_cleanup(h);
		return;
	}
	snprintf(ct, sizeof(ct), "%s:80:127.0.0.1:%d", v->connect_host, st.port);
	connect_to = curl_slist_append(NULL, ct);
	for (i = 0; i < 4 && v->headers[i]; i++)
		hdrs = curl_slist_append(hdrs, v->headers[i]);
	curl_easy_setopt(h, CURLOPT_URL, v->url);
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, v->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, v->key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, v->secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (v->body != NULL)
	{
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, v->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) strlen(v->body));
	}
	if (strcmp(v->method, "POST") != 0 && strcmp(v->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, v->method);
	rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(connect_to);
	stub_stop(&st);

	if (CHECK_EQ_LONG(rc, CURLE_OK) && CHECK_EQ_LONG(st.nreq, 1))
	{
		stub_header(&st.req[0], "Authorization", auth, sizeof(auth));
		if (!CHECK_EQ_STR(auth, v->authorization))
			fprintf(stderr, "  vector %s\n", v->name);
		stub_header(&st.req[0], "Host", host, sizeof(host));
		CHECK_EQ_STR(host, v->connect_host);
		CHECK_EQ_STR(st.req[0].method, v->method);
	}
	stub_free(&st);
}

/* ---- the storage client's own requests ---- */

/*
 * The expected Authorization for a request the storage client sent: the
 * canonical request is rebuilt from what we know was sent (method, encoded
 * path, Host, the signed headers' received values) and signed here.
 */
static void
check_storage_request(const stub_request *r, const char *method, const char *path,
					  const char *signed_headers, const char *secret)
{
	char		auth[512];
	char		want[512];
	char		date[32];
	char		host[128];
	char		payload[80];
	char		body_hash[65];
	char		ctype[80];
	char		canonical[2048];
	char		sig[65];

	CHECK_EQ_STR(r->method, method);
	CHECK_EQ_STR(r->path, path);
	stub_header(r, "Authorization", auth, sizeof(auth));
	stub_header(r, "x-amz-date", date, sizeof(date));
	stub_header(r, "Host", host, sizeof(host));
	stub_header(r, "x-amz-content-sha256", payload, sizeof(payload));
	stub_header(r, "Content-Type", ctype, sizeof(ctype));
	CHECK_EQ_LONG(strlen(date), 16);

	/* what the client declared as the payload hash is the body's hash */
	sha256_hex(r->body ? r->body : "", r->body_len, body_hash);
	CHECK_EQ_STR(payload, body_hash);

	if (strstr(signed_headers, "content-type") != NULL)
		snprintf(canonical, sizeof(canonical),
				 "%s\n%s\n\ncontent-type:%s\nhost:%s\nx-amz-content-sha256:%s\n"
				 "x-amz-date:%s\n\n%s\n%s",
				 method, path, ctype, host, payload, date, signed_headers, payload);
	else
		snprintf(canonical, sizeof(canonical),
				 "%s\n%s\n\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\n%s\n%s",
				 method, path, host, payload, date, signed_headers, payload);
	sigv4_signature(secret, date, "eu-west-3", "s3", canonical, sig);
	snprintf(want, sizeof(want),
			 "AWS4-HMAC-SHA256 Credential=" SUITE_KEY "/%.8s/eu-west-3/s3/aws4_request, "
			 "SignedHeaders=%s, Signature=%s", date, signed_headers, sig);
	if (!CHECK_EQ_STR(auth, want))
		fprintf(stderr, "  canonical request:\n%s\n", canonical);
}

static void
test_storage_requests(void)
{
	http_stub	st;
	rtcstats_storage_config cfg = {0};
	rtcstats_storage *s;
	rtcstats_error err;
	rtcstats_buffer buf = {0};
	char		endpoint[64];
	static const stub_response script[] = {
		{200, NULL, NULL, 0, STUB_NORMAL},	/* PUT */
		{200, NULL, "stored bytes", 0, STUB_NORMAL},	/* GET */
		{204, NULL, NULL, 0, STUB_NORMAL},	/* DELETE */
		{200, NULL, NULL, 0, STUB_NORMAL},	/* HEAD bucket */
	};

	if (!CHECK(stub_start(&st, script, 4)))
		return;
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", st.port);
	cfg.url = "s3://dumps-bucket/rtc/stats";
	cfg.s3_endpoint = endpoint;
	cfg.s3_region = "eu-west-3";
	cfg.s3_access_key_id = SUITE_KEY;
	cfg.s3_secret_access_key = SUITE_SECRET;
	cfg.s3_path_style = true;
	cfg.max_retries = 0;
	s = rtcstats_storage_new(&cfg, &err);
	if (!CHECK(s != NULL))
	{
		stub_stop(&st);
		stub_free(&st);
		return;
	}
	CHECK_EQ_LONG(rtcstats_storage_put(s, "2026/11/a-1.gz", "payload \x01\x02", 10, &err),
				  RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_get(s, "2026/11/a-1.gz", &buf, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_delete(s, "2026/11/a-1.gz", &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_storage_check(s, &err), RTCSTATS_OK);
	rtcstats_storage_free(s);
	rtcstats_buffer_free(&buf);
	stub_stop(&st);

	if (!CHECK_EQ_LONG(st.nreq, 4))
	{
		stub_free(&st);
		return;
	}
	check_storage_request(&st.req[0], "PUT", "/dumps-bucket/rtc/stats/2026/11/a-1.gz",
						  "content-type;host;x-amz-content-sha256;x-amz-date", SUITE_SECRET);
	CHECK_EQ_LONG(st.req[0].body_len, 10);
	check_storage_request(&st.req[1], "GET", "/dumps-bucket/rtc/stats/2026/11/a-1.gz",
						  "host;x-amz-content-sha256;x-amz-date", SUITE_SECRET);
	check_storage_request(&st.req[2], "DELETE", "/dumps-bucket/rtc/stats/2026/11/a-1.gz",
						  "host;x-amz-content-sha256;x-amz-date", SUITE_SECRET);
	check_storage_request(&st.req[3], "HEAD", "/dumps-bucket",
						  "host;x-amz-content-sha256;x-amz-date", SUITE_SECRET);
	/* one connection for all four: curl_easy_reset keeps the connection cache */
	CHECK_EQ_LONG(st.req[3].conn, st.req[0].conn);
	stub_free(&st);
}

int
main(void)
{
	size_t		i;

	rtcstats_storage_global_init();
	test_reference_implementation();
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		test_curl_vector(&vectors[i]);
	test_storage_requests();
	curl_global_cleanup();
	return check_summary("test_sigv4");
}
