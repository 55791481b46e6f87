/*
 * http.c: the HTTP side of the port: POST <upload-path> (a complete dump,
 * raw or multipart/form-data, plain or gzip, with Content-Length or
 * Transfer-Encoding: chunked), GET /healthcheck, /readyz, /livez, /metrics.
 * Unknown paths get 404, known paths with another method 405.
 *
 * An upload streams: the loop de-chunks the body if needed and queues its
 * bytes, a validation thread takes them through gunzip, the multipart file
 * part, gunzip again, the core reader (file format 3, every line well formed,
 * at least one event: upstream answers 422 for an empty dump) and the spool
 * file <id>.part.  No copy of the body is kept: memory per upload is the queue
 * (UPLOAD_QUEUE_HIGH, the loop stops reading above it) and the reader's line.
 * When the body is complete and valid, the file is renamed <id>.dump, flushed
 * to disk with its directory entry (proxy_spool_sync), queued, and only then
 * answered 200.
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

#include "httpbody.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "spool.h"

/*
 * Queued body bytes per upload: above HIGH the loop stops reading the
 * connection (lws_rx_flow_control), below LOW the thread lets it read again.
 */
#define UPLOAD_QUEUE_HIGH (256 * 1024)
#define UPLOAD_QUEUE_LOW (64 * 1024)
/* Spool writes are gathered into this many bytes. */
#define UPLOAD_WRITE_BUF (64 * 1024)
/* Inflated output handed on at a time. */
#define UPLOAD_INFLATE_OUT (16 * 1024)
/* Validation threads, shared by every upload (the machine's cores). */
#define UPLOAD_THREADS 2

typedef struct body_chunk
{
	struct body_chunk *next;
	size_t		len;
	unsigned char data[];
} body_chunk;

typedef struct inflater
{
	z_stream	z;
	bool		live;
	bool		ended;
} inflater;

typedef struct validate_ctx
{
	long		events;
	int64_t		start_ms;
	bool		metadata;
} validate_ctx;

typedef struct upload_job
{
	struct upload_job *next_run;	/* run queue */
	struct upload_job *prev,
			   *next;			/* every live job */
	struct lws *wsi;
	/* Under upload_lock: */
	body_chunk *head,
			   *tail;
	size_t		queued;
	bool		eof;			/* the body is complete */
	bool		scheduled;		/* in the run queue or being run */
	bool		paused;			/* the loop stopped reading the connection */
	bool		want_resume;
	bool		failed;			/* status set: the rest of the body is dropped */
	bool		done;			/* answer ready */
	bool		notified;
	bool		orphaned;		/* the connection closed: the thread frees */
	/* Set at creation, then the thread's while scheduled: */
	char	   *content_type;
	bool		gzip_encoded;
	bool		multipart;
	proxy_claims claims;
	proxy_multipart mp;
	inflater	outer,
				inner;
	int			inner_gzip;		/* -1 until the file's first byte */
	size_t		plain_bytes;
	rtcstats_reader *reader;
	validate_ctx vc;
	unsigned char *pending;		/* plain bytes before the metadata line is read */
	size_t		pending_len,
				pending_cap;
	unsigned char *wbuf;
	size_t		wlen;
	unsigned char last;			/* last plain byte written */
	int			fd;
	bool		part_exists;	/* <id>.part (or a .dump not yet queued) on disk */
	char		id[PROXY_ID_LEN + 1];
	unsigned int status;
	char		msg[700];		/* the 200 JSON answer, or the reason */
} upload_job;

typedef struct http_state
{
	struct lws *wsi;
	bool		upload;			/* receiving an upload body */
	bool		chunked;
	proxy_chunked dechunk;
	size_t		raw_bytes;		/* body bytes after de-chunking */
	bool		body_done;
	proxy_claims claims;
	char	   *resp;			/* LWS_PRE bytes, then the body */
	size_t		resp_len;
	bool		close_after;
	bool		counted;		/* holds one of the max-uploads slots */
	lws_sorted_usec_list_t deadline;	/* upload-timeout */
	struct upload_job *job;
} http_state;

static pthread_mutex_t upload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t upload_cond = PTHREAD_COND_INITIALIZER;
static upload_job *run_head,
		   *run_tail;
static upload_job *jobs;		/* every live job, under upload_lock */
static int	running;			/* jobs being run by a thread */
static bool pool_started,
			pool_stop;
static pthread_t pool[UPLOAD_THREADS];
static int	npool;
static int	uploads_in_flight;	/* loop thread only */

static void
inflater_end(inflater *f)
{
	if (f->live)
		inflateEnd(&f->z);
	f->live = false;
}

/* Frees a job and what it holds; removes its unfinished spool file. */
static void
job_free(upload_job *j)
{
	body_chunk *c = j->head;

	while (c)
	{
		body_chunk *n = c->next;

		free(c);
		c = n;
	}
	if (j->fd >= 0)
		close(j->fd);
	if (j->part_exists)
		proxy_spool_remove(proxy_cfg.spool_dir, j->id);
	inflater_end(&j->outer);
	inflater_end(&j->inner);
	rtcstats_reader_free(j->reader);
	free(j->pending);
	free(j->wbuf);
	free(j->content_type);
	proxy_claims_free(&j->claims);
	free(j);
}

/* Detaches a job from its connection: freed now unless a thread runs it. */
static void
job_release(upload_job *j)
{
	bool		free_now;

	pthread_mutex_lock(&upload_lock);
	free_now = !j->scheduled;
	if (j->prev)
		j->prev->next = j->next;
	else
		jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	if (!free_now)
		j->orphaned = true;
	pthread_mutex_unlock(&upload_lock);
	if (free_now)
		job_free(j);
}

static void
state_reset(http_state *h)
{
	struct lws *wsi = h->wsi;

	lws_sul_cancel(&h->deadline);
	if (h->job)
	{
		bool		stored;

		pthread_mutex_lock(&upload_lock);
		stored = h->job->done && h->job->status == 200;
		pthread_mutex_unlock(&upload_lock);
		if (stored)
			log_info("event=upload_unanswered dump=%s reason=\"connection closed before the answer\"",
					 h->job->id);
		else
		{
			atomic_fetch_add_explicit(&proxy_stats.http_upload_aborted, 1, memory_order_relaxed);
			log_warn("event=upload_aborted reason=\"connection closed before the answer\" bytes=%zu",
					 h->raw_bytes);
		}
		job_release(h->job);
	}
	if (h->counted)
		uploads_in_flight--;
	free(h->resp);
	proxy_claims_free(&h->claims);
	memset(h, 0, sizeof(*h));
	h->wsi = wsi;
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
	char		quoted[1024];

	atomic_fetch_add_explicit(&proxy_stats.http_upload_rejected, 1, memory_order_relaxed);
	/* The reason may quote the client's bytes (a reader error): one line, escaped. */
	proxy_log_quote(quoted, sizeof(quoted), reason);
	log_warn("event=upload_rejected status=%u reason=\"%s\"", status, quoted);
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

/* Range-checked: a double outside int64_t is undefined to convert (C11 6.3.1.4). */
static int64_t
start_ms_of(double d)
{
	if (!(d > 0 && d < 9.2e18))
		return 0;
	return (int64_t) d;
}

static rtcstats_status
v_metadata(void *arg, struct json_object *metadata, rtcstats_error *err)
{
	validate_ctx *v = arg;
	struct json_object *t;

	v->metadata = true;
	if (json_object_object_get_ex(metadata, "startTime", &t) &&
		(json_object_is_type(t, json_type_int) || json_object_is_type(t, json_type_double)))
		v->start_ms = start_ms_of(json_object_get_double(t));
	return RTCSTATS_OK;
}

static rtcstats_status
v_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	((validate_ctx *) arg)->events++;
	return RTCSTATS_OK;
}

/* The reader would take a webrtc-internals document whole: refused from its first byte. */
#define NOT_FORMAT3 "invalid dump at line 1: the first line is not \"RTCStatsDump\" (file format 3)"

static unsigned
fail(upload_job *j, unsigned status, const char *why)
{
	j->status = status;
	snprintf(j->msg, sizeof(j->msg), "%s", why);
	return status;
}

static unsigned
spool_error(upload_job *j, const char *what)
{
	log_error("event=spool_error dump=%s error=\"upload: %s: %s\"", j->id, what, strerror(errno));
	return fail(j, 503, "cannot spool the dump");
}

static unsigned
write_all(upload_job *j, const unsigned char *data, size_t len)
{
	while (len > 0)
	{
		ssize_t		w = write(j->fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return spool_error(j, "write");
		data += w;
		len -= (size_t) w;
	}
	return 0;
}

static unsigned
spool_write(upload_job *j, const unsigned char *data, size_t len)
{
	if (len == 0)
		return 0;
	j->last = data[len - 1];
	if (j->wlen + len > UPLOAD_WRITE_BUF)
	{
		unsigned	s = write_all(j, j->wbuf, j->wlen);

		j->wlen = 0;
		if (s)
			return s;
		if (len > UPLOAD_WRITE_BUF)
			return write_all(j, data, len);
	}
	memcpy(j->wbuf + j->wlen, data, len);
	j->wlen += len;
	return 0;
}

/* Once the metadata line is read: <id>.part with the header line, then what came so far. */
static unsigned
spool_open(upload_job *j)
{
	size_t		hlen;
	char	   *hdr;
	unsigned	s;

	if (proxy_uuid_v4(j->id) != 0)
		return fail(j, 503, "cannot spool the dump");
	hdr = proxy_spool_header(j->vc.start_ms > 0 ? j->vc.start_ms : proxy_now_ms(), &j->claims,
							 true, &hlen);
	j->wbuf = malloc(UPLOAD_WRITE_BUF);
	if (!hdr || !j->wbuf)
	{
		free(hdr);
		return fail(j, 500, "out of memory");
	}
	j->fd = proxy_spool_create(proxy_cfg.spool_dir, j->id);
	if (j->fd < 0)
	{
		free(hdr);
		return spool_error(j, "create");
	}
	j->part_exists = true;
	s = write_all(j, (unsigned char *) hdr, hlen);
	free(hdr);
	if (!s)
		s = spool_write(j, j->pending, j->pending_len);
	free(j->pending);
	j->pending = NULL;
	j->pending_len = j->pending_cap = 0;
	return s;
}

/* The dump itself: checked by the reader, then spooled. */
static unsigned
sink_plain(void *arg, const unsigned char *data, size_t len)
{
	static const char magic[] = "RTCStatsDump";
	upload_job *j = arg;
	rtcstats_error err;
	size_t		seen = j->plain_bytes;

	if (len > proxy_cfg.max_dump_bytes - j->plain_bytes)
		return fail(j, 413, "dump larger than max-dump-bytes");
	j->plain_bytes += len;
	/* File format 3 only: a webrtc-internals document would be read whole. */
	for (size_t i = 0; seen + i < sizeof(magic) - 1 && i < len; i++)
		if (data[i] != (unsigned char) magic[seen + i])
			return fail(j, 400, NOT_FORMAT3);
	rtcstats_error_clear(&err);
	if (rtcstats_reader_feed(j->reader, data, len, &err) != RTCSTATS_OK)
	{
		char		msg[sizeof(j->msg)];

		if (err.line > 0)
			snprintf(msg, sizeof(msg), "invalid dump at line %ld: %s", err.line, err.detail);
		else
			snprintf(msg, sizeof(msg), "invalid dump: %s", err.detail);
		return fail(j, err.code == RTCSTATS_ERR_TOO_LARGE ? 413 :
					err.code == RTCSTATS_ERR_NOMEM ? 500 : 400, msg);
	}
	if (j->fd >= 0)
		return spool_write(j, data, len);
	if (j->pending_len + len > j->pending_cap)
	{
		size_t		ncap = j->pending_len + len + 4096;
		unsigned char *nb = realloc(j->pending, ncap);

		if (!nb)
			return fail(j, 500, "out of memory");
		j->pending = nb;
		j->pending_cap = ncap;
	}
	memcpy(j->pending + j->pending_len, data, len);
	j->pending_len += len;
	/* The reader has bounded it: two lines of at most max_line_bytes. */
	return j->vc.metadata ? spool_open(j) : 0;
}

/* Streams in through inflate (gzip or zlib) into next. */
static unsigned
inflate_feed(upload_job *j, inflater *f, const unsigned char *in, size_t len,
			 proxy_body_sink next)
{
	unsigned char out[UPLOAD_INFLATE_OUT];

	if (!f->live)
	{
		memset(&f->z, 0, sizeof(f->z));
		if (inflateInit2(&f->z, 15 + 32) != Z_OK)
			return fail(j, 500, "out of memory");
		f->live = true;
	}
	while (len > 0)
	{
		/* avail_in is a uInt: hand over at most 1 GiB at a time. */
		size_t		n = len < (1u << 30) ? len : (1u << 30);

		f->z.next_in = (unsigned char *) in;
		f->z.avail_in = (uInt) n;
		in += n;
		len -= n;
		for (;;)
		{
			int			rc;
			size_t		got;
			unsigned	s;

			if (f->ended)
			{
				if (f->z.avail_in == 0)
					break;
				/* Another gzip member follows (gzip(1) accepts concatenations). */
				if (inflateReset(&f->z) != Z_OK)
					return fail(j, 400, "corrupt gzip data");
				f->ended = false;
			}
			f->z.next_out = out;
			f->z.avail_out = sizeof(out);
			rc = inflate(&f->z, Z_NO_FLUSH);
			got = sizeof(out) - f->z.avail_out;
			if (got && (s = next(j, out, got)) != 0)
				return s;
			if (rc == Z_STREAM_END)
				f->ended = true;
			else if (rc != Z_OK && rc != Z_BUF_ERROR)
				return fail(j, 400, "corrupt gzip data");
			else if (f->z.avail_in == 0 && f->z.avail_out != 0)
				break;
			else if (rc == Z_BUF_ERROR && got == 0)
				break;
		}
	}
	return 0;
}

/* The file's bytes: gzip (magic 1f 8b) or the dump itself. */
static unsigned
sink_file(void *arg, const unsigned char *data, size_t len)
{
	upload_job *j = arg;

	if (len == 0)
		return 0;
	if (j->inner_gzip < 0)
		j->inner_gzip = data[0] == 0x1f;
	if (j->inner_gzip)
		return inflate_feed(j, &j->inner, data, len, sink_plain);
	return sink_plain(j, data, len);
}

/* The entity (after Content-Encoding): a multipart body or the file. */
static unsigned
sink_entity(void *arg, const unsigned char *data, size_t len)
{
	upload_job *j = arg;
	const char *why = NULL;
	unsigned	s;

	if (!j->multipart)
		return sink_file(j, data, len);
	s = proxy_multipart_feed(&j->mp, data, len, sink_file, j, &why);
	if (s && why)
		return fail(j, s, why);
	return s;
}

static unsigned
feed_body(upload_job *j, const unsigned char *data, size_t len)
{
	if (j->gzip_encoded)
		return inflate_feed(j, &j->outer, data, len, sink_entity);
	return sink_entity(j, data, len);
}

/* The body is complete: the last checks, then the dump is made durable and queued. */
static unsigned
finish_body(upload_job *j)
{
	const char *why = NULL;
	rtcstats_error err;
	rtcstats_status rc;
	char		msg[sizeof(j->msg)];

	if (j->outer.live && !j->outer.ended)
		return fail(j, 400, "truncated gzip data");
	if (j->multipart && proxy_multipart_finish(&j->mp, &why) != 0)
		return fail(j, 400, why);
	if (j->inner.live && !j->inner.ended)
		return fail(j, 400, "truncated gzip data");
	if (j->plain_bytes < 12)
		return fail(j, 400, NOT_FORMAT3);
	rtcstats_error_clear(&err);
	rc = rtcstats_reader_finish(j->reader, &err);
	if (rc == RTCSTATS_OK && rtcstats_reader_format(j->reader) != RTCSTATS_FORMAT_RTCSTATS)
		return fail(j, 400, NOT_FORMAT3);
	if (rc != RTCSTATS_OK)
	{
		if (err.line > 0)
			snprintf(msg, sizeof(msg), "invalid dump at line %ld: %s", err.line, err.detail);
		else
			snprintf(msg, sizeof(msg), "invalid dump: %s", err.detail);
		return fail(j, rc == RTCSTATS_ERR_TOO_LARGE ? 413 : rc == RTCSTATS_ERR_NOMEM ? 500 : 400,
					msg);
	}
	if (j->vc.events == 0 || j->fd < 0)
		return fail(j, 422, "the uploaded dump contained no messages");
	if (j->last != '\n' && spool_write(j, (const unsigned char *) "\n", 1) != 0)
		return j->status;
	if (write_all(j, j->wbuf, j->wlen) != 0)
		return j->status;
	j->wlen = 0;
	if (close(j->fd) != 0)
	{
		j->fd = -1;
		return spool_error(j, "close");
	}
	j->fd = -1;
	if (proxy_spool_complete(proxy_cfg.spool_dir, j->id) != 0)
		return spool_error(j, "rename");
	/* Durable before the 200: the client may drop its copy once answered. */
	if (proxy_spool_sync(proxy_cfg.spool_dir, j->id) != 0)
		return spool_error(j, "fsync");
	j->part_exists = false;
	proxy_uploader_queue(j->id);
	atomic_fetch_add_explicit(&proxy_stats.http_uploads, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&proxy_stats.sessions_spooled, 1, memory_order_relaxed);
	log_info("event=uploaded_http dump=%s bytes=%zu events=%ld synced=1", j->id, j->plain_bytes,
			 j->vc.events);
	j->status = 200;
	snprintf(j->msg, sizeof(j->msg),
			 "{\"message\":\"Upload successful\",\"clientId\":\"%s\",\"id\":\"%s\"}\n", j->id, j->id);
	return 0;
}

/* Thread: runs j until its queue is empty (and, at the end of the body, answers). */
static void
run_job(upload_job *j)
{
	for (;;)
	{
		body_chunk *c;
		size_t		taken = 0;
		bool		failed = j->status != 0;

		pthread_mutex_lock(&upload_lock);
		if (j->orphaned)
		{
			pthread_mutex_unlock(&upload_lock);
			job_free(j);
			return;
		}
		c = j->head;
		j->head = j->tail = NULL;
		if (!c && (!j->eof || j->done))
		{
			j->scheduled = false;
			pthread_mutex_unlock(&upload_lock);
			return;
		}
		pthread_mutex_unlock(&upload_lock);
		while (c)
		{
			body_chunk *n = c->next;

			if (!failed && feed_body(j, c->data, c->len) != 0)
				failed = true;
			taken += c->len;
			free(c);
			c = n;
		}
		pthread_mutex_lock(&upload_lock);
		j->queued -= taken;
		if (failed && !j->failed)
		{
			j->failed = true;
			if (j->paused)
				j->want_resume = true;	/* the rest of the body is read and dropped */
			lws_cancel_service(proxy_ctx);
		}
		if (j->paused && j->queued < UPLOAD_QUEUE_LOW)
		{
			j->want_resume = true;
			lws_cancel_service(proxy_ctx);
		}
		if (j->eof && !j->head && !j->done && !j->orphaned)
		{
			pthread_mutex_unlock(&upload_lock);
			if (!failed)
				finish_body(j);
			pthread_mutex_lock(&upload_lock);
			j->done = true;
			lws_cancel_service(proxy_ctx);
		}
		pthread_mutex_unlock(&upload_lock);
	}
}

static void *
upload_thread(void *arg)
{
	pthread_mutex_lock(&upload_lock);
	for (;;)
	{
		upload_job *j;

		while (!run_head && !pool_stop)
			pthread_cond_wait(&upload_cond, &upload_lock);
		if (!run_head)
			break;
		j = run_head;
		run_head = j->next_run;
		if (!run_head)
			run_tail = NULL;
		j->next_run = NULL;
		running++;
		pthread_mutex_unlock(&upload_lock);
		run_job(j);
		pthread_mutex_lock(&upload_lock);
		running--;
		pthread_cond_broadcast(&upload_cond);
	}
	pthread_mutex_unlock(&upload_lock);
	return NULL;
}

/* Under upload_lock: puts j in the run queue unless it is there or running. */
static void
schedule(upload_job *j)
{
	if (j->scheduled || pool_stop)	/* after proxy_http_wait_uploads: freed at close */
		return;
	j->scheduled = true;
	if (run_tail)
		run_tail->next_run = j;
	else
		run_head = j;
	run_tail = j;
	pthread_cond_signal(&upload_cond);
}

void
proxy_http_wait_uploads(void)
{
	pthread_mutex_lock(&upload_lock);
	while (run_head || running > 0)
		pthread_cond_wait(&upload_cond, &upload_lock);
	pool_stop = true;
	pthread_cond_broadcast(&upload_cond);
	pthread_mutex_unlock(&upload_lock);
	for (int i = 0; i < npool; i++)
		pthread_join(pool[i], NULL);
	npool = 0;
}

/* Loop thread, on a wakeup: reads paused uploads again, answers finished ones. */
void
proxy_http_uploads_completed(void)
{
	pthread_mutex_lock(&upload_lock);
	for (upload_job *j = jobs; j; j = j->next)
	{
		if (j->want_resume)
		{
			j->want_resume = false;
			j->paused = false;
			lws_rx_flow_control(j->wsi, 1);
		}
		if ((j->done || j->failed) && !j->notified)
		{
			j->notified = j->done;
			lws_callback_on_writable(j->wsi);
		}
	}
	pthread_mutex_unlock(&upload_lock);
}

/* Loop thread: a new job for the upload h is starting. */
static upload_job *
job_new(struct lws *wsi, http_state *h)
{
	upload_job *j = calloc(1, sizeof(upload_job));
	rtcstats_reader_options ro = {0};
	static const rtcstats_reader_callbacks cb = {v_metadata, v_event};
	const char *why = NULL;

	if (!j)
		return NULL;
	j->wsi = wsi;
	j->fd = -1;
	j->inner_gzip = -1;
	j->content_type = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	j->multipart = j->content_type &&
		strncasecmp(j->content_type, "multipart/form-data", 19) == 0;
	if (j->multipart && proxy_multipart_init(&j->mp, j->content_type, &why) != 0)
		fail(j, 400, why);
	ro.max_line_bytes = proxy_cfg.max_message_bytes + 1024;
	ro.max_document_bytes = 1;	/* format 3 only: checked before the reader sees a byte */
	j->reader = rtcstats_reader_new(&ro, &cb, &j->vc);
	if (!j->reader)
	{
		job_free(j);
		return NULL;
	}
	j->claims = h->claims;
	memset(&h->claims, 0, sizeof(h->claims));
	pthread_mutex_lock(&upload_lock);
	if (!pool_started)
	{
		pool_started = true;
		for (int i = 0; i < UPLOAD_THREADS; i++)
			if (pthread_create(&pool[npool], NULL, upload_thread, NULL) == 0)
				npool++;
	}
	j->failed = j->status != 0;
	j->next = jobs;
	if (jobs)
		jobs->prev = j;
	jobs = j;
	pthread_mutex_unlock(&upload_lock);
	if (npool == 0)
	{
		job_release(j);
		return NULL;
	}
	return j;
}

/* Loop thread: queues body bytes for the job's thread; false if out of memory. */
static bool
job_push(upload_job *j, const void *data, size_t len)
{
	body_chunk *c;

	pthread_mutex_lock(&upload_lock);
	if (j->failed)
	{
		pthread_mutex_unlock(&upload_lock);
		return true;			/* dropped: the answer is an error already */
	}
	pthread_mutex_unlock(&upload_lock);
	c = malloc(sizeof(body_chunk) + len);
	if (!c)
		return false;
	c->next = NULL;
	c->len = len;
	memcpy(c->data, data, len);
	pthread_mutex_lock(&upload_lock);
	if (j->tail)
		j->tail->next = c;
	else
		j->head = c;
	j->tail = c;
	j->queued += len;
	schedule(j);
	if (j->queued > UPLOAD_QUEUE_HIGH && !j->paused)
	{
		j->paused = true;
		lws_rx_flow_control(j->wsi, 0);
	}
	pthread_mutex_unlock(&upload_lock);
	return true;
}

/* Loop thread: the body is complete. */
static void
job_eof(upload_job *j)
{
	pthread_mutex_lock(&upload_lock);
	j->eof = true;
	schedule(j);
	pthread_mutex_unlock(&upload_lock);
}

/* Refuses an upload whose body is still arriving: no answer will come from a thread. */
static int
upload_cut(struct lws *wsi, http_state *h, unsigned int status, const char *reason)
{
	if (h->job)
	{
		job_release(h->job);
		h->job = NULL;
	}
	h->upload = false;
	lws_sul_cancel(&h->deadline);
	if (h->counted)
	{
		uploads_in_flight--;	/* the slot is free at once, not when the connection goes */
		h->counted = false;
	}
	return upload_rejected(wsi, h, status, reason);
}

/* upload-timeout: a body still arriving is cut with 408. */
static void
deadline_cb(lws_sorted_usec_list_t *sul)
{
	http_state *h = lws_container_of(sul, http_state, deadline);

	if (!h->upload || h->body_done)
		return;
	atomic_fetch_add_explicit(&proxy_stats.http_upload_timeouts, 1, memory_order_relaxed);
	if (upload_cut(h->wsi, h, 408, "upload not complete within upload-timeout") != 0)
		lws_set_timeout(h->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

/* The body is complete (Content-Length reached or the last chunk read). */
static int
body_complete(struct lws *wsi, http_state *h)
{
	h->upload = false;
	h->body_done = true;
	lws_sul_cancel(&h->deadline);
	if (h->raw_bytes == 0)
		return upload_cut(wsi, h, 400, "empty body");
	job_eof(h->job);
	return 0;
}

/* De-chunked (or plain) body bytes from the loop. */
static unsigned
sink_raw(void *arg, const unsigned char *data, size_t len)
{
	http_state *h = arg;

	if (len > proxy_cfg.max_dump_bytes - h->raw_bytes)
		return 413;
	h->raw_bytes += len;
	return job_push(h->job, data, len) ? 0 : 500;
}

static int
on_body(struct lws *wsi, http_state *h, const unsigned char *in, size_t len)
{
	const char *why = NULL;
	size_t		used = 0;
	unsigned	s;

	if (!h->upload)
		return 0;
	if (!h->chunked)
		s = sink_raw(h, in, len);
	else
		s = proxy_chunked_feed(&h->dechunk, in, len, &used, sink_raw, h, &why);
	if (s == 413)
		return upload_cut(wsi, h, 413, "dump larger than max-dump-bytes");
	if (s)
		return upload_cut(wsi, h, s, why ? why : "out of memory");
	if (h->chunked && proxy_chunked_done(&h->dechunk))
	{
		/* lws would wait for 100 MiB: its timeout must not cut the validation. */
		lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
		return body_complete(wsi, h);
	}
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
	if (j->status == 200)
		rc = respond(wsi, h, 200, "application/json", j->msg, strlen(j->msg), NULL);
	else
		rc = upload_rejected(wsi, h, j->status, j->msg);
	job_release(j);
	return rc;
}

/*
 * Content-Length as RFC 9112 section 6.3 reads it: lws joins repeated
 * fields with ',', and a list of values is valid only if they are all the
 * same decimal number.  Returns 0 (*out set, saturated at UINT64_MAX), or -1.
 */
static int
parse_content_length(const char *v, uint64_t *out)
{
	bool		have = false;

	while (*v)
	{
		uint64_t	n = 0;
		int			digits = 0;

		while (*v == ' ' || *v == '\t')
			v++;
		for (; *v >= '0' && *v <= '9'; v++, digits++)
			n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX : n * 10 + (uint64_t) (*v - '0');
		while (*v == ' ' || *v == '\t')
			v++;
		if (digits == 0 || (*v && *v != ',') || (have && n != *out))
			return -1;
		if (*v == ',')
			v++;
		*out = n;
		have = true;
	}
	return have ? 0 : -1;
}

/* Transfer-Encoding is exactly "chunked" (the only coding we decode). */
static bool
is_chunked(const char *te)
{
	size_t		n;

	while (*te == ' ' || *te == '\t')
		te++;
	if (strncasecmp(te, "chunked", 7) != 0)
		return false;
	for (n = 7; te[n] == ' ' || te[n] == '\t'; n++)
		;
	return te[n] == '\0';
}

/* POST <upload-path>: framing, token and slot checks, then the body follows. */
static int
on_upload(struct lws *wsi, http_state *h)
{
	char		why[128];
	int			ncl = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	int			nte = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
	char	   *cl = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	char	   *te = copy_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
	char	   *ce = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_ENCODING);
	uint64_t	clen = 0;
	bool		bad_cl = ncl > 0 && (!cl || parse_content_length(cl, &clen) != 0);
	bool		bad_te = nte > 0 && (!te || !is_chunked(te));
	bool		gzip_encoded = ce && strcasestr(ce, "gzip");
	upload_job *j;

	free(cl);
	free(te);
	free(ce);
	/* RFC 9112 section 6.1: both framings is a smuggling attempt; refuse, close. */
	if (ncl > 0 && nte > 0)
		return upload_rejected(wsi, h, 400, "Content-Length with Transfer-Encoding");
	if (bad_cl)
		return upload_rejected(wsi, h, 400, "invalid or conflicting Content-Length");
	if (bad_te)
		return upload_rejected(wsi, h, 501, "unsupported Transfer-Encoding (only chunked)");
	if (check_token(wsi, h, why, sizeof(why)) != 0)
	{
		atomic_fetch_add_explicit(&proxy_stats.auth_failures, 1, memory_order_relaxed);
		return upload_rejected(wsi, h, 403, "Forbidden");
	}
	if (ncl == 0 && nte == 0)
		return upload_rejected(wsi, h, 411, "Content-Length required");
	if (ncl > 0 && clen == 0)
		return upload_rejected(wsi, h, 400, "empty body");
	if (clen > proxy_cfg.max_dump_bytes)
		return upload_rejected(wsi, h, 413, "dump larger than max-dump-bytes");
	if (uploads_in_flight >= proxy_cfg.max_uploads)
		return upload_rejected(wsi, h, 503, "too many uploads in progress, retry later");
	j = job_new(wsi, h);
	if (!j)
		return upload_rejected(wsi, h, 503, "cannot start validation");
	if (j->status)
	{
		char		msg[sizeof(j->msg)];
		unsigned	status = j->status;

		snprintf(msg, sizeof(msg), "%s", j->msg);
		job_release(j);
		return upload_rejected(wsi, h, status, msg);
	}
	j->gzip_encoded = gzip_encoded;
	h->job = j;
	uploads_in_flight++;
	h->counted = true;
	h->upload = true;
	h->chunked = nte > 0;
	h->close_after = h->chunked;	/* lws counts the rest as body: no keep-alive */
	proxy_chunked_init(&h->dechunk);
	lws_sul_schedule(proxy_ctx, 0, &h->deadline, deadline_cb,
					 (lws_usec_t) proxy_cfg.upload_timeout * LWS_US_PER_SEC);
	return 0;					/* the body follows in HTTP_BODY callbacks */
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
	if (strcmp(path, "/healthcheck") == 0 || strcmp(path, "/metrics") == 0 ||
		strcmp(path, "/readyz") == 0 || strcmp(path, "/livez") == 0)
	{
		if (!is_get)
		{
			h->close_after = true;
			return respond_error(wsi, h, 405, "method not allowed", "GET");
		}
		if (path[1] == 'h' || path[1] == 'r')
		{
			char		buf[2048];
			int			status = path[1] == 'h' ? proxy_health_report(buf, sizeof(buf)) :
				proxy_ready_report(buf, sizeof(buf));

			return respond(wsi, h, (unsigned) status, "application/json", buf, strlen(buf), NULL);
		}
		if (path[1] == 'l')		/* the event loop answers: alive */
			return respond(wsi, h, 200, "application/json", "{\"status\":\"alive\"}\n", 19, NULL);
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

	return on_upload(wsi, h);
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
			h->wsi = wsi;
			if (on_request(wsi, h, in ? (const char *) in : "/") != 0)
				return -1;
			return 0;

		case LWS_CALLBACK_HTTP_BODY:
			if (!h)
				return 0;
			return on_body(wsi, h, in, len);

		case LWS_CALLBACK_HTTP_BODY_COMPLETION:
			if (!h || !h->upload)
				return 0;
			if (h->chunked)		/* lws' 100 MiB for a body without Content-Length */
				return upload_cut(wsi, h, 413, "chunked body over 100 MiB: send a Content-Length");
			return body_complete(wsi, h);

		case LWS_CALLBACK_HTTP_WRITEABLE:
			if (h && h->job && !h->resp)
			{
				bool		done;

				pthread_mutex_lock(&upload_lock);
				done = h->job->done;
				pthread_mutex_unlock(&upload_lock);
				if (done && h->body_done && answer_upload(wsi, h) != 0)
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
