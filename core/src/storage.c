/*
 * storage.c: the storage URL, keys, and dispatch to the two backends
 * (storage_file.c for file://, storage_s3.c for s3://).
 *
 * Everything a database row can name goes through here first: a key must be
 * a relative path of plain segments, and a full URL must lie under the
 * configured root, so no dumps row can make a host read or write anything
 * else (docs/storage.md, RTCSTATS_ERR_PERMISSION).  malloc only, no signals, no global state but
 * curl_global_init(): the extension calls this from Postgres backends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "hexdigit.h"
#include "rtcstats/storage.h"
#include "storage_internal.h"

/*
 * Once per process, before any thread starts: curl_global_init() is not
 * thread-safe, and an easy handle created without it would run it lazily at
 * an unsafe moment.  Calling it again is harmless (libcurl counts calls).
 */
void
rtcstats_storage_global_init(void)
{
	(void) curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* strdup that the callers can treat like any other failing allocation */
char *
rtcstats_storage_strdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* malloc'd printf; NULL when out of memory */
char *
rtcstats_storage_printf(const char *fmt,...)
{
	va_list		ap;
	char	   *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

/* Characters of a key segment (and of a bucket name). */
static bool
segment_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '.' || c == '_' || c == '-';
}

/*
 * A key is a relative path: one or more '/'-separated segments of
 * [A-Za-z0-9._-], none empty, "." or "..", at most RTCSTATS_STORAGE_MAX_KEY
 * bytes.  This one rule keeps file keys inside the root (no "..", no leading
 * '/', no NUL) and makes S3 keys need no escaping in a URL or an S3 path,
 * where "a//b" or "a/./b" would be distinct keys that a filesystem merges.
 */
bool
rtcstats_storage_key_valid(const char *key)
{
	const char *seg;
	const char *p;

	if (key == NULL || key[0] == '\0' || strlen(key) > RTCSTATS_STORAGE_MAX_KEY)
		return false;
	seg = key;
	for (p = key;; p++)
	{
		if (*p == '/' || *p == '\0')
		{
			size_t		n = (size_t) (p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
				(n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
		}
		else if (!segment_char(*p))
			return false;
	}
}

/*
 * Copies a caller's string into detail-safe form: printable ASCII only,
 * truncated, so a hostile key cannot forge log lines.
 */
static void
printable(char *dst, size_t size, const char *src)
{
	size_t		i = 0;

	if (src == NULL)
		src = "(null)";
	for (; *src && i + 4 < size; src++)
		dst[i++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	if (*src)
	{
		dst[i++] = '.';
		dst[i++] = '.';
		dst[i++] = '.';
	}
	dst[i] = '\0';
}

/*
 * Validates a key, telling an escape attempt (absolute, "..", ".", empty
 * segment: RTCSTATS_ERR_PERMISSION) from a merely malformed one (empty, too
 * long, other characters: RTCSTATS_ERR_ARGUMENT).
 */
static rtcstats_status
check_key(const char *key, rtcstats_error *err)
{
	char		shown[128];
	const char *p;
	bool		escapes = false;

	if (rtcstats_storage_key_valid(key))
		return RTCSTATS_OK;
	printable(shown, sizeof(shown), key);
	if (key != NULL && key[0] != '\0')
	{
		if (key[0] == '/' || strstr(key, "//") != NULL || key[strlen(key) - 1] == '/')
			escapes = true;
		for (p = key; *p && !escapes; p++)
		{
			if ((p == key || p[-1] == '/') && p[0] == '.' &&
				(p[1] == '/' || p[1] == '\0' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))))
				escapes = true;
		}
	}
	if (escapes)
		return rtcstats_fail(err, RTCSTATS_ERR_PERMISSION, 0,
							 "key \"%s\" is not under the storage root", shown);
	return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
						 "key \"%s\" is not a valid storage key (1 to %d bytes of '/'-separated "
						 "segments of A-Za-z0-9._-)", shown, RTCSTATS_STORAGE_MAX_KEY);
}

/*
 * Percent-decodes a file URL's path (a directory may contain a space, written
 * %20).  Refuses %00 and malformed escapes rather than guess.
 */
static char *
percent_decode(const char *s)
{
	char	   *out = malloc(strlen(s) + 1);
	char	   *o = out;

	if (out == NULL)
		return NULL;
	while (*s)
	{
		if (*s == '%')
		{
			int			hi = rtcstats_hex_digit(s[1]);
			int			lo = hi < 0 ? -1 : rtcstats_hex_digit(s[2]);

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			{
				free(out);
				return NULL;
			}
			*o++ = (char) (hi * 16 + lo);
			s += 3;
		}
		else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/*
 * file:///dir or file://localhost/dir.  The root URL keeps the path as
 * written (minus final slashes), so object URLs and key_from_url compare
 * strings the configuration produced, never a decoded form.
 */
static rtcstats_status
parse_file_url(rtcstats_storage *s, const char *url, rtcstats_error *err)
{
	const char *path = url + strlen("file://");
	size_t		n;
	char	   *written;
	char	   *decoded;
	rtcstats_status rc;

	if (strncmp(path, "localhost/", 10) == 0)
		path += strlen("localhost");
	if (path[0] != '/')
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "storage URL must be file:///absolute/dir");
	if (strpbrk(path, "?#") != NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "storage URL must not have a query or fragment");
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 1)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "refusing the filesystem root as storage directory");
	written = rtcstats_storage_printf("%.*s", (int) n, path);
	if (written == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	decoded = percent_decode(written);
	if (decoded == NULL)
	{
		free(written);
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "storage URL has a bad percent escape");
	}
	s->root_url = rtcstats_storage_printf("file://%s", written);
	free(written);
	if (s->root_url == NULL)
	{
		free(decoded);
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	rc = rtcstats_file_init(s, decoded, err);
	free(decoded);
	return rc;
}

/*
 * s3://bucket[/prefix].  Bucket names: S3's characters (lower case, digits,
 * '.', '-') plus the upper case and '_' of legacy and third-party buckets,
 * nothing that could change a URL's meaning.  The prefix obeys the key rule.
 */
static rtcstats_status
parse_s3_url(rtcstats_storage *s, const rtcstats_storage_config *cfg, const char *url,
			 rtcstats_error *err)
{
	const char *b = url + strlen("s3://");
	size_t		blen = strcspn(b, "/");
	const char *p = b + blen;
	char		bucket[256];
	char	   *prefix;
	size_t		plen;
	size_t		i;
	rtcstats_status rc;

	if (blen == 0 || blen >= sizeof(bucket))
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "storage URL must be s3://bucket[/prefix]");
	for (i = 0; i < blen; i++)
		if (!segment_char(b[i]))
			return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
								 "bad character in the bucket name of the storage URL");
	memcpy(bucket, b, blen);
	bucket[blen] = '\0';
	while (*p == '/')
		p++;
	plen = strlen(p);
	while (plen > 0 && p[plen - 1] == '/')
		plen--;
	prefix = rtcstats_storage_printf("%.*s", (int) plen, p);
	if (prefix == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	if (plen > 0 && !rtcstats_storage_key_valid(prefix))
	{
		free(prefix);
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
							 "the prefix of the storage URL must be '/'-separated segments "
							 "of A-Za-z0-9._-");
	}
	s->root_url = plen > 0 ? rtcstats_storage_printf("s3://%s/%s", bucket, prefix)
		: rtcstats_storage_printf("s3://%s", bucket);
	if (s->root_url == NULL)
	{
		free(prefix);
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	rc = rtcstats_s3_init(s, cfg, bucket, prefix, err);
	free(prefix);
	return rc;
}

/*
 * Parses the URL and sets up the backend.  Nothing is contacted here (a
 * worker may start before its storage is up): rtcstats_storage_check() is
 * the reachability test.
 */
rtcstats_storage *
rtcstats_storage_new(const rtcstats_storage_config *cfg, rtcstats_error *err)
{
	rtcstats_storage *s;
	rtcstats_status rc;

	rtcstats_error_clear(err);
	if (cfg == NULL || cfg->url == NULL || cfg->url[0] == '\0')
	{
		rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "no storage URL configured");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
	{
		rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	s->max_object_bytes = cfg->max_object_bytes ? cfg->max_object_bytes
		: RTCSTATS_STORAGE_DEFAULT_MAX_OBJECT;
	s->should_stop = cfg->should_stop;
	s->should_stop_arg = cfg->should_stop_arg;
	if (strncmp(cfg->url, "file://", 7) == 0)
	{
		s->kind = RTCSTATS_STORAGE_FILE;
		rc = parse_file_url(s, cfg->url, err);
	}
	else if (strncmp(cfg->url, "s3://", 5) == 0)
	{
		s->kind = RTCSTATS_STORAGE_S3;
		rc = parse_s3_url(s, cfg, cfg->url, err);
	}
	else
	{
		char		shown[128];

		printable(shown, sizeof(shown), cfg->url);
		rc = rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0,
						   "unsupported storage URL \"%s\" "
						   "(want file:///dir or s3://bucket/prefix)", shown);
	}
	if (rc != RTCSTATS_OK)
	{
		rtcstats_storage_free(s);
		return NULL;
	}
	return s;
}

/* Frees the object and its curl handle (closing its connections); NULL-safe. */
void
rtcstats_storage_free(rtcstats_storage *s)
{
	if (s == NULL)
		return;
	rtcstats_s3_free(s->s3);
	free(s->root_path);
	free(s->root_url);
	free(s);
}

/*
 * Stores data under key, replacing any object of that name.  file:// makes
 * the new object appear whole or not at all (rename); S3 PUT is atomic too.
 */
rtcstats_status
rtcstats_storage_put(rtcstats_storage *s, const char *key, const void *data, size_t len,
					 rtcstats_error *err)
{
	rtcstats_status rc;

	rtcstats_error_clear(err);
	if (s == NULL || (data == NULL && len > 0))
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "bad arguments to storage put");
	if ((rc = check_key(key, err)) != RTCSTATS_OK)
		return rc;
	if (s->kind == RTCSTATS_STORAGE_FILE)
		return rtcstats_file_put(s, key, data, len, err);
	return rtcstats_s3_put(s, key, data, len, err);
}

/*
 * Reads a whole object into out (malloc'd).  out must be zeroed or a buffer
 * from an earlier call (its memory is reused).  On failure out is freed, so
 * no partial object is ever seen.  Objects over max_object_bytes are refused
 * with RTCSTATS_ERR_TOO_LARGE, counting the bytes actually received.
 */
rtcstats_status
rtcstats_storage_get(rtcstats_storage *s, const char *key, rtcstats_buffer *out,
					 rtcstats_error *err)
{
	rtcstats_status rc;

	rtcstats_error_clear(err);
	if (s == NULL || out == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "bad arguments to storage get");
	out->len = 0;
	if ((rc = check_key(key, err)) != RTCSTATS_OK)
		return rc;
	if (s->kind == RTCSTATS_STORAGE_FILE)
		rc = rtcstats_file_get(s, key, out, err);
	else
		rc = rtcstats_s3_get(s, key, out, err);
	if (rc != RTCSTATS_OK)
		rtcstats_buffer_free(out);
	return rc;
}

/*
 * Deletes an object.  Deleting a missing object succeeds, as S3's DELETE
 * does: a retried cleanup is harmless, and both backends agree.
 */
rtcstats_status
rtcstats_storage_delete(rtcstats_storage *s, const char *key, rtcstats_error *err)
{
	rtcstats_status rc;

	rtcstats_error_clear(err);
	if (s == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "no storage");
	if ((rc = check_key(key, err)) != RTCSTATS_OK)
		return rc;
	if (s->kind == RTCSTATS_STORAGE_FILE)
		return rtcstats_file_delete(s, key, err);
	return rtcstats_s3_delete(s, key, err);
}

/* Reachability for health checks: see storage_file.c and storage_s3.c. */
rtcstats_status
rtcstats_storage_check(rtcstats_storage *s, rtcstats_error *err)
{
	rtcstats_error_clear(err);
	if (s == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "no storage");
	if (s->kind == RTCSTATS_STORAGE_FILE)
		return rtcstats_file_check(s, err);
	return rtcstats_s3_check(s, err);
}

/*
 * The URL a dumps row stores: root URL, '/', key.  Keys need no escaping
 * (see rtcstats_storage_key_valid), so the URL is the key, readable.  NULL
 * for an invalid key or when out of memory.
 */
char *
rtcstats_storage_object_url(const rtcstats_storage *s, const char *key)
{
	if (s == NULL || !rtcstats_storage_key_valid(key))
		return NULL;
	return rtcstats_storage_printf("%s/%s", s->root_url, key);
}

/*
 * The inverse of rtcstats_storage_object_url, and the gate a stored URL
 * passes before any read: only "<root URL>/<valid key>" is accepted, so a
 * row naming another scheme, bucket, prefix or directory, or climbing out
 * with "..", gets RTCSTATS_ERR_PERMISSION.
 */
rtcstats_status
rtcstats_storage_key_from_url(const rtcstats_storage *s, const char *url, char **key,
							  rtcstats_error *err)
{
	size_t		n;
	char		shown[160];

	rtcstats_error_clear(err);
	if (key != NULL)
		*key = NULL;
	if (s == NULL || url == NULL || key == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_ARGUMENT, 0, "bad arguments to key_from_url");
	n = strlen(s->root_url);
	if (strncmp(url, s->root_url, n) != 0 || url[n] != '/' ||
		!rtcstats_storage_key_valid(url + n + 1))
	{
		printable(shown, sizeof(shown), url);
		return rtcstats_fail(err, RTCSTATS_ERR_PERMISSION, 0,
							 "URL \"%s\" is not under the storage root \"%s\"",
							 shown, s->root_url);
	}
	*key = rtcstats_storage_strdup(url + n + 1);
	if (*key == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	return RTCSTATS_OK;
}
