/*
 * http.c: the HTTP side of the port: POST <upload-path> (a complete dump,
 * raw or multipart/form-data, plain or gzip), GET /healthcheck, GET /metrics.
 * Unknown paths get 404, known paths with another method 405.
 *
 * An upload is validated with the core reader (file format 3, every line
 * well formed, at least one event: upstream answers 422 for an empty dump),
 * written to the spool as <id>.dump and queued like a closed session.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zlib.h>

#include "rtcstats/reader.h"

#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "spool.h"

typedef enum route
{
	ROUTE_NONE = 0,
	ROUTE_UPLOAD
} route;

typedef struct http_state
{
	route		route;
	unsigned char *body;
	size_t		len,
				cap;
	bool		too_large;
	bool		gzip_encoded;	/* Content-Encoding: gzip */
	char	   *content_type;
	proxy_claims claims;
	char	   *resp;			/* LWS_PRE bytes, then the body */
	size_t		resp_len;
	bool		close_after;
	bool		counted;		/* holds one of the UPLOADS_MAX slots */
	struct upload_job *job;		/* being validated by a thread */
} http_state;

/*
 * Validating an upload (gunzip, reader pass) takes time proportional to its
 * size, so it runs in a thread of its own; the loop answers when the thread
 * is done (lws_cancel_service wakes it).  At most UPLOADS_MAX uploads are in
 * flight (receiving or validating), which also bounds the memory bodies take
 * (UPLOADS_MAX x max-dump-bytes); more get 503.
 */
#define UPLOADS_MAX 4

typedef struct upload_job
{
	struct upload_job *next;	/* completed, waiting for the loop */
	struct lws *wsi;
	unsigned char *body;
	size_t		len;
	char	   *content_type;
	bool		gzip_encoded;
	proxy_claims claims;
	bool		done;			/* under upload_lock */
	bool		orphaned;		/* the connection closed first: the thread frees */
	unsigned int status;
	char		msg[700];		/* the 200 JSON answer, or the reason */
} upload_job;

static pthread_mutex_t upload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t upload_cond = PTHREAD_COND_INITIALIZER;
static upload_job *completed;
static int	upload_threads;		/* running, under upload_lock */
static int	uploads_in_flight;		/* loop thread only */

static void
job_free(upload_job *j)
{
	free(j->body);
	free(j->content_type);
	proxy_claims_free(&j->claims);
	free(j);
}

/* Detaches a job from its connection: freed now if done, else by its thread. */
static void
job_release(upload_job *j)
{
	bool		free_now;

	pthread_mutex_lock(&upload_lock);
	free_now = j->done;
	if (j->done)
	{
		for (upload_job **p = &completed; *p; p = &(*p)->next)
		{
			if (*p == j)
			{
				*p = j->next;
				break;
			}
		}
	}
	else
		j->orphaned = true;
	pthread_mutex_unlock(&upload_lock);
	if (free_now)
		job_free(j);
}

static void
state_reset(http_state *h)
{
	if (h->job)
		job_release(h->job);
	if (h->counted)
		uploads_in_flight--;
	free(h->body);
	free(h->content_type);
	free(h->resp);
	proxy_claims_free(&h->claims);
	memset(h, 0, sizeof(*h));
}

/* Headers now, body when writable (lws_write only in HTTP_WRITEABLE). */
static int
respond(struct lws *wsi, http_state *h, unsigned int status, const char *ctype,
		const char *body, size_t len, const char *allow)
{
	unsigned char hdr[LWS_PRE + 1024];
	unsigned char *start = hdr + LWS_PRE,
			   *p = start,
			   *end = hdr + sizeof(hdr) - 1;

	free(h->resp);
	h->resp = malloc(LWS_PRE + len + 1);
	if (!h->resp)
		return -1;
	memcpy(h->resp + LWS_PRE, body, len);
	h->resp_len = len;
	if (lws_add_http_common_headers(wsi, status, ctype, (lws_filepos_t) len, &p, end))
		return -1;
	if (allow && lws_add_http_header_by_name(wsi, (const unsigned char *) "allow:",
											 (const unsigned char *) allow, (int) strlen(allow),
											 &p, end))
		return -1;
	if (lws_add_http_header_by_name(wsi, (const unsigned char *) "cache-control:",
									(const unsigned char *) "no-store", 8, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* {"error": reason} with status; reasons never contain payload bytes. */
static int
respond_error(struct lws *wsi, http_state *h, unsigned int status, const char *reason,
			  const char *allow)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	char		buf[1024];

	json_object_object_add(o, "error", json_object_new_string(reason));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(buf, sizeof(buf), "%s\n", s);
	json_object_put(o);
	return respond(wsi, h, status, "application/json", buf, strlen(buf), allow);
}

static int
upload_rejected(struct lws *wsi, http_state *h, unsigned int status, const char *reason)
{
	atomic_fetch_add_explicit(&proxy_stats.http_upload_rejected, 1, memory_order_relaxed);
	log_warn("event=upload_rejected status=%u reason=\"%s\"", status, reason);
	h->close_after = true;
	return respond_error(wsi, h, status, reason, NULL);
}

static char *
copy_header(struct lws *wsi, enum lws_token_indexes t)
{
	int			len = lws_hdr_total_length(wsi, t);
	char	   *buf;

	if (len <= 0 || len > 8192)
		return NULL;
	buf = malloc((size_t) len + 1);
	if (buf && lws_hdr_copy(wsi, buf, len + 1, t) < 0)
	{
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* rtcstats-token query parameter (as upstream) or Authorization: Bearer. */
static int
check_token(struct lws *wsi, http_state *h, char *why, size_t whylen)
{
	char		buf[PROXY_JWT_MAX_BYTES + 32];
	const char *tok;
	char	   *auth = NULL;
	int			rc;

	if (!*proxy_cfg.jwt_secret)
		return 0;
	tok = lws_get_urlarg_by_name(wsi, "rtcstats-token=", buf, sizeof(buf));
	if (!tok)
	{
		auth = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
		if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		{
			tok = auth + 7;
			while (*tok == ' ')
				tok++;
		}
	}
	rc = proxy_jwt_verify(tok, proxy_cfg.jwt_secret, proxy_cfg.jwt_leeway, time(NULL),
						  &h->claims, why, whylen);
	free(auth);
	return rc;
}

/* gunzip in[0..len) into a new buffer of at most cap bytes. */
static int
gunzip(const unsigned char *in, size_t len, size_t cap, unsigned char **out, size_t *outlen,
	   const char **why)
{
	z_stream	z;
	size_t		bcap = len * 4 + 4096;
	unsigned char *buf;
	int			rc;

	*out = NULL;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
	{
		*why = "out of memory";
		return 500;
	}
	if (bcap > cap + 1)
		bcap = cap + 1;
	buf = malloc(bcap);
	if (!buf)
	{
		inflateEnd(&z);
		*why = "out of memory";
		return 500;
	}
	z.next_in = (unsigned char *) in;
	z.avail_in = (uInt) len;
	for (;;)
	{
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt) (bcap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
		{
			free(buf);
			inflateEnd(&z);
			*why = "corrupt gzip data";
			return 400;
		}
		if (z.avail_out == 0)
		{
			unsigned char *nb;

			if (bcap > cap)
			{
				free(buf);
				inflateEnd(&z);
				*why = "dump larger than max-dump-bytes";
				return 413;
			}
			bcap = bcap * 2 > cap + 1 ? cap + 1 : bcap * 2;
			nb = realloc(buf, bcap);
			if (!nb)
			{
				free(buf);
				inflateEnd(&z);
				*why = "out of memory";
				return 500;
			}
			buf = nb;
		}
		else if (z.avail_in == 0)
		{
			free(buf);
			inflateEnd(&z);
			*why = "truncated gzip data";
			return 400;
		}
	}
	*outlen = z.total_out;
	inflateEnd(&z);
	if (*outlen > cap)
	{
		free(buf);
		*why = "dump larger than max-dump-bytes";
		return 413;
	}
	*out = buf;
	return 0;
}

static const unsigned char *
memmem_u(const unsigned char *h, size_t hl, const char *n, size_t nl)
{
	return memmem(h, hl, n, nl);
}

/* The first file part of a multipart/form-data body (upstream: one file part). */
static int
multipart_file(const char *ctype, const unsigned char *body, size_t len,
			   const unsigned char **part, size_t *partlen, const char **why)
{
	const char *b = strstr(ctype, "boundary=");
	char		delim[256];
	size_t		blen,
				dlen;
	const unsigned char *p,
			   *end = body + len;

	*why = "malformed multipart/form-data body";
	if (!b)
	{
		*why = "boundary not found in Content-Type";
		return 400;
	}
	b += 9;
	if (*b == '"')
	{
		b++;
		blen = strcspn(b, "\"");
	}
	else
		blen = strcspn(b, "; \t");
	if (blen == 0 || blen > 200)
	{
		*why = "invalid multipart boundary";
		return 400;
	}
	dlen = (size_t) snprintf(delim, sizeof(delim), "--%.*s", (int) blen, b);
	p = memmem_u(body, len, delim, dlen);
	while (p)
	{
		const unsigned char *hdr_end,
				   *next;
		bool		is_file;

		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;				/* final delimiter: no file part */
		hdr_end = memmem_u(p, (size_t) (end - p), "\r\n\r\n", 4);
		if (!hdr_end)
			break;
		is_file = memmem_u(p, (size_t) (hdr_end - p), "filename=", 9) != NULL;
		hdr_end += 4;
		next = memmem_u(hdr_end, (size_t) (end - hdr_end), delim, dlen);
		if (!next || next - hdr_end < 2)
			break;
		if (is_file)
		{
			*part = hdr_end;
			*partlen = (size_t) (next - hdr_end - 2);	/* CRLF before the delimiter */
			return 0;
		}
		p = next;
	}
	*why = "no file part in multipart/form-data body";
	return 400;
}

typedef struct validate_ctx
{
	long		events;
	int64_t		start_ms;
} validate_ctx;

static rtcstats_status
v_metadata(void *arg, struct json_object *metadata, rtcstats_error *err)
{
	validate_ctx *v = arg;
	struct json_object *t;

	if (json_object_object_get_ex(metadata, "startTime", &t) &&
		(json_object_is_type(t, json_type_int) || json_object_is_type(t, json_type_double)))
		v->start_ms = (int64_t) json_object_get_double(t);
	return RTCSTATS_OK;
}

static rtcstats_status
v_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	((validate_ctx *) arg)->events++;
	return RTCSTATS_OK;
}

/* Writes data as <id>.dump with its sidecar and queues it. */
static int
spool_upload(const char *id, const unsigned char *data, size_t len, int64_t start_ms,
			 const proxy_claims *claims)
{
	int			fd;
	size_t		off = 0,
				hlen;
	char	   *hdr = proxy_spool_header(start_ms, claims, true, &hlen);

	if (!hdr)
		return -1;
	fd = proxy_spool_create(proxy_cfg.spool_dir, id);
	if (fd < 0 || write(fd, hdr, hlen) != (ssize_t) hlen)
	{
		free(hdr);
		if (fd >= 0)
			goto fail_fd;
		goto fail;
	}
	free(hdr);
	while (off < len)
	{
		ssize_t		w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail_fd;
		off += (size_t) w;
	}
	if (len > 0 && data[len - 1] != '\n' && write(fd, "\n", 1) != 1)
		goto fail_fd;
	if (close(fd) != 0)
	{
		fd = -1;
		goto fail;
	}
	if (proxy_spool_complete(proxy_cfg.spool_dir, id) != 0)
		goto fail;
	proxy_uploader_queue(id);
	return 0;
fail_fd:
	close(fd);
fail:
	log_error("event=spool_error dump=%s error=\"upload: %s\"", id, strerror(errno));
	proxy_spool_remove(proxy_cfg.spool_dir, id);
	return -1;
}

/* The thread's work: fills j->status and j->msg. */
static void
validate_upload(upload_job *j)
{
	const unsigned char *data = j->body;
	size_t		len = j->len;
	unsigned char *plain = NULL,
			   *plain2 = NULL;
	size_t		plen;
	const char *why = NULL;
	unsigned int status = 0;
	rtcstats_reader_options ro = {0};
	rtcstats_reader_callbacks cb = {v_metadata, v_event};
	validate_ctx vc = {0, 0};
	rtcstats_reader *r;
	rtcstats_error err;
	rtcstats_status rc;
	char		id[PROXY_ID_LEN + 1];
	char		msg[700];
	int			s;

	if (j->gzip_encoded)
	{
		s = gunzip(data, len, proxy_cfg.max_dump_bytes, &plain, &plen, &why);
		if (s)
		{
			status = (unsigned) s;
			goto reject;
		}
		data = plain;
		len = plen;
	}
	if (j->content_type && strncasecmp(j->content_type, "multipart/form-data", 19) == 0)
	{
		s = multipart_file(j->content_type, data, len, &data, &len, &why);
		if (s)
		{
			status = (unsigned) s;
			goto reject;
		}
	}
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b)
	{
		s = gunzip(data, len, proxy_cfg.max_dump_bytes, &plain2, &plen, &why);
		if (s)
		{
			status = (unsigned) s;
			goto reject;
		}
		data = plain2;
		len = plen;
	}

	rtcstats_error_clear(&err);
	ro.max_line_bytes = proxy_cfg.max_message_bytes + 1024;
	r = rtcstats_reader_new(&ro, &cb, &vc);
	if (!r)
	{
		status = 500;
		why = "out of memory";
		goto reject;
	}
	rc = rtcstats_reader_feed(r, data, len, &err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_reader_finish(r, &err);
	if (rc == RTCSTATS_OK && rtcstats_reader_format(r) != RTCSTATS_FORMAT_RTCSTATS)
	{
		rc = RTCSTATS_ERR_FORMAT;
		snprintf(err.detail, sizeof(err.detail), "not an rtcstats dump (file format 3)");
		err.line = 0;
	}
	rtcstats_reader_free(r);
	if (rc != RTCSTATS_OK)
	{
		if (err.line > 0)
			snprintf(msg, sizeof(msg), "invalid dump at line %ld: %s", err.line, err.detail);
		else
			snprintf(msg, sizeof(msg), "invalid dump: %s", err.detail);
		status = rc == RTCSTATS_ERR_TOO_LARGE ? 413 : rc == RTCSTATS_ERR_NOMEM ? 500 : 400;
		why = msg;
		goto reject;
	}
	if (vc.events == 0)
	{
		status = 422;
		why = "the uploaded dump contained no messages";
		goto reject;
	}
	if (proxy_uuid_v4(id) != 0 ||
		spool_upload(id, data, len, vc.start_ms > 0 ? vc.start_ms : proxy_now_ms(), &j->claims) != 0)
	{
		status = 503;
		why = "cannot spool the dump";
		goto reject;
	}
	atomic_fetch_add_explicit(&proxy_stats.http_uploads, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&proxy_stats.sessions_spooled, 1, memory_order_relaxed);
	log_info("event=uploaded_http dump=%s bytes=%zu events=%ld", id, len, vc.events);
	j->status = 200;
	snprintf(j->msg, sizeof(j->msg),
			 "{\"message\":\"Upload successful\",\"clientId\":\"%s\",\"id\":\"%s\"}\n", id, id);
	free(plain);
	free(plain2);
	return;

reject:
	j->status = status;
	snprintf(j->msg, sizeof(j->msg), "%s", why);
	free(plain);
	free(plain2);
}

static void *
upload_thread(void *arg)
{
	upload_job *j = arg;
	bool		orphaned;

	validate_upload(j);
	free(j->body);				/* the largest part: not kept until the answer is sent */
	j->body = NULL;
	pthread_mutex_lock(&upload_lock);
	j->done = true;
	orphaned = j->orphaned;
	if (!orphaned)
	{
		j->next = completed;
		completed = j;
	}
	if (orphaned)
		job_free(j);
	else
		lws_cancel_service(proxy_ctx);	/* the context outlives us: see proxy_http_wait_uploads */
	upload_threads--;
	pthread_cond_broadcast(&upload_cond);
	pthread_mutex_unlock(&upload_lock);
	return NULL;
}

void
proxy_http_wait_uploads(void)
{
	pthread_mutex_lock(&upload_lock);
	while (upload_threads > 0)
		pthread_cond_wait(&upload_cond, &upload_lock);
	pthread_mutex_unlock(&upload_lock);
}

void
proxy_http_uploads_completed(void)
{
	pthread_mutex_lock(&upload_lock);
	for (upload_job *j = completed; j; j = j->next)
		lws_callback_on_writable(j->wsi);
	pthread_mutex_unlock(&upload_lock);
}

/* Body complete: hand it to a validation thread. */
static int
finish_upload(struct lws *wsi, http_state *h)
{
	upload_job *j;
	pthread_t	tid;
	pthread_attr_t attr;
	int			rc;

	if (h->too_large)
		return upload_rejected(wsi, h, 413, "dump larger than max-dump-bytes");
	if (h->len == 0)
		return upload_rejected(wsi, h, 400, "empty body");
	j = calloc(1, sizeof(upload_job));
	if (!j)
		return -1;
	j->wsi = wsi;
	j->body = h->body;
	j->len = h->len;
	j->content_type = h->content_type;
	j->gzip_encoded = h->gzip_encoded;
	j->claims = h->claims;
	h->body = NULL;
	h->len = h->cap = 0;
	h->content_type = NULL;
	memset(&h->claims, 0, sizeof(h->claims));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&upload_lock);
	upload_threads++;
	pthread_mutex_unlock(&upload_lock);
	rc = pthread_create(&tid, &attr, upload_thread, j);
	pthread_attr_destroy(&attr);
	if (rc != 0)
	{
		pthread_mutex_lock(&upload_lock);
		upload_threads--;
		pthread_mutex_unlock(&upload_lock);
		job_free(j);
		return upload_rejected(wsi, h, 503, "cannot start validation");
	}
	h->job = j;
	return 0;
}

/* HTTP_WRITEABLE with a finished job: the answer's headers now, body next. */
static int
answer_upload(struct lws *wsi, http_state *h)
{
	upload_job *j = h->job;
	int			rc;

	h->job = NULL;
	if (h->counted)
	{
		uploads_in_flight--;	/* the slot is free once validated */
		h->counted = false;
	}
	pthread_mutex_lock(&upload_lock);
	for (upload_job **p = &completed; *p; p = &(*p)->next)
	{
		if (*p == j)
		{
			*p = j->next;
			break;
		}
	}
	pthread_mutex_unlock(&upload_lock);
	if (j->status == 200)
		rc = respond(wsi, h, 200, "application/json", j->msg, strlen(j->msg), NULL);
	else
		rc = upload_rejected(wsi, h, j->status, j->msg);
	job_free(j);
	return rc;
}

static bool
has_method(struct lws *wsi, enum lws_token_indexes t)
{
	return lws_hdr_total_length(wsi, t) > 0;
}

static int
on_request(struct lws *wsi, http_state *h, const char *path)
{
	bool		is_get = has_method(wsi, WSI_TOKEN_GET_URI);
	bool		is_post = has_method(wsi, WSI_TOKEN_POST_URI);
	bool		is_upload = *proxy_cfg.upload_path && strcmp(path, proxy_cfg.upload_path) == 0;

	atomic_fetch_add_explicit(&proxy_stats.http_requests, 1, memory_order_relaxed);
	if (strcmp(path, "/healthcheck") == 0 || strcmp(path, "/metrics") == 0)
	{
		if (!is_get)
		{
			h->close_after = true;
			return respond_error(wsi, h, 405, "method not allowed", "GET");
		}
		if (path[1] == 'h')
		{
			char		buf[2048];
			int			status = proxy_health_report(buf, sizeof(buf));

			return respond(wsi, h, (unsigned) status, "application/json", buf, strlen(buf), NULL);
		}
		else
		{
			size_t		len;
			char	   *text = proxy_metrics_render(&len);
			int			rc;

			if (!text)
				return -1;
			rc = respond(wsi, h, 200, "text/plain; version=0.0.4", text, len, NULL);
			free(text);
			return rc;
		}
	}
	if (!is_upload)
	{
		h->close_after = !is_get;
		return respond_error(wsi, h, 404, "not found", NULL);
	}
	if (!is_post)
	{
		h->close_after = true;
		return respond_error(wsi, h, 405, "method not allowed", "POST");
	}

	/* POST <upload-path> */
	{
		char		why[128];
		char	   *cl = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
		char	   *te = copy_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
		char	   *ce = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_ENCODING);
		long long	clen = cl ? atoll(cl) : -1;
		bool		chunked = te && strcasestr(te, "chunked");

		h->gzip_encoded = ce && strcasestr(ce, "gzip");
		free(cl);
		free(te);
		free(ce);
		if (check_token(wsi, h, why, sizeof(why)) != 0)
		{
			atomic_fetch_add_explicit(&proxy_stats.auth_failures, 1, memory_order_relaxed);
			return upload_rejected(wsi, h, 403, "Forbidden");
		}
		if (clen < 0 && !chunked)
			return upload_rejected(wsi, h, 411, "Content-Length required");
		if (clen == 0)
			return upload_rejected(wsi, h, 400, "empty body");
		if (clen > 0 && (unsigned long long) clen > proxy_cfg.max_dump_bytes)
			return upload_rejected(wsi, h, 413, "dump larger than max-dump-bytes");
		if (uploads_in_flight >= UPLOADS_MAX)
			return upload_rejected(wsi, h, 503, "too many uploads in progress, retry later");
		uploads_in_flight++;
		h->counted = true;
		h->content_type = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
		h->route = ROUTE_UPLOAD;
		return 0;				/* the body follows in HTTP_BODY callbacks */
	}
}

int
proxy_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void **state,
					void *in, size_t len)
{
	http_state *h = *state;

	switch (reason)
	{
		case LWS_CALLBACK_HTTP:
			if (!h)
			{
				h = *state = calloc(1, sizeof(http_state));
				if (!h)
					return -1;
			}
			else
				state_reset(h);
			if (on_request(wsi, h, in ? (const char *) in : "/") != 0)
				return -1;
			return 0;

		case LWS_CALLBACK_HTTP_BODY:
			if (!h || h->route != ROUTE_UPLOAD)
				return 0;
			if (h->too_large || h->len + len > proxy_cfg.max_dump_bytes)
			{
				h->too_large = true;
				return 0;
			}
			if (h->len + len > h->cap)
			{
				size_t		ncap = h->cap ? h->cap : 64 * 1024;
				unsigned char *nb;

				while (ncap < h->len + len)
					ncap *= 2;
				nb = realloc(h->body, ncap);
				if (!nb)
					return -1;
				h->body = nb;
				h->cap = ncap;
			}
			memcpy(h->body + h->len, in, len);
			h->len += len;
			return 0;

		case LWS_CALLBACK_HTTP_BODY_COMPLETION:
			if (!h || h->route != ROUTE_UPLOAD)
				return 0;
			h->route = ROUTE_NONE;
			if (finish_upload(wsi, h) != 0)
				return -1;
			return 0;

		case LWS_CALLBACK_HTTP_WRITEABLE:
			if (h && h->job && !h->resp)
			{
				bool		done;

				pthread_mutex_lock(&upload_lock);
				done = h->job->done;
				pthread_mutex_unlock(&upload_lock);
				if (done && answer_upload(wsi, h) != 0)
					return -1;
				return 0;
			}
			if (!h || !h->resp)
				return 0;
			if (lws_write(wsi, (unsigned char *) h->resp + LWS_PRE, h->resp_len,
						  LWS_WRITE_HTTP_FINAL) != (int) h->resp_len)
				return -1;
			free(h->resp);
			h->resp = NULL;
			if (h->close_after)
				return -1;
			if (lws_http_transaction_completed(wsi))
				return -1;
			return 0;

		case LWS_CALLBACK_CLOSED_HTTP:
		case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			if (h)
			{
				state_reset(h);
				free(h);
				*state = NULL;
			}
			return 0;

		default:
			return 0;
	}
}
