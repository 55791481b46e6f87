/*
 * storage_s3.c: s3://bucket/prefix on any S3-compatible endpoint.
 *
 * libcurl signs (CURLOPT_AWS_SIGV4); we send x-amz-content-sha256 ourselves,
 * because libcurl 7.88 hashes only CURLOPT_POSTFIELDS and would sign an
 * uploaded PUT body as if it were empty, and because then the signature does
 * not depend on the libcurl version.  One easy handle
 * per storage object, curl_easy_reset() between requests: the options start
 * clean each time while the connection cache survives, so a worker reuses
 * its connection to the endpoint.
 *
 * Retries: 5xx, 429, 408, S3's RequestTimeout, timeouts and connection
 * failures, with exponential backoff (storage_internal.h).  Every other 4xx
 * is final: repeating a refused request cannot help.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "rtcstats/storage.h"
#include "storage_internal.h"

/* CURLOPT_PROTOCOLS_STR, CURLOPT_AWS_SIGV4 with a region: libcurl 7.85 */
_Static_assert(LIBCURL_VERSION_NUM >= 0x075500, "libcurl 7.85 or newer is required");

#ifndef EXTVERSION
#define EXTVERSION "dev"
#endif
#define S3_USER_AGENT "rtcstats-pg/" EXTVERSION

/* Sleep slice while backing off: how soon a cancel is noticed. */
#define S3_BACKOFF_POLL_MS 50

struct rtcstats_s3
{
	CURL	   *curl;
	char		errbuf[CURL_ERROR_SIZE];
	char	   *base_url;		/* bucket URL, no final '/': ".../bucket" or
								 * "https://bucket.host" */
	char	   *bucket_url;		/* what HEAD bucket asks for */
	char	   *prefix;			/* "" or "a/b" */
	char	   *sigv4;			/* "aws:amz:<region>:s3", NULL when unsigned */
	char	   *access_key;
	char	   *secret;
	long		connect_timeout_ms;
	long		timeout_ms;
	int			max_retries;
};

/* One request, across its attempts. */
typedef struct s3_request
{
	rtcstats_storage *s;
	const char *method;			/* PUT, GET, DELETE, HEAD */
	const char *what;			/* for details: "s3://bucket/prefix/key" */
	char	   *url;
	const unsigned char *body;	/* PUT */
	size_t		body_len;
	size_t		body_pos;
	rtcstats_buffer *out;		/* GET */
	rtcstats_buffer errbody;	/* a non-2xx response's body (S3 error XML) */
	bool		too_large;
	bool		nomem;
	bool		cancelled;
} s3_request;

/* "1.2.3.4[:port]" or "[v6]...": hosts that cannot take a bucket subdomain */
static bool
is_ip_literal(const char *host, size_t len)
{
	size_t		i;

	if (len > 0 && host[0] == '[')
		return true;
	for (i = 0; i < len && host[i] != ':'; i++)
		if (!((host[i] >= '0' && host[i] <= '9') || host[i] == '.'))
			return false;
	return true;
}

/* The region goes into "aws:amz:<region>:s3": no ':' or anything odd. */
static bool
region_valid(const char *r)
{
	if (*r == '\0' || strlen(r) > 64)
		return false;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return false;
	return true;
}

/*
 * Builds the bucket URL from the endpoint: path style puts the bucket in the
 * path (what MinIO, s3rver and IP endpoints need), virtual-host style in the
 * host name (what AWS prefers; not possible for an IP address).  An endpoint may carry a base path (a
 * reverse proxy); it may not carry user info, a query or a fragment.
 */
static rtcstats_status
build_urls(rtcstats_s3 *s3, const rtcstats_storage_config *cfg, const char *region,
		   const char *bucket, rtcstats_error *err)
{
	const char *ep = cfg->s3_endpoint;
	char	   *owned = NULL;
	const char *scheme;
	const char *hostport;
	size_t		hlen;
	size_t		plen;
	bool		path_style;

	if (ep == NULL || ep[0] == '\0')
		ep = owned = rtcstats_storage_printf("https://s3.%s.amazonaws.com", region);
	if (ep == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	if (strncmp(ep, "https://", 8) == 0)
		scheme = "https";
	else if (strncmp(ep, "http://", 7) == 0)
		scheme = "http";
	else
	{
		free(owned);
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "S3 endpoint must start with http:// or https://");
	}
	hostport = ep + strlen(scheme) + 3;
	hlen = strcspn(hostport, "/");
	plen = strlen(hostport + hlen);
	while (plen > 0 && hostport[hlen + plen - 1] == '/')
		plen--;
	if (hlen == 0 || strpbrk(ep, "@?# \t\r\n") != NULL)
	{
		free(owned);
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "S3 endpoint must be http(s)://host[:port][/path]");
	}
	/*
	 * An IP address has no subdomains: path style, as the AWS SDKs' endpoint
	 * rules also fall back to, rather than a configuration error.
	 */
	path_style = cfg->s3_path_style || is_ip_literal(hostport, hlen);
	if (path_style)
		s3->base_url = rtcstats_storage_printf("%s://%.*s%.*s/%s", scheme, (int) hlen, hostport,
											   (int) plen, hostport + hlen, bucket);
	else
		s3->base_url = rtcstats_storage_printf("%s://%s.%.*s%.*s", scheme, bucket, (int) hlen,
											   hostport, (int) plen, hostport + hlen);
	free(owned);
	if (s3->base_url == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	/* HEAD bucket: "/bucket" in path style, "/" on the bucket's own host */
	s3->bucket_url = path_style ? rtcstats_storage_strdup(s3->base_url)
		: rtcstats_storage_printf("%s/", s3->base_url);
	if (s3->bucket_url == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	return RTCSTATS_OK;
}

rtcstats_status
rtcstats_s3_init(rtcstats_storage *s, const rtcstats_storage_config *cfg, const char *bucket,
				 const char *prefix, rtcstats_error *err)
{
	rtcstats_s3 *s3;
	const char *region = cfg->s3_region && cfg->s3_region[0] ? cfg->s3_region : "us-east-1";
	bool		has_key = cfg->s3_access_key_id && cfg->s3_access_key_id[0];
	bool		has_secret = cfg->s3_secret_access_key && cfg->s3_secret_access_key[0];
	rtcstats_status rc;

	if (!region_valid(region))
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "S3 region must be lower case letters, digits and '-'");
	if (has_key != has_secret)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "S3 access key id and secret access key go together");
	s3 = calloc(1, sizeof(*s3));
	if (s3 == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	s->s3 = s3;
	s3->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
		: RTCSTATS_STORAGE_DEFAULT_CONNECT_TIMEOUT_MS;
	s3->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : RTCSTATS_STORAGE_DEFAULT_TIMEOUT_MS;
	s3->max_retries = cfg->max_retries >= 0 ? cfg->max_retries
		: RTCSTATS_STORAGE_DEFAULT_RETRIES;
	if ((rc = build_urls(s3, cfg, region, bucket, err)) != RTCSTATS_OK)
		return rc;
	s3->prefix = rtcstats_storage_strdup(prefix);
	if (s3->prefix == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	if (has_key)
	{
		s3->sigv4 = rtcstats_storage_printf("aws:amz:%s:s3", region);
		s3->access_key = rtcstats_storage_strdup(cfg->s3_access_key_id);
		s3->secret = rtcstats_storage_strdup(cfg->s3_secret_access_key);
		if (s3->sigv4 == NULL || s3->access_key == NULL || s3->secret == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	s3->curl = curl_easy_init();
	if (s3->curl == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "could not create a curl handle");
	return RTCSTATS_OK;
}

/* Frees the handle (closing its connections) and wipes the secret. */
void
rtcstats_s3_free(rtcstats_s3 *s3)
{
	if (s3 == NULL)
		return;
	if (s3->curl != NULL)
		curl_easy_cleanup(s3->curl);
	if (s3->secret != NULL)
	{
		explicit_bzero(s3->secret, strlen(s3->secret));
		free(s3->secret);
	}
	free(s3->access_key);
	free(s3->sigv4);
	free(s3->prefix);
	free(s3->bucket_url);
	free(s3->base_url);
	free(s3);
}

/* The bucket URL requests go to (for tests: path vs virtual-host style). */
const char *
rtcstats_s3_request_url(const rtcstats_storage *s)
{
	return s->s3 ? s->s3->base_url : NULL;
}

/*
 * S3's URI encoding of an object path: unreserved characters (A-Za-z0-9
 * -._~) and '/' as they are, every other byte %XX in upper case.  This is
 * also the canonical URI SigV4 signs for S3 (no double encoding), and
 * libcurl 7.88 signs the path exactly as given, so the two agree.
 */
char *
rtcstats_s3_uri_encode_path(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		n = strlen(path);
	char	   *out = malloc(n * 3 + 1);
	char	   *o = out;
	const unsigned char *p;

	if (out == NULL)
		return NULL;
	for (p = (const unsigned char *) path; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/')
			*o++ = (char) *p;
		else
		{
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/*
 * Copies the text of <tag>...</tag> from an S3 error document, decoding the
 * five XML entities and replacing anything unprintable, so the detail is one
 * clean line whatever the server sent.
 */
static void
xml_element(const char *body, const char *tag, char *dst, size_t size)
{
	char		open[32];
	char		close[32];
	const char *start;
	const char *end;
	size_t		i = 0;

	dst[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	start = strstr(body, open);
	if (start == NULL)
		return;
	start += strlen(open);
	end = strstr(start, close);
	if (end == NULL)
		return;
	while (start < end && i + 1 < size)
	{
		static const struct
		{
			const char *ent;
			char		c;
		}			ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
		{"&apos;", '\''}};
		size_t		k;
		bool		done = false;

		if (*start == '&')
		{
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			{
				size_t		el = strlen(ents[k].ent);

				if ((size_t) (end - start) >= el && strncmp(start, ents[k].ent, el) == 0)
				{
					dst[i++] = ents[k].c;
					start += el;
					done = true;
					break;
				}
			}
		}
		if (!done)
		{
			dst[i++] = (*start >= 0x20 && *start < 0x7f) ? *start : ' ';
			start++;
		}
	}
	dst[i] = '\0';
}

/* <Code> and <Message> of an S3 error body (either may come back empty). */
void
rtcstats_s3_parse_error(const char *body, size_t len, char *code, size_t code_size,
						char *message, size_t message_size)
{
	char	   *copy;

	code[0] = '\0';
	message[0] = '\0';
	if (body == NULL || len == 0)
		return;
	copy = malloc(len + 1);		/* the body may hold a NUL: strstr stops there */
	if (copy == NULL)
		return;
	memcpy(copy, body, len);
	copy[len] = '\0';
	xml_element(copy, "Code", code, code_size);
	xml_element(copy, "Message", message, message_size);
	free(copy);
}

/*
 * Response bytes: a 2xx GET body goes to the caller's buffer under the
 * object limit; anything else is an error document, of which we keep the
 * first RTCSTATS_STORAGE_MAX_ERROR_BODY bytes for its <Code> and <Message>.
 */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	s3_request *req = arg;
	size_t		n = size * nmemb;
	long		status = 0;
	rtcstats_status rc;

	curl_easy_getinfo(req->s->s3->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
	{
		if (req->out == NULL)
			return n;			/* a PUT's or DELETE's body: nothing we need */

		/*
		 * An announced size over the cap is refused before any byte is kept
		 * (not with CURLOPT_MAXFILESIZE: that would also refuse a long error
		 * document).  The cap then holds on the bytes actually received,
		 * whatever Content-Length said, or if it said nothing.
		 */
		if (req->out->len == 0)
		{
			curl_off_t	announced = -1;

			curl_easy_getinfo(req->s->s3->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
							  &announced);
			if (announced > 0 && (uint64_t) announced > (uint64_t) req->s->max_object_bytes)
			{
				req->too_large = true;
				return 0;
			}
		}
		rc = rtcstats_buffer_append(req->out, ptr, n, req->s->max_object_bytes, NULL);
		if (rc == RTCSTATS_OK)
			return n;
		if (rc == RTCSTATS_ERR_TOO_LARGE)
			req->too_large = true;
		else
			req->nomem = true;
		return 0;				/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	/* an error document: keep its start, drop the rest */
	if (req->errbody.len < RTCSTATS_STORAGE_MAX_ERROR_BODY)
	{
		size_t		room = RTCSTATS_STORAGE_MAX_ERROR_BODY - req->errbody.len;

		(void) rtcstats_buffer_append(&req->errbody, ptr, n < room ? n : room,
									  RTCSTATS_STORAGE_MAX_ERROR_BODY, NULL);
	}
	return n;
}

/* A PUT body, from memory: libcurl asks for it in pieces. */
static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	s3_request *req = arg;
	size_t		room = size * nitems;
	size_t		left = req->body_len - req->body_pos;
	size_t		n = left < room ? left : room;

	if (n > 0)
		memcpy(buf, req->body + req->body_pos, n);
	req->body_pos += n;
	return n;
}

/* libcurl rewinds the body itself when it must send it again. */
static int
seek_cb(void *arg, curl_off_t offset, int origin)
{
	s3_request *req = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t) offset > req->body_len)
		return CURL_SEEKFUNC_FAIL;
	req->body_pos = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

/* Polled by libcurl several times a second: the host's cancel. */
static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			curl_off_t ulnow)
{
	s3_request *req = arg;
	rtcstats_storage *s = req->s;

	if (s->should_stop != NULL && s->should_stop(s->should_stop_arg))
	{
		req->cancelled = true;
		return 1;
	}
	return 0;
}

/* Hex SHA-256 of the body, for x-amz-content-sha256 (OpenSSL EVP). */
static bool
sha256_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return false;
	for (i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return true;
}

/* libcurl failures worth another attempt: the network, not the request. */
static bool
curl_retryable(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			return true;
		default:
			return false;
	}
}

/*
 * HTTP answers worth another attempt: server trouble (5xx), throttling
 * (429, S3's 503 SlowDown), and timeouts (408, S3's 400 RequestTimeout,
 * which the AWS SDKs retry as well).
 */
static bool
http_retryable(long status, const char *code)
{
	return status >= 500 || status == 429 || status == 408 ||
		(status == 400 && strcmp(code, "RequestTimeout") == 0);
}

/*
 * Sleeps ms, polling should_stop; false if asked to stop.  nanosleep, not a
 * timer signal: nothing here may touch a Postgres backend's signals.
 */
static bool
backoff_sleep(rtcstats_storage *s, long ms)
{
	while (ms > 0)
	{
		long		slice = ms < S3_BACKOFF_POLL_MS ? ms : S3_BACKOFF_POLL_MS;
		struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};

		if (s->should_stop != NULL && s->should_stop(s->should_stop_arg))
			return false;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return !(s->should_stop != NULL && s->should_stop(s->should_stop_arg));
}

/* Options of one attempt, on a handle just reset. */
static CURLcode
setup_attempt(s3_request *req, struct curl_slist *headers)
{
	rtcstats_s3 *s3 = req->s->s3;
	CURL	   *h = s3->curl;
	CURLcode	rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);	/* no SIGALRM in a Postgres process */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_CONNECTTIMEOUT_MS, s3->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, s3->timeout_ms);
	SET(CURLOPT_ERRORBUFFER, s3->errbuf);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SET(CURLOPT_XFERINFODATA, req);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, req);
	SET(CURLOPT_USERAGENT, S3_USER_AGENT);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (s3->sigv4 != NULL)
	{
		SET(CURLOPT_AWS_SIGV4, s3->sigv4);
		/* USERNAME/PASSWORD rather than USERPWD: no ':' splitting to get wrong */
		SET(CURLOPT_USERNAME, s3->access_key);
		SET(CURLOPT_PASSWORD, s3->secret);
	}
	if (strcmp(req->method, "PUT") == 0)
	{
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_READFUNCTION, read_cb);
		SET(CURLOPT_READDATA, req);
		SET(CURLOPT_SEEKFUNCTION, seek_cb);
		SET(CURLOPT_SEEKDATA, req);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t) req->body_len);
	}
	else if (strcmp(req->method, "GET") == 0)
	{
		SET(CURLOPT_HTTPGET, 1L);
	}
	else if (strcmp(req->method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else
		SET(CURLOPT_CUSTOMREQUEST, req->method);
#undef SET
	return rc;
}

/*
 * Runs req until it succeeds, fails for good, or runs out of attempts, and
 * maps the outcome: 2xx OK; 404 NoSuchKey (or a bodiless 404) NOT_FOUND;
 * other HTTP errors STORAGE with status, <Code> and <Message>; libcurl
 * failures NETWORK with curl's own words; a should_stop CANCELLED.
 */
static rtcstats_status
s3_perform(s3_request *req, rtcstats_error *err)
{
	rtcstats_storage *s = req->s;
	rtcstats_s3 *s3 = s->s3;
	struct curl_slist *headers = NULL;
	struct curl_slist *tmp;
	char		hex[65];
	char		header[128];
	char		code[64];
	char		message[256];
	rtcstats_status result = RTCSTATS_OK;
	long		delay = RTCSTATS_STORAGE_BACKOFF_FIRST_MS;
	int			attempt;

	if (!sha256_hex(req->body ? (const void *) req->body : "", req->body_len, hex))
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "could not hash the request body");
	snprintf(header, sizeof(header), "x-amz-content-sha256: %s", hex);
	headers = curl_slist_append(NULL, header);
	if (headers == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	if (req->body != NULL)
	{
		/* S3 stores it as the object's type; dumps are opaque bytes */
		tmp = curl_slist_append(headers, "Content-Type: application/octet-stream");
		if (tmp == NULL)
		{
			curl_slist_free_all(headers);
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
		}
		headers = tmp;
	}

	for (attempt = 1;; attempt++)
	{
		CURLcode	rc;
		long		status = 0;
		bool		retry = false;
		int			left = s3->max_retries + 1 - attempt;

		curl_easy_reset(s3->curl);
		s3->errbuf[0] = '\0';
		req->body_pos = 0;
		req->errbody.len = 0;
		req->too_large = req->nomem = req->cancelled = false;
		if (req->out != NULL)
			req->out->len = 0;

		rc = setup_attempt(req, headers);
		if (rc != CURLE_OK)
		{
			result = rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "%s %s: curl option: %s",
								   req->method, req->what, curl_easy_strerror(rc));
			break;
		}
		rc = curl_easy_perform(s3->curl);
		curl_easy_getinfo(s3->curl, CURLINFO_RESPONSE_CODE, &status);

		if (rc == CURLE_ABORTED_BY_CALLBACK && req->cancelled)
		{
			result = rtcstats_fail(err, RTCSTATS_ERR_CANCELLED, 0, "%s %s: cancelled",
								   req->method, req->what);
			break;
		}
		if (req->too_large)
		{
			result = rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, 0,
								   "%s %s: object is larger than the limit of %zu bytes",
								   req->method, req->what, s->max_object_bytes);
			break;
		}
		if (req->nomem)
		{
			result = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "%s %s: out of memory",
								   req->method, req->what);
			break;
		}
		if (rc != CURLE_OK)
		{
			result = rtcstats_fail(err, RTCSTATS_ERR_NETWORK, 0, "%s %s: %s (curl %d, %d %s)",
								   req->method, req->what,
								   s3->errbuf[0] ? s3->errbuf : curl_easy_strerror(rc),
								   (int) rc, attempt, attempt == 1 ? "attempt" : "attempts");
			retry = curl_retryable(rc);
		}
		else if (status >= 200 && status < 300)
		{
			result = RTCSTATS_OK;
			rtcstats_error_clear(err);
			break;
		}
		else
		{
			rtcstats_s3_parse_error((const char *) req->errbody.data, req->errbody.len,
									code, sizeof(code), message, sizeof(message));
			if (status == 404 && strcmp(code, "NoSuchBucket") != 0)
				result = rtcstats_fail(err, RTCSTATS_ERR_NOT_FOUND, 0, "%s %s: not found%s%s",
									   req->method, req->what, code[0] ? ": " : "", code);
			else
				result = rtcstats_fail(err, RTCSTATS_ERR_STORAGE, 0,
									   "%s %s: HTTP %ld%s%s%s%s (%d %s)",
									   req->method, req->what, status,
									   code[0] ? " " : "", code,
									   message[0] ? ": " : "", message,
									   attempt, attempt == 1 ? "attempt" : "attempts");
			retry = http_retryable(status, code);
		}
		if (!retry || left <= 0)
			break;
		if (!backoff_sleep(s, delay))
		{
			result = rtcstats_fail(err, RTCSTATS_ERR_CANCELLED, 0, "%s %s: cancelled",
								   req->method, req->what);
			break;
		}
		delay = delay * 2 > RTCSTATS_STORAGE_BACKOFF_MAX_MS ? RTCSTATS_STORAGE_BACKOFF_MAX_MS
			: delay * 2;
	}

	/* curl_easy_reset drops options, not the memory behind them: ours */
	curl_easy_setopt(s3->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	rtcstats_buffer_free(&req->errbody);
	return result;
}

/* Sets up req for an object: its URL and its s3:// name for details. */
static rtcstats_status
object_request(rtcstats_storage *s, const char *method, const char *key, s3_request *req,
			   char **what, rtcstats_error *err)
{
	rtcstats_s3 *s3 = s->s3;
	char	   *path;
	char	   *enc;

	memset(req, 0, sizeof(*req));
	req->s = s;
	req->method = method;
	path = s3->prefix[0] ? rtcstats_storage_printf("%s/%s", s3->prefix, key)
		: rtcstats_storage_strdup(key);
	if (path == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	enc = rtcstats_s3_uri_encode_path(path);
	free(path);
	if (enc == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	req->url = rtcstats_storage_printf("%s/%s", s3->base_url, enc);
	free(enc);
	*what = rtcstats_storage_printf("%s/%s", s->root_url, key);
	if (req->url == NULL || *what == NULL)
	{
		free(req->url);
		free(*what);
		*what = NULL;
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	req->what = *what;
	return RTCSTATS_OK;
}

/* One request on one object: the common part of put, get and delete. */
static rtcstats_status
object_op(rtcstats_storage *s, const char *method, const char *key, const void *data,
		  size_t len, rtcstats_buffer *out, rtcstats_error *err)
{
	s3_request	req;
	char	   *what = NULL;
	rtcstats_status rc;

	if ((rc = object_request(s, method, key, &req, &what, err)) != RTCSTATS_OK)
		return rc;
	req.body = data;
	req.body_len = len;
	if (strcmp(method, "PUT") == 0 && req.body == NULL)
		req.body = (const unsigned char *) "";
	req.out = out;
	rc = s3_perform(&req, err);
	free(req.url);
	free(what);
	return rc;
}

/* PUT replaces the object whole: S3 has no partial objects. */
rtcstats_status
rtcstats_s3_put(rtcstats_storage *s, const char *key, const void *data, size_t len,
				rtcstats_error *err)
{
	return object_op(s, "PUT", key, data, len, NULL, err);
}

/* GET into out, which s3_perform empties before each attempt. */
rtcstats_status
rtcstats_s3_get(rtcstats_storage *s, const char *key, rtcstats_buffer *out,
				rtcstats_error *err)
{
	return object_op(s, "GET", key, NULL, 0, out, err);
}

/* S3 answers 204 for a missing key as well: deleting is idempotent. */
rtcstats_status
rtcstats_s3_delete(rtcstats_storage *s, const char *key, rtcstats_error *err)
{
	rtcstats_status rc = object_op(s, "DELETE", key, NULL, 0, NULL, err);

	if (rc == RTCSTATS_ERR_NOT_FOUND)
	{
		rtcstats_error_clear(err);
		return RTCSTATS_OK;
	}
	return rc;
}

/* HEAD bucket: reachable, bucket exists, credentials accepted. */
rtcstats_status
rtcstats_s3_check(rtcstats_storage *s, rtcstats_error *err)
{
	s3_request	req;
	rtcstats_status rc;

	memset(&req, 0, sizeof(req));
	req.s = s;
	req.method = "HEAD";
	req.url = s->s3->bucket_url;
	req.what = s->root_url;
	rc = s3_perform(&req, err);
	if (rc == RTCSTATS_ERR_NOT_FOUND && err != NULL)
		snprintf(err->detail, sizeof(err->detail), "HEAD %s: bucket does not exist",
				 s->root_url);
	return rc;
}
