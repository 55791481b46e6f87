/*
 * uploader.c: the durable pipeline, off the event loop.
 *
 * The loop queues the id of every completed spool file; a few threads each
 * take one, anonymize it (core anonymizer), gzip it, put <id>.gz into
 * storage, INSERT its rtcstats_dumps row (docs/proxy.md, "The pipeline and
 * the spool"; ON CONFLICT (id) DO NOTHING, so a retry after a crash is
 * harmless) and then delete the spool files.  Upload comes first so that no
 * row ever points at a missing object.
 *
 * Every failure is either an outage (storage or the database unreachable,
 * misconfigured or overloaded: every dump would fail alike) or a data error
 * (this dump's values were refused).  An outage is retried with exponential
 * backoff, forever, and pauses the whole pipeline: the spool keeps the dump
 * across restarts, nothing is dropped.  A data error quarantines that dump
 * alone: spool-dir/failed/<id>.dump with failed/<id>.reason, never retried by
 * itself (rtcstats-proxy --requeue-failed puts it back), and it neither
 * pauses nor resumes anything.  What a client sends is bounded and validated
 * before it reaches SQL (metadata_parse, proxy_sane_start_ms,
 * proxy_claim_clean), so a data error is the exception.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <zlib.h>

#include "rtcstats/anonymize.h"
#include "rtcstats/storage.h"
#include "rtcstats/utf8.h"

#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "spool.h"

/* Longest metadata line kept for the row's metadata column. */
#define META_MAX_BYTES (1024 * 1024)
/* How often a running proxy looks for dumps put back by --requeue-failed. */
#define REQUEUE_SCAN_SECONDS 2
/*
 * Pipeline threads run at a lower priority than the event loop: on a busy
 * host the loop keeps receiving (the spool absorbs the backlog) rather than
 * competing with gzip and the anonymizer for the CPU.
 */
#define PIPELINE_NICE 10

typedef struct job
{
	struct job *next;
	char		id[PROXY_ID_LEN + 1];
	int			attempts;
	int64_t		not_before;		/* ms since the epoch */
} job;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;	/* work or stop */
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;	/* a job finished */
static job *qhead,
		   *qtail;
static long queued;				/* in the list plus being processed */
/*
 * Consecutive outages over all jobs: while storage or the database is down
 * every job would fail, so the whole pipeline pauses (with the same backoff)
 * instead of hammering it with one request per queued dump.  Data errors do
 * not count: one client's dump must not slow anyone else's.
 */
static int	consecutive_failures;
static int64_t paused_until;
static bool stopping;
static pthread_t *threads;
static int nthreads;
static pthread_t scanner;
static bool scanner_started;
static pthread_cond_t scan_cond = PTHREAD_COND_INITIALIZER;	/* stop the scanner */

typedef enum outcome
{
	DONE,
	RETRY,						/* an outage: retried, pauses the pipeline */
	QUARANTINED					/* a data error: moved to failed/ */
} outcome;

/* Polled by the storage client during transfers: abort when stopping. */
static bool
should_stop(void *arg)
{
	bool		s;

	pthread_mutex_lock(&qlock);
	s = stopping;
	pthread_mutex_unlock(&qlock);
	return s;
}

void
proxy_uploader_queue(const char *id)
{
	job		   *j = calloc(1, sizeof(job));

	if (!j)
	{
		/* The file stays in the spool: the next start picks it up. */
		log_error("event=queue_error dump=%s error=\"out of memory\"", id);
		return;
	}
	memcpy(j->id, id, PROXY_ID_LEN);
	pthread_mutex_lock(&qlock);
	if (qtail)
		qtail->next = j;
	else
		qhead = j;
	qtail = j;
	queued++;
	atomic_store_explicit(&proxy_stats.queue_depth, queued, memory_order_relaxed);
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
}

/* Takes the first job that is due; waits otherwise.  NULL when stopping. */
static job *
take_job(void)
{
	job		   *j = NULL;

	pthread_mutex_lock(&qlock);
	while (!stopping)
	{
		job		   *prev = NULL;
		int64_t		now = proxy_now_ms();
		int64_t		earliest = INT64_MAX;

		if (paused_until > now)
		{
			struct timespec ts = {paused_until / 1000, (paused_until % 1000) * 1000000};

			pthread_cond_timedwait(&qcond, &qlock, &ts);
			continue;
		}
		for (job *p = qhead; p; prev = p, p = p->next)
		{
			if (p->not_before <= now)
			{
				if (prev)
					prev->next = p->next;
				else
					qhead = p->next;
				if (qtail == p)
					qtail = prev;
				p->next = NULL;
				j = p;
				break;
			}
			if (p->not_before < earliest)
				earliest = p->not_before;
		}
		if (j)
			break;
		if (earliest == INT64_MAX)
			pthread_cond_wait(&qcond, &qlock);
		else
		{
			struct timespec ts = {earliest / 1000, (earliest % 1000) * 1000000};

			pthread_cond_timedwait(&qcond, &qlock, &ts);
		}
	}
	pthread_mutex_unlock(&qlock);
	return j;
}

/* 1 s, 2 s, 4 s, ... after n failures, capped at retry-max-delay. */
static int64_t
backoff_ms(int n)
{
	int64_t		cap = (int64_t) proxy_cfg.retry_max_delay * 1000;
	int64_t		delay = 1000;

	for (int i = 1; i < n && delay < cap; i++)
		delay *= 2;
	return delay < cap ? delay : cap;
}

static void
finish_job(job *j, outcome o)
{
	/*
	 * A dump normally leaves the spool within milliseconds of its close, so
	 * the happy path never pays for an fsync (nor does the event loop).  One
	 * that must wait for storage or the database may wait for hours: make it
	 * survive a power loss from its first failed attempt on.
	 */
	if (o == RETRY && j->attempts == 1)
	{
		if (proxy_spool_sync(proxy_cfg.spool_dir, j->id) == 0)
			log_info("event=synced dump=%s", j->id);
		else if (errno != ENOENT)
			log_warn("event=spool_error dump=%s error=\"cannot sync: %s\"", j->id, strerror(errno));
	}
	pthread_mutex_lock(&qlock);
	if (o == RETRY)
	{
		consecutive_failures++;
		paused_until = proxy_now_ms() + backoff_ms(consecutive_failures);
	}
	else if (o == DONE && consecutive_failures > 0)
	{
		consecutive_failures = 0;
		paused_until = 0;
		pthread_cond_broadcast(&qcond);
	}
	if (o == RETRY && !stopping)
	{
		j->not_before = proxy_now_ms() + backoff_ms(j->attempts);
		if (qtail)
			qtail->next = j;
		else
			qhead = j;
		qtail = j;
		pthread_cond_signal(&qcond);
		pthread_mutex_unlock(&qlock);
		return;
	}
	/* Done, quarantined, or a retry at shutdown (the spool keeps it). */
	queued--;
	atomic_store_explicit(&proxy_stats.queue_depth, queued, memory_order_relaxed);
	pthread_cond_broadcast(&idle_cond);
	pthread_mutex_unlock(&qlock);
	free(j);
}

/* ---- anonymize + gzip into memory ---- */

typedef struct out_ctx
{
	z_stream	z;
	unsigned char *buf;
	size_t		cap;
	int			newlines;		/* seen so far, to capture line 2 */
	char	   *meta;
	size_t		meta_len;
	bool		meta_truncated;
} out_ctx;

static rtcstats_status
gz_grow(out_ctx *o, rtcstats_error *err)
{
	size_t		ncap = o->cap ? o->cap * 2 : 256 * 1024;
	unsigned char *nb = realloc(o->buf, ncap);

	if (!nb)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory compressing");
	o->buf = nb;
	o->z.next_out = nb + o->z.total_out;
	o->z.avail_out = (uInt) (ncap - o->z.total_out);
	o->cap = ncap;
	return RTCSTATS_OK;
}

static rtcstats_status
out_write(void *arg, const void *data, size_t len, rtcstats_error *err)
{
	out_ctx    *o = arg;
	const unsigned char *p = data;

	/* Capture the metadata line (line 2) for the row. */
	for (size_t i = 0; i < len && o->newlines < 2; i++)
	{
		if (p[i] == '\n')
			o->newlines++;
		else if (o->newlines == 1)
		{
			if (o->meta_len < META_MAX_BYTES)
				o->meta[o->meta_len++] = (char) p[i];
			else
				o->meta_truncated = true;
		}
	}
	o->z.next_in = (unsigned char *) p;
	o->z.avail_in = (uInt) len;
	while (o->z.avail_in > 0)
	{
		if (o->z.avail_out == 0 && gz_grow(o, err) != RTCSTATS_OK)
			return err->code;
		if (deflate(&o->z, Z_NO_FLUSH) == Z_STREAM_ERROR)
			return rtcstats_fail(err, RTCSTATS_ERR_GZIP, 0, "deflate failed");
	}
	return RTCSTATS_OK;
}

static rtcstats_status
out_finish(out_ctx *o, rtcstats_error *err)
{
	int			rc;

	o->z.next_in = NULL;
	o->z.avail_in = 0;
	do
	{
		if (o->z.avail_out == 0 && gz_grow(o, err) != RTCSTATS_OK)
			return err->code;
		rc = deflate(&o->z, Z_FINISH);
	} while (rc == Z_OK || rc == Z_BUF_ERROR);
	if (rc != Z_STREAM_END)
		return rtcstats_fail(err, RTCSTATS_ERR_GZIP, 0, "deflate failed");
	return RTCSTATS_OK;
}

/* Reads the .dump, anonymizes and gzips it into o.  RTCSTATS_ERR_IO is local. */
static rtcstats_status
compress_dump(const char *path, out_ctx *o, int64_t *start_ms, proxy_claims *claims,
			  rtcstats_error *err)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	static __thread unsigned char chunk[256 * 1024];
	ssize_t		n;
	rtcstats_status rc = RTCSTATS_OK;
	bool		anonymize = !proxy_cfg.no_anonymize;
	rtcstats_anonymizer *a = NULL;

	if (fd < 0)
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "cannot open %s: %s", path, strerror(errno));
	/* Our header line: start time and claims; the dump follows. */
	if (proxy_spool_read_header(fd, start_ms, claims) != 0)
	{
		close(fd);
		return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 1, "spool file without its header line");
	}
	if (deflateInit2(&o->z, proxy_cfg.gzip_level, Z_DEFLATED, 15 + 16, 8,
					 Z_DEFAULT_STRATEGY) != Z_OK)
	{
		close(fd);
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "deflateInit failed");
	}
	if (anonymize)
	{
		rtcstats_reader_options ropts = {0};

		/* Bad lines were never spooled from WebSocket; skip rather than lose a dump. */
		ropts.skip_bad_lines = true;
		ropts.max_line_bytes = proxy_cfg.max_message_bytes > proxy_cfg.max_dump_bytes ?
			proxy_cfg.max_message_bytes : proxy_cfg.max_dump_bytes;
		a = rtcstats_anonymizer_new(&ropts, out_write, o);
		if (!a)
			rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	while (rc == RTCSTATS_OK && (n = read(fd, chunk, sizeof(chunk))) != 0)
	{
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			rc = rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (anonymize)
			rc = rtcstats_anonymizer_feed(a, chunk, (size_t) n, err);
		else
			rc = out_write(o, chunk, (size_t) n, err);
	}
	if (rc == RTCSTATS_OK && anonymize)
		rc = rtcstats_anonymizer_finish(a, err);
	rtcstats_anonymizer_free(a);
	if (rc == RTCSTATS_OK)
		rc = out_finish(o, err);
	close(fd);
	return rc;
}

/* ---- what is an outage ---- */

/*
 * SQLSTATE classes that say the database, not this dump, is the problem:
 * connection (08), authorization (28), catalog (3D), transaction rollback
 * such as a deadlock (40), access or an object missing (42: our statement is
 * fixed and its values are parameters, so 42 means a missing table or grant,
 * which every dump would meet), resources (53), prerequisite state such as
 * locks (55), operator intervention such as a shutdown (57), system (58),
 * read-only transaction (25), configuration (F0), internal (XX).  Every other
 * class (22 data exception, 23 integrity constraint, 54 program limit, ...)
 * is about the values: a data error.  No SQLSTATE at all is a lost connection.
 */
static bool
sqlstate_is_outage(const char *state)
{
	static const char outage[][3] = {
		"08", "25", "28", "3D", "40", "42", "53", "55", "57", "58", "F0", "XX"
	};

	if (!state || strlen(state) != 5)
		return true;
	for (size_t i = 0; i < sizeof(outage) / sizeof(outage[0]); i++)
		if (strncmp(state, outage[i], 2) == 0)
			return true;
	return false;
}

/*
 * Storage: network errors, timeouts, a cancel, local I/O (a full or broken
 * storage directory), permission (401/403: credentials or policy, a
 * configuration outage), 404 (no such bucket), 408, 429 (throttling) and
 * every 5xx are outages; any other HTTP 4xx (400, 411, 413, ...) refuses this
 * object: a data error.  The status is the "HTTP nnn" of the core's detail.
 */
static bool
storage_is_outage(rtcstats_status rc, const char *detail)
{
	const char *h;
	long		status;

	if (rc == RTCSTATS_ERR_TOO_LARGE)
		return false;
	if (rc != RTCSTATS_ERR_STORAGE || (h = strstr(detail, " HTTP ")) == NULL)
		return true;
	status = strtol(h + 6, NULL, 10);
	return status < 400 || status >= 500 || status == 401 || status == 403 ||
		status == 404 || status == 408 || status == 429;
}

/* ---- database ---- */

typedef struct worker
{
	int			index;
	rtcstats_storage *storage;
	PGconn	   *conn;
	char		insert_sql[640];	/* with the table's schema, for this connection */
} worker;

bool
proxy_db_table(PGconn *conn, char *out, size_t cap)
{
	PGresult   *res = PQexec(conn,
							 "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
							 "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
							 "WHERE e.extname = 'rtcstats'");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (ok)
		snprintf(out, cap, "%s.rtcstats_dumps",
				 PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "public");
	PQclear(res);
	return ok;
}

static void
log_db_error(const char *id, const char *state, const char *msg)
{
	char		q[512];

	proxy_log_quote(q, sizeof(q), msg);
	log_warn("event=db_error dump=%s sqlstate=%s error=\"%s\"", id, state ? state : "none", q);
}

static bool
db_connect(worker *w, const char *id)
{
	char		table[192];

	if (w->conn && PQstatus(w->conn) == CONNECTION_OK)
		return true;
	PQfinish(w->conn);
	w->conn = PQconnectdb(proxy_cfg.dsn);
	/*
	 * Everything the statement names is qualified (pg_catalog, the
	 * extension's schema), so nothing earlier in the role's search_path can
	 * stand in for it.
	 */
	if (PQstatus(w->conn) != CONNECTION_OK || !proxy_db_table(w->conn, table, sizeof(table)))
	{
		log_db_error(id, NULL, PQerrorMessage(w->conn));
		PQfinish(w->conn);
		w->conn = NULL;
		return false;
	}
	snprintf(w->insert_sql, sizeof(w->insert_sql),
			 "INSERT INTO %s (id, session_start, session_end, blob_url, metadata, "
			 "client_id, rtcstats_user, rtcstats_conference, rtcstats_session, host_identifier, "
			 "size_bytes) VALUES ($1::pg_catalog.uuid, pg_catalog.to_timestamp($2::pg_catalog.float8), "
			 "pg_catalog.to_timestamp($3::pg_catalog.float8), $4, $5::pg_catalog.jsonb, $6, $7, $8, "
			 "$9, $10, $11::pg_catalog.int8) ON CONFLICT (id) DO NOTHING", table);
	return true;
}

typedef enum db_result
{
	DB_OK,
	DB_OUTAGE,
	DB_DATA_ERROR
} db_result;

/* The insert; for a data error, why gets "sqlstate=... error=\"...\"". */
static db_result
db_insert(worker *w, const char *id, const char *const *values, char *why, size_t whylen)
{
	PGresult   *res;
	const char *vals[11];

	memcpy(vals, values, sizeof(vals));
	for (int pass = 0; pass < 2; pass++)
	{
		const char *state;
		const char *msg;
		char		q[512];

		if (!db_connect(w, id))
			return DB_OUTAGE;
		res = PQexecParams(w->conn, w->insert_sql, 11, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
		{
			PQclear(res);
			return DB_OK;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (!msg)
			msg = PQerrorMessage(w->conn);
		log_db_error(id, state, msg);
		if (sqlstate_is_outage(state) || PQstatus(w->conn) != CONNECTION_OK)
		{
			PQclear(res);
			if (PQstatus(w->conn) != CONNECTION_OK)
			{
				PQfinish(w->conn);
				w->conn = NULL;
			}
			return DB_OUTAGE;
		}
		/*
		 * A metadata line jsonb refuses although it passed metadata_parse
		 * (a number beyond numeric's range, say): store the row without it;
		 * the object keeps the line.
		 */
		if (vals[4] != NULL)
		{
			PQclear(res);
			vals[4] = NULL;
			continue;
		}
		proxy_log_quote(q, sizeof(q), msg);
		snprintf(why, whylen, "sqlstate=%s error=\"%s\"", state, q);
		PQclear(res);
		return DB_DATA_ERROR;
	}
	return DB_DATA_ERROR;
}

/*
 * The metadata line (line 2) as the row may take it: a JSON object of valid
 * UTF-8 without NUL, raw or escaped (text and jsonb hold neither), within
 * META_MAX_BYTES.  *start is its startTime when that is a number (checked by
 * the caller, never cast here).
 */
static bool
metadata_parse(const char *meta, size_t len, bool truncated, double *start, bool *has_start)
{
	struct json_tokener *tok;
	struct json_object *o,
			   *v;
	bool		valid = false;

	*has_start = false;
	if (truncated || len == 0 || memchr(meta, '\0', len) || !rtcstats_utf8_valid(meta, len))
		return false;
	for (size_t i = 0; i + 1 < len; i++)
	{
		if (meta[i] != '\\')
			continue;
		if (meta[i + 1] == 'u' && len - i >= 6 && memcmp(meta + i + 2, "0000", 4) == 0)
			return false;
		i++;					/* the escaped character */
	}
	if (!(tok = json_tokener_new_ex(64)))
		return false;
	o = json_tokener_parse_ex(tok, meta, (int) len);
	if (o && json_object_is_type(o, json_type_object) && tok->char_offset == (int) len)
	{
		valid = true;
		if (json_object_object_get_ex(o, "startTime", &v) &&
			(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		{
			*start = json_object_get_double(v);
			*has_start = true;
		}
	}
	json_object_put(o);
	json_tokener_free(tok);
	return valid;
}

static const char *const quarantine_names[PROXY_QUARANTINE_REASONS] = {
	"unreadable", "storage", "database"
};

/*
 * A data error: the dump goes to failed/ with its reason, logged once and
 * counted.  RETRY (an outage of the spool itself) if it cannot be moved.
 */
static outcome
quarantine(job *j, proxy_quarantine_reason r, const char *why)
{
	char		reason[1024];

	snprintf(reason, sizeof(reason), "reason=%s attempts=%d %s", quarantine_names[r],
			 j->attempts, why);
	if (proxy_spool_move_failed(proxy_cfg.spool_dir, j->id, reason) != 0)
	{
		log_error("event=spool_error dump=%s error=\"cannot move to failed/: %s\"",
				  j->id, strerror(errno));
		return RETRY;
	}
	log_error("event=failed dump=%s %s moved=failed/", j->id, reason);
	atomic_fetch_add_explicit(&proxy_stats.sessions_failed, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&proxy_stats.quarantined[r], 1, memory_order_relaxed);
	return QUARANTINED;
}

static outcome
process(worker *w, job *j)
{
	char		path[4096];
	char		key[64];
	struct stat st;
	out_ctx		o;
	rtcstats_error err;
	rtcstats_status rc;
	proxy_claims claims;
	int64_t		start_ms = 0,
				end_ms;
	double		meta_start = 0;
	bool		meta_valid,
				has_start;
	char		why[768];
	struct timespec t0,
				t1;
	outcome		result = RETRY;
	char	   *blob_url = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rtcstats_error_clear(&err);
	memset(&o, 0, sizeof(o));
	proxy_spool_path(path, sizeof(path), proxy_cfg.spool_dir, j->id, ".dump");
	if (stat(path, &st) != 0)
	{
		/* Already done by an earlier attempt that crashed after the insert. */
		log_warn("event=missing dump=%s error=\"%s: %s\"", j->id, path, strerror(errno));
		proxy_spool_remove(proxy_cfg.spool_dir, j->id);
		return DONE;
	}
	memset(&claims, 0, sizeof(claims));
	o.meta = malloc(META_MAX_BYTES + 1);
	if (!o.meta)
		goto out;

	rc = compress_dump(path, &o, &start_ms, &claims, &err);
	if (rc != RTCSTATS_OK)
	{
		if (rc == RTCSTATS_ERR_NOMEM || rc == RTCSTATS_ERR_IO)
		{
			log_warn("event=retry dump=%s attempt=%d error=\"%s\"", j->id, j->attempts, err.detail);
			goto out;
		}
		char		q[512];

		proxy_log_quote(q, sizeof(q), err.detail);
		snprintf(why, sizeof(why), "error=\"%s at line %ld: %s\"", rtcstats_status_name(rc),
				 err.line, q);
		result = quarantine(j, PROXY_QUARANTINE_UNREADABLE, why);
		goto out;
	}

	snprintf(key, sizeof(key), "%s.gz", j->id);
	rc = rtcstats_storage_put(w->storage, key, o.buf, o.z.total_out, &err);
	if (rc != RTCSTATS_OK)
	{
		char		q[512];

		proxy_log_quote(q, sizeof(q), err.detail);
		if (!storage_is_outage(rc, err.detail))
		{
			snprintf(why, sizeof(why), "error=\"%s: %s\"", rtcstats_status_name(rc), q);
			result = quarantine(j, PROXY_QUARANTINE_STORAGE, why);
			goto out;
		}
		log_warn("event=retry dump=%s attempt=%d step=upload error=\"%s: %s\"", j->id,
				 j->attempts, rtcstats_status_name(rc), q);
		goto out;
	}
	blob_url = rtcstats_storage_object_url(w->storage, key);
	if (!blob_url)
		goto out;

	/*
	 * The session's times: the end is the last write to the spool file (the
	 * proxy's receive time); the start is the client's startTime when it is
	 * sane for that, else the proxy's own start (the header's), else the end.
	 */
	end_ms = (int64_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	meta_valid = metadata_parse(o.meta, o.meta_len, o.meta_truncated, &meta_start, &has_start);
	if (!proxy_sane_start_ms((double) start_ms, end_ms, &start_ms))
		start_ms = end_ms;
	if (has_start)
		(void) proxy_sane_start_ms(meta_start, end_ms, &start_ms);
	if (*proxy_cfg.dsn)
	{
		char		start_s[32],
					end_s[32],
					size_s[32];
		const char *values[11];
		db_result	dr;

		/* File times come from a coarse clock: never end before the start. */
		if (end_ms < start_ms)
			end_ms = start_ms;
		/* Seconds, as to_timestamp takes them: no arithmetic in the statement. */
		snprintf(start_s, sizeof(start_s), "%lld.%03d", (long long) (start_ms / 1000),
				 (int) (start_ms % 1000));
		snprintf(end_s, sizeof(end_s), "%lld.%03d", (long long) (end_ms / 1000),
				 (int) (end_ms % 1000));
		snprintf(size_s, sizeof(size_s), "%lu", (unsigned long) o.z.total_out);
		if (meta_valid)
			o.meta[o.meta_len] = '\0';
		values[0] = j->id;
		values[1] = start_s;
		values[2] = end_s;
		values[3] = blob_url;
		values[4] = meta_valid ? o.meta : NULL;
		values[5] = j->id;
		values[6] = claims.user;
		values[7] = claims.conference;
		values[8] = claims.session;
		values[9] = proxy_cfg.host_identifier;
		values[10] = size_s;
		dr = db_insert(w, j->id, values, why, sizeof(why));
		if (dr == DB_DATA_ERROR)
		{
			/* The object stays: a requeued dump puts it again, the same bytes. */
			result = quarantine(j, PROXY_QUARANTINE_DATABASE, why);
			goto out;
		}
		if (dr == DB_OUTAGE)
		{
			log_warn("event=retry dump=%s attempt=%d step=insert", j->id, j->attempts);
			goto out;
		}
	}
	proxy_spool_recycle(proxy_cfg.spool_dir, j->id);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		double		secs = (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

		proxy_metrics_observe_upload(secs);
		log_info("event=uploaded dump=%s url=%s bytes=%lld stored_bytes=%lu seconds=%.3f attempts=%d",
				 j->id, blob_url, (long long) st.st_size, (unsigned long) o.z.total_out, secs,
				 j->attempts);
	}
	atomic_fetch_add_explicit(&proxy_stats.sessions_uploaded, 1, memory_order_relaxed);
	result = DONE;
out:
	if (result == RETRY)
		atomic_fetch_add_explicit(&proxy_stats.attempts_failed, 1, memory_order_relaxed);
	if (o.z.state)
		deflateEnd(&o.z);
	free(o.buf);
	free(o.meta);
	free(blob_url);
	proxy_claims_free(&claims);
	return result;
}

static rtcstats_storage *
new_storage(void)
{
	rtcstats_storage_config sc = {0};
	rtcstats_error err;
	rtcstats_storage *s;

	sc.url = proxy_cfg.storage_url;
	sc.s3_endpoint = proxy_cfg.s3_endpoint;
	sc.s3_region = proxy_cfg.s3_region;
	sc.s3_access_key_id = proxy_cfg.s3_access_key_id;
	sc.s3_secret_access_key = proxy_cfg.s3_secret_access_key;
	sc.s3_path_style = proxy_cfg.s3_path_style;
	sc.max_retries = 0;			/* we retry with our own backoff, never blocking shutdown */
	sc.should_stop = should_stop;
	s = rtcstats_storage_new(&sc, &err);
	if (!s)
		log_error("event=config_error error=\"storage-url %s: %s\"", proxy_cfg.storage_url,
				  err.detail);
	return s;
}

static void *
worker_main(void *arg)
{
	worker	   *w = arg;
	job		   *j;

	(void) setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), PIPELINE_NICE);
	while ((j = take_job()) != NULL)
	{
		j->attempts++;
		finish_job(j, process(w, j));
	}
	PQfinish(w->conn);
	rtcstats_storage_free(w->storage);
	free(w);
	return NULL;
}

/* Takes the dumps put back by --requeue-failed, every REQUEUE_SCAN_SECONDS. */
static void *
scanner_main(void *arg)
{
	pthread_mutex_lock(&qlock);
	while (!stopping)
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += REQUEUE_SCAN_SECONDS;
		pthread_cond_timedwait(&scan_cond, &qlock, &ts);
		if (stopping)
			break;
		pthread_mutex_unlock(&qlock);
		proxy_spool_take_requeued(proxy_cfg.spool_dir, proxy_uploader_queue);
		pthread_mutex_lock(&qlock);
	}
	pthread_mutex_unlock(&qlock);
	return NULL;
}

int
proxy_uploader_start(void)
{
	threads = calloc((size_t) proxy_cfg.workers, sizeof(pthread_t));
	if (!threads)
		return -1;
	for (int i = 0; i < proxy_cfg.workers; i++)
	{
		worker	   *w = calloc(1, sizeof(worker));

		if (!w)
			return -1;
		w->index = i;
		w->storage = new_storage();
		if (!w->storage || pthread_create(&threads[i], NULL, worker_main, w) != 0)
		{
			rtcstats_storage_free(w->storage);
			free(w);
			return -1;
		}
		nthreads++;
	}
	if (pthread_create(&scanner, NULL, scanner_main, NULL) != 0)
		return -1;
	scanner_started = true;
	return 0;
}

long
proxy_uploader_drain(int timeout_s)
{
	struct timespec deadline;
	long		left;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_s;
	pthread_mutex_lock(&qlock);
	while (queued > 0)
	{
		if (pthread_cond_timedwait(&idle_cond, &qlock, &deadline) == ETIMEDOUT)
			break;
	}
	left = queued;
	pthread_mutex_unlock(&qlock);
	return left;
}

void
proxy_uploader_stop(void)
{
	pthread_mutex_lock(&qlock);
	stopping = true;
	pthread_cond_broadcast(&qcond);
	pthread_cond_broadcast(&scan_cond);
	pthread_mutex_unlock(&qlock);
	if (scanner_started)
		pthread_join(scanner, NULL);
	scanner_started = false;
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	threads = NULL;
	nthreads = 0;
	/* What is left stays in the spool for the next start. */
	while (qhead)
	{
		job		   *j = qhead;

		qhead = j->next;
		free(j);
	}
	qtail = NULL;
}
