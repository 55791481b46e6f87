/*
 * rtcstats-worker: the extension's extraction loop, outside Postgres.
 *
 * Claims a dump with rtcstats_claim_dump(), fetches its object (from storage
 * with its own client, or through the server with rtcstats_fetch_dump()),
 * extracts features and analysis with the core, and stores them with
 * rtcstats_store_features(): the same three SQL functions the in-database
 * workers call, so both paths write the same rows.  Any number of these may
 * run on any hosts against one database; FOR UPDATE SKIP LOCKED keeps them
 * from taking the same dump.  With a storage URL it also deletes the objects
 * of deleted dumps (rtcstats_deleted_objects, 40-retention.sql).
 *
 * One log line per event on stderr, key=value, with the dump id.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "rtcstats/features.h"
#include "rtcstats/storage.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE		2

/* Reconnect backoff: 0.5 s doubling to 30 s (Postgres restarts take seconds). */
#define RECONNECT_MIN_MS	500
#define RECONNECT_MAX_MS	30000
/* Objects of deleted dumps purged per round. */
#define PURGE_BATCH			100
/* Chunk size fed to the extractor (the extractor streams; any size works). */
#define FEED_CHUNK			(256 * 1024)

typedef struct worker_options
{
	const char *dsn;
	const char *name;
	bool		once;
	long		max_dumps;		/* 0: no limit */
	double		poll_interval;	/* seconds */
	int			concurrency;
	bool		purge;
	rtcstats_storage_config storage;
} worker_options;

typedef enum step_result
{
	STEP_DONE,					/* a dump was processed (extracted or failed) */
	STEP_IDLE,					/* nothing to claim */
	STEP_RECONNECT,				/* the connection was lost */
	STEP_ERROR					/* the claim itself failed (e.g. no extension) */
} step_result;

typedef enum query_status
{
	Q_OK,
	Q_SQL_ERROR,
	Q_CONN_LOST
} query_status;

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t stop_first_s = 0;
/* Self-pipe: the signal handler writes a byte, so a wait that starts after
 * the signal still ends at once (wait_for_work, sleep_ms).  Per process. */
static int	stop_pipe[2] = {-1, -1};

static PGconn *conn = NULL;
static rtcstats_storage *storage = NULL;
static bool purge_available = true;
static long n_extracted = 0;
static long n_failed = 0;
static long n_outages = 0;
/* The extension's schema, quoted (looked up after connecting, or --schema). */
static char ext_schema[2 * 64 + 3] = "";
static const char *schema_option = NULL;
/* SQLSTATE of the last failed statement (run()), "" when none. */
static char last_sqlstate[6] = "";

/*
 * First SIGTERM/SIGINT: finish the current dump, then exit.  Another one at
 * least a second later: exit now.  (Within the second it is the same request
 * arriving twice: systemd signals the whole group and the --concurrency
 * parent forwards it too.)  clock_gettime() is async-signal-safe.
 */
static void
on_stop_signal(int sig)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (stop_requested && now.tv_sec - stop_first_s >= 1)
	{
		signal(sig, SIG_DFL);
		raise(sig);
	}
	if (!stop_requested)
		stop_first_s = (sig_atomic_t) now.tv_sec;
	stop_requested = 1;
	if (stop_pipe[1] >= 0)
	{
		int			saved = errno;

		(void) !write(stop_pipe[1], "x", 1);	/* EAGAIN: a byte is there already */
		errno = saved;
	}
}

/* The self-pipe of this process (after any fork); false if none could be made. */
static bool
make_stop_pipe(void)
{
	int			fds[2];

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return false;
	stop_pipe[0] = fds[0];
	stop_pipe[1] = fds[1];
	if (stop_requested)
		(void) !write(stop_pipe[1], "x", 1);
	return true;
}

/*
 * Waits up to ms for fd to be readable (fd < 0: only the stop pipe) or a
 * stop request.  poll() has no FD_SETSIZE limit; the stop pipe ends the wait
 * even for a signal that came just before it began.  Returns false on a
 * poll() error.
 */
static bool
wait_fd(int fd, long ms)
{
	struct pollfd p[2];
	int			n = 0;

	if (stop_requested)
		return true;
	p[n].fd = stop_pipe[0];
	p[n].events = POLLIN;
	p[n].revents = 0;
	n += stop_pipe[0] >= 0;
	if (fd >= 0)
	{
		p[n].fd = fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	if (poll(p, n, ms < 0 ? 0 : (ms > INT_MAX ? INT_MAX : (int) ms)) < 0 && errno != EINTR)
		return false;
	return true;
}

static bool
should_stop_transfer(void *arg)
{
	return false;				/* a started dump is finished; see on_stop_signal */
}

/* One log line: ts=... event=... key=value ... */
static void
log_event(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
log_event(const char *fmt,...)
{
	char		line[2048];
	struct timespec now;
	struct tm	tm;
	va_list		ap;
	int			n,
				m;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = (int) strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ldZ pid=%ld ", now.tv_nsec / 1000000,
				  (long) getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n = (n + m >= (int) sizeof(line) - 1) ? (int) sizeof(line) - 2 : n + m;
	line[n++] = '\n';
	/* one write per line: --concurrency workers share stderr */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* A message for a log value: quoted, one line, no double quotes inside. */
static const char *
quoted(const char *msg, char *buf, size_t size)
{
	size_t		j = 0;

	if (size < 3)
		return "\"\"";
	buf[j++] = '"';
	for (const char *p = msg ? msg : ""; *p && j < size - 2; p++)
		buf[j++] = (*p == '"' ? '\'' : (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p);
	while (j > 1 && buf[j - 1] == ' ')
		j--;
	buf[j++] = '"';
	buf[j] = '\0';
	return buf;
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

/* Sleeps up to ms, returning at once when a stop is requested. */
static void
sleep_ms(long ms)
{
	double		end = now_ms() + ms;

	while (!stop_requested)
	{
		double		left = end - now_ms();

		if (left <= 0)
			break;
		if (!wait_fd(-1, (long) left + 1))
			break;
	}
}

/* Connects (retrying with backoff unless fail_fast); false when stopped or failed. */
static bool
db_connect(const worker_options *o, bool fail_fast)
{
	long		delay = RECONNECT_MIN_MS;
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {o->dsn, "rtcstats-worker", NULL};

	while (!stop_requested)
	{
		PGresult   *res;
		char		msg[512];

		if (conn)
			PQfinish(conn);
		conn = PQconnectdbParams(keys, vals, 1);
		if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		{
			/*
			 * Wake-ups from the insert trigger (60-wakeup.sql: channel
			 * rtcstats_dumps; also rtcstats_new_dump, the name); the
			 * poll interval backs them up.
			 */
			res = PQexec(conn, "LISTEN rtcstats_dumps; LISTEN rtcstats_new_dump");
			PQclear(res);
			ext_schema[0] = '\0';	/* looked up on this connection */
			log_event("event=connected db=%s", PQdb(conn));
			return true;
		}
		log_event("event=db_unavailable error=%s retry_ms=%ld",
				  quoted(conn ? PQerrorMessage(conn) : "out of memory", msg, sizeof(msg)),
				  fail_fast ? 0 : delay);
		if (fail_fast)
			return false;
		sleep_ms(delay);
		delay = delay * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : delay * 2;
	}
	return false;
}

/*
 * Runs one statement with text parameters.  Returns the result (caller
 * PQclear()s) and sets *st; *errmsg points into the result or connection.
 */
static PGresult *
run(const char *sql, int nparams, const char *const *values, int result_format,
	query_status *st, const char **errmsg)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, result_format);
	ExecStatusType rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	*errmsg = NULL;
	snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", state ? state : "");
	if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK)
	{
		*st = Q_OK;
		return res;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		snprintf(last_sqlstate, sizeof(last_sqlstate), "08006");
		*st = Q_CONN_LOST;
		*errmsg = PQerrorMessage(conn);
	}
	else
	{
		*st = Q_SQL_ERROR;
		*errmsg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		if (*errmsg == NULL)
			*errmsg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	}
	return res;
}

/*
 * Runs a statement that must reach the database (store, record failure):
 * when the connection is lost, reconnects and runs it again, until it ran or
 * a stop was requested.  Returns Q_OK, Q_SQL_ERROR (message in errbuf) or
 * Q_CONN_LOST (stopped while the database was away).
 */
static query_status
run_reliably(const worker_options *o, const char *sql, int nparams, const char *const *values,
			 char *errbuf, size_t errsize)
{
	for (;;)
	{
		query_status st;
		const char *msg;
		PGresult   *res = run(sql, nparams, values, 0, &st, &msg);

		if (st == Q_SQL_ERROR)
			snprintf(errbuf, errsize, "%s", msg ? msg : "unknown error");
		PQclear(res);
		if (st != Q_CONN_LOST)
			return st;
		if (stop_requested || !db_connect(o, false))
			return Q_CONN_LOST;
	}
}

/*
 * The peer connection ids of features' "peerConnections", which the
 * features JSON does not carry: the analysis keys its time series by id in
 * order of appearance; upstream orders connections as JavaScript's
 * Object.keys() does (integer-like ids ascending first, then the others in
 * order of appearance).  Added as "connectionIdentifier" (upstream's
 * column) when the counts agree; otherwise the ids stay unknown (NULL).
 */
static bool
is_array_index(const char *s)
{
	char	   *end;
	unsigned long long v;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	return *end == '\0' && errno == 0 && v < 4294967295ULL;
}

static int
compare_index_keys(const void *a, const void *b)
{
	unsigned long long x = strtoull(*(const char *const *) a, NULL, 10);
	unsigned long long y = strtoull(*(const char *const *) b, NULL, 10);

	return x < y ? -1 : x > y;
}

static void
add_connection_ids(json_object *features, json_object *analysis)
{
	json_object *pcs,
			   *ts;
	size_t		n,
				k = 0,
				nidx = 0;
	const char **ids;

	if (!json_object_object_get_ex(features, "peerConnections", &pcs) ||
		!json_object_is_type(pcs, json_type_array) || analysis == NULL ||
		!json_object_object_get_ex(analysis, "timeseries", &ts) ||
		!json_object_is_type(ts, json_type_object))
		return;
	n = json_object_array_length(pcs);
	if (n == 0 || (size_t) json_object_object_length(ts) != n)
		return;
	ids = calloc(n, sizeof(*ids));
	if (ids == NULL)
		return;
	json_object_object_foreach(ts, key, val)
	{
		(void) val;
		if (is_array_index(key))
			ids[k++] = key;
	}
	nidx = k;
	qsort(ids, nidx, sizeof(*ids), compare_index_keys);
	json_object_object_foreach(ts, key2, val2)
	{
		(void) val2;
		if (!is_array_index(key2))
			ids[k++] = key2;
	}
	for (size_t i = 0; i < n; i++)
	{
		json_object *pc = json_object_array_get_idx(pcs, i);

		if (json_object_is_type(pc, json_type_object))
			json_object_object_add(pc, "connectionIdentifier", json_object_new_string(ids[i]));
	}
	free(ids);
}

/* SQL calling a function of the extension: fmt has one %s for its schema. */
static const char *
ext_sql(char *buf, size_t size, const char *fmt)
{
	snprintf(buf, size, fmt, ext_schema);
	return buf;
}

/*
 * Looks up the extension's schema (unless --schema gave it), so every call
 * is qualified and no search_path can put another function in its place.
 * False when the extension is not in the database.
 */
static bool
lookup_schema(void)
{
	PGresult   *res;
	query_status st;
	const char *msg;
	const char *params[1] = {schema_option};

	if (schema_option != NULL)
		res = run("SELECT pg_catalog.quote_ident($1::pg_catalog.text)", 1, params, 0, &st, &msg);
	else
		res = run("SELECT pg_catalog.quote_ident(n.nspname::pg_catalog.text)"
				  " FROM pg_catalog.pg_extension AS e"
				  " JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace"
				  " WHERE e.extname OPERATOR(pg_catalog.=) 'rtcstats'", 0, NULL, 0, &st, &msg);
	ext_schema[0] = '\0';
	if (st == Q_OK && PQntuples(res) == 1 && PQgetlength(res, 0, 0) < (int) sizeof(ext_schema))
		snprintf(ext_schema, sizeof(ext_schema), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return ext_schema[0] != '\0';
}

/*
 * Records a failed attempt (its own statement; reconnects if needed): an
 * outage (storage or database unavailable) gives the attempt back and is
 * retried without limit (rtcstats_record_outage); a data error spends it
 * (rtcstats_record_failure).  The same rule as the in-database workers.
 */
static void
record_failure(const worker_options *o, const char *dump_id, const char *error, bool outage)
{
	const char *params[2] = {dump_id, error};
	char		msg[512],
				q[600],
				sql[256];

	if (outage)
		n_outages++;
	else
		n_failed++;
	log_event("event=%s dump=%s error=%s", outage ? "outage" : "failed", dump_id,
			  quoted(error, q, sizeof(q)));
	if (run_reliably(o, ext_sql(sql, sizeof(sql), outage ? "SELECT %s.rtcstats_record_outage($1, $2)"
								: "SELECT %s.rtcstats_record_failure($1, $2)"),
					 2, params, msg, sizeof(msg)) == Q_SQL_ERROR)
		log_event("event=error dump=%s what=record_failure error=%s", dump_id,
				  quoted(msg, q, sizeof(q)));
}

/*
 * Fetches the object of a dump: with our storage client when we have one
 * (the URL must lie under --storage-url, as the server requires under
 * rtcstats.storage_url), else through the server.  Returns false with a
 * message in errbuf; *lost is set when the connection went away.
 */
static bool
fetch_dump(const char *dump_id, const char *blob_url, rtcstats_buffer *out, bool *lost,
		   bool *outage, char *errbuf, size_t errsize)
{
	*lost = false;
	*outage = false;
	memset(out, 0, sizeof(*out));
	if (storage != NULL)
	{
		rtcstats_error err;
		char	   *key = NULL;

		rtcstats_error_clear(&err);
		if (rtcstats_storage_key_from_url(storage, blob_url, &key, &err) != RTCSTATS_OK ||
			rtcstats_storage_get(storage, key, out, &err) != RTCSTATS_OK)
		{
			snprintf(errbuf, errsize, "could not fetch \"%s\": %s (%s)", blob_url, err.detail,
					 rtcstats_status_name(err.code));
			*outage = rtcstats_status_is_outage(err.code);
			free(key);
			rtcstats_buffer_free(out);
			return false;
		}
		free(key);
		return true;
	}
	else
	{
		const char *params[1] = {dump_id};
		query_status st;
		const char *msg;
		char		sql[256];
		PGresult   *res = run(ext_sql(sql, sizeof(sql), "SELECT %s.rtcstats_fetch_dump($1)"), 1,
							  params, 1, &st, &msg);

		if (st != Q_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		{
			*lost = (st == Q_CONN_LOST);
			*outage = st == Q_SQL_ERROR && rtcstats_sqlstate_is_outage(last_sqlstate);
			snprintf(errbuf, errsize, "could not fetch \"%s\" through the server: %s", blob_url,
					 st == Q_OK ? "no object" : msg ? msg : "unknown error");
			PQclear(res);
			return false;
		}
		out->len = (size_t) PQgetlength(res, 0, 0);
		out->cap = out->len + 1;
		out->data = malloc(out->cap);
		if (out->data == NULL)
		{
			snprintf(errbuf, errsize, "out of memory for a %zu-byte dump", out->len);
			PQclear(res);
			return false;
		}
		memcpy(out->data, PQgetvalue(res, 0, 0), out->len);
		PQclear(res);
		return true;
	}
}

/* Features and analysis of a dump; false with a message in errbuf. */
static bool
extract_dump(const rtcstats_buffer *dump, json_object **features, json_object **analysis,
			 char *errbuf, size_t errsize)
{
	rtcstats_extractor *x = rtcstats_extractor_new(NULL);
	rtcstats_error err;
	rtcstats_status rc = RTCSTATS_OK;

	*features = NULL;
	*analysis = NULL;
	rtcstats_error_clear(&err);
	if (x == NULL || !rtcstats_extractor_enable_analysis(x))
	{
		rtcstats_extractor_free(x);
		snprintf(errbuf, errsize, "out of memory");
		return false;
	}
	for (size_t off = 0; rc == RTCSTATS_OK && off < dump->len; off += FEED_CHUNK)
	{
		size_t		n = dump->len - off < FEED_CHUNK ? dump->len - off : FEED_CHUNK;

		rc = rtcstats_extractor_feed(x, dump->data + off, n, &err);
	}
	if (rc == RTCSTATS_OK)
		rc = rtcstats_extractor_finish(x, features, &err);
	if (rc == RTCSTATS_OK)
	{
		*analysis = rtcstats_extractor_analysis(x, *features);
		if (*analysis == NULL)
		{
			rc = RTCSTATS_ERR_NOMEM;
			snprintf(err.detail, sizeof(err.detail), "out of memory in the analysis");
		}
	}
	rtcstats_extractor_free(x);
	if (rc != RTCSTATS_OK)
	{
		if (err.line > 0)
			snprintf(errbuf, errsize, "could not read dump at line %ld: %s (%s)", err.line,
					 err.detail, rtcstats_status_name(rc));
		else
			snprintf(errbuf, errsize, "could not read dump: %s (%s)", err.detail,
					 rtcstats_status_name(rc));
		json_object_put(*features);
		*features = NULL;
		return false;
	}
	return true;
}

/* Claim, fetch, extract, store: one dump. */
static step_result
process_one(const worker_options *o)
{
	const char *params[3];
	query_status st;
	const char *msg;
	char		dump_id[64],
				errbuf[1024],
				q[1100];
	char	   *blob_url;
	PGresult   *res;
	rtcstats_buffer buf;
	json_object *features = NULL,
			   *analysis = NULL;
	bool		lost,
				outage;
	double		t0;
	size_t		bytes;
	char		sql[256];

	if (ext_schema[0] == '\0' && !lookup_schema())
	{
		if (PQstatus(conn) != CONNECTION_OK)
			return STEP_RECONNECT;
		log_event("event=error what=claim error=%s",
				  quoted(schema_option ? "no such schema" : "extension \"rtcstats\" is not installed in this database",
						 q, sizeof(q)));
		return STEP_ERROR;
	}
	params[0] = o->name;
	res = run(ext_sql(sql, sizeof(sql), "SELECT dump_id, blob_url FROM %s.rtcstats_claim_dump($1)"),
			  1, params, 0, &st, &msg);
	if (st != Q_OK)
	{
		if (st == Q_SQL_ERROR)
			log_event("event=error what=claim error=%s", quoted(msg, q, sizeof(q)));
		PQclear(res);
		ext_schema[0] = '\0';	/* looked up again: the extension may have moved */
		return st == Q_CONN_LOST ? STEP_RECONNECT : STEP_ERROR;
	}
	if (PQntuples(res) == 0)
	{
		PQclear(res);
		return STEP_IDLE;
	}
	snprintf(dump_id, sizeof(dump_id), "%s", PQgetvalue(res, 0, 0));
	blob_url = strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (blob_url == NULL)
	{
		record_failure(o, dump_id, "out of memory", true);
		return STEP_DONE;
	}
	t0 = now_ms();
	log_event("event=claimed dump=%s", dump_id);

	if (!fetch_dump(dump_id, blob_url, &buf, &lost, &outage, errbuf, sizeof(errbuf)))
	{
		free(blob_url);
		if (lost)
		{
			/* The claim expires after rtcstats.claim_timeout; someone retries. */
			log_event("event=connection_lost dump=%s what=fetch", dump_id);
			return STEP_RECONNECT;
		}
		record_failure(o, dump_id, errbuf, outage);
		return STEP_DONE;
	}
	free(blob_url);
	bytes = buf.len;
	if (!extract_dump(&buf, &features, &analysis, errbuf, sizeof(errbuf)))
	{
		rtcstats_buffer_free(&buf);
		record_failure(o, dump_id, errbuf, false);
		return STEP_DONE;
	}
	rtcstats_buffer_free(&buf);
	add_connection_ids(features, analysis);

	params[0] = dump_id;
	params[1] = json_object_to_json_string_ext(features, JSON_C_TO_STRING_PLAIN);
	params[2] = json_object_to_json_string_ext(analysis, JSON_C_TO_STRING_PLAIN);
	st = run_reliably(o, ext_sql(sql, sizeof(sql), "SELECT %s.rtcstats_store_features($1, $2, $3)"),
					  3, params, errbuf, sizeof(errbuf));
	if (st == Q_OK)
	{
		json_object *pcs = NULL,
				   *obs = NULL;

		json_object_object_get_ex(features, "peerConnections", &pcs);
		json_object_object_get_ex(analysis, "observations", &obs);
		n_extracted++;
		log_event("event=extracted dump=%s bytes=%zu connections=%zu observations=%zu ms=%.0f",
				  dump_id, bytes, pcs ? json_object_array_length(pcs) : 0,
				  obs ? json_object_array_length(obs) : 0, now_ms() - t0);
	}
	json_object_put(features);
	json_object_put(analysis);
	if (st == Q_SQL_ERROR)
	{
		bool		store_outage = rtcstats_sqlstate_is_outage(last_sqlstate);

		snprintf(q, sizeof(q), "could not store features: %s", errbuf);
		record_failure(o, dump_id, q, store_outage);
	}
	else if (st == Q_CONN_LOST)
		log_event("event=connection_lost dump=%s what=store", dump_id);
	return STEP_DONE;
}

/*
 * Deletes the stored objects of deleted dumps (rtcstats_deleted_objects), one
 * batch; returns how many it took.  Only with our own storage client;
 * servers without 40-retention.sql (an older extension) just turn it off.
 */
static int
purge_batch(const worker_options *o)
{
	char		limit[16];
	const char *params[2];
	query_status st;
	const char *msg;
	PGresult   *res;
	char		q[600],
				sql[256];

	int			n;

	if (storage == NULL || !o->purge || !purge_available)
		return 0;
	snprintf(limit, sizeof(limit), "%d", PURGE_BATCH);
	params[0] = limit;
	if (ext_schema[0] == '\0')
		return 0;
	res = run(ext_sql(sql, sizeof(sql), "SELECT blob_url FROM %s.rtcstats_claim_deleted_objects($1)"),
			  1, params, 0, &st, &msg);
	if (st != Q_OK)
	{
		if (st == Q_SQL_ERROR)
		{
			log_event("event=purge_disabled error=%s", quoted(msg, q, sizeof(q)));
			purge_available = false;
		}
		PQclear(res);
		return 0;
	}
	n = PQntuples(res);
	for (int i = 0; i < n && !stop_requested; i++)
	{
		const char *url = PQgetvalue(res, i, 0);
		rtcstats_error err;
		char	   *key = NULL;
		char		errbuf[600];
		const char *error = NULL;

		rtcstats_error_clear(&err);
		if (rtcstats_storage_key_from_url(storage, url, &key, &err) != RTCSTATS_OK ||
			rtcstats_storage_delete(storage, key, &err) != RTCSTATS_OK)
		{
			snprintf(errbuf, sizeof(errbuf), "%s (%s)", err.detail, rtcstats_status_name(err.code));
			error = errbuf;
		}
		free(key);
		params[0] = url;
		params[1] = error;
		if (error)
			log_event("event=purge_failed object=%s error=%s", url, quoted(error, q, sizeof(q)));
		else
			log_event("event=purged object=%s", url);
		if (run_reliably(o, ext_sql(sql, sizeof(sql), "SELECT %s.rtcstats_object_deleted($1, $2)"),
						 2, params, errbuf, sizeof(errbuf)) != Q_OK)
			break;
	}
	PQclear(res);
	return n;
}

/* Purges until the queue has nothing claimable left (failures wait their backoff). */
static void
purge_objects(const worker_options *o)
{
	while (!stop_requested && purge_batch(o) == PURGE_BATCH)
		;
}

/*
 * Waits for a NOTIFY, a signal or the poll interval, whichever comes first.
 * Returns false when the connection was lost.
 */
static bool
wait_for_work(double seconds)
{
	PGnotify   *n;
	int			sock = PQsocket(conn);

	if (sock < 0)
		return false;
	if (!PQconsumeInput(conn))
		return false;
	while ((n = PQnotifies(conn)) != NULL)
		PQfreemem(n);			/* arrived while we were busy: look again now */
	if (!wait_fd(sock, (long) (seconds * 1000)))
		return false;
	if (!PQconsumeInput(conn))
		return false;
	while ((n = PQnotifies(conn)) != NULL)
		PQfreemem(n);
	return true;
}

/* The loop of one worker process; returns the exit status. */
static int
worker_loop(const worker_options *o)
{
	long		processed = 0;
	int			status = 0;

	if (!make_stop_pipe())
	{
		char		q[128];

		log_event("event=error what=pipe error=%s", quoted(strerror(errno), q, sizeof(q)));
		return EXIT_RUNTIME;
	}
	if (!db_connect(o, o->once))
		return stop_requested ? 0 : EXIT_RUNTIME;
	log_event("event=started name=%s storage=%s", o->name,
			  o->storage.url ? o->storage.url : "server");
	while (!stop_requested)
	{
		step_result r = process_one(o);

		if (r == STEP_DONE)
		{
			if (o->max_dumps > 0 && ++processed >= o->max_dumps)
				break;
			continue;
		}
		if (r == STEP_RECONNECT)
		{
			log_event("event=connection_lost");
			if (!db_connect(o, false))
				break;
			continue;
		}
		if (r == STEP_ERROR)
		{
			if (o->once)
			{
				status = EXIT_RUNTIME;
				break;
			}
			sleep_ms((long) (o->poll_interval * 1000));
			continue;
		}
		/* idle */
		purge_objects(o);
		if (o->once)
			break;
		if (!wait_for_work(o->poll_interval) && !stop_requested)
		{
			log_event("event=connection_lost");
			if (!db_connect(o, false))
				break;
		}
	}
	log_event("event=stopped extracted=%ld failed=%ld outages=%ld", n_extracted, n_failed, n_outages);
	if (conn)
		PQfinish(conn);
	conn = NULL;
	return status;
}

static void
usage(FILE *f)
{
	fputs(
		  "NAME\n"
		  "    rtcstats-worker - extract features of stored rtcstats dumps into PostgreSQL\n"
		  "\n"
		  "SYNOPSIS\n"
		  "    rtcstats-worker [--dsn DSN] [--storage-url URL [--s3-endpoint URL]\n"
		  "                    [--s3-region REGION] [--s3-path-style]] [--once]\n"
		  "                    [--max-dumps N] [--poll-interval S] [--concurrency N]\n"
		  "                    [--name NAME] [--no-purge] [--schema SCHEMA]\n"
		  "\n"
		  "DESCRIPTION\n"
		  "    Runs the extension's extraction loop from any host: claims the oldest\n"
		  "    dump waiting in rtcstats_dumps (rtcstats_claim_dump), fetches its object,\n"
		  "    extracts its features and analysis, and stores them with\n"
		  "    rtcstats_store_features, the same SQL entry point the extension's\n"
		  "    background workers use.  A dump that cannot be read gets its error and\n"
		  "    a retry time recorded (rtcstats_record_failure); the others go on.\n"
		  "    Any number of workers, on any hosts, may run against one database.\n"
		  "\n"
		  "    Without --storage-url, objects are fetched through the server\n"
		  "    (rtcstats_fetch_dump, which reads under rtcstats.storage_url; the\n"
		  "    extension's role rtcstats_worker, which a login running this worker\n"
		  "    should be a member of, may call it).  With it, the worker reads the\n"
		  "    objects itself (only URLs under URL) and also deletes the objects of\n"
		  "    dumps deleted by retention (rtcstats_deleted_objects).\n"
		  "\n"
		  "    It waits for work with LISTEN rtcstats_dumps (the extension's insert\n"
		  "    trigger notifies it) and polls every --poll-interval seconds as well.\n"
		  "    When the database goes away it reconnects with backoff (0.5 s\n"
		  "    doubling up to 30 s).  SIGTERM or SIGINT finishes the current dump and\n"
		  "    exits; another one a second or more later exits at once.\n"
		  "\n"
		  "OPTIONS\n"
		  "    --dsn DSN           libpq connection string or URI (default: the PG*\n"
		  "                        environment variables, e.g. PGHOST, PGDATABASE)\n"
		  "    --storage-url URL   file:///dir or s3://bucket[/prefix]: read objects\n"
		  "                        directly (as the server's rtcstats.storage_url)\n"
		  "    --s3-endpoint URL   S3-compatible endpoint, e.g. http://127.0.0.1:9000\n"
		  "                        (default: AWS for the region)\n"
		  "    --s3-region REGION  S3 region (default us-east-1)\n"
		  "    --s3-path-style     endpoint/bucket/key URLs instead of bucket.endpoint\n"
		  "    --once              process what is waiting, then exit\n"
		  "    --max-dumps N       exit after N dumps (default: no limit)\n"
		  "    --poll-interval S   seconds between polls when idle (default 5)\n"
		  "    --concurrency N     run N worker processes (default 1)\n"
		  "    --name NAME         worker name recorded in claimed_by\n"
		  "                        (default rtcstats-worker@HOST:PID)\n"
		  "    --no-purge          do not delete objects of deleted dumps\n"
		  "    --schema SCHEMA     schema of the extension (default: looked up in\n"
		  "                        pg_extension); every call is qualified with it\n"
		  "    -h, --help          show this help\n"
		  "\n"
		  "ENVIRONMENT\n"
		  "    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   S3 credentials\n"
		  "    PGHOST, PGPORT, PGDATABASE, PGUSER, ...    libpq defaults\n"
		  "\n"
		  "LOG\n"
		  "    One line per event on standard error, key=value, e.g.\n"
		  "    ts=... pid=... event=extracted dump=<uuid> bytes=203411 connections=2\n"
		  "    observations=1 ms=41; events: connected, db_unavailable, started,\n"
		  "    claimed, extracted, failed (a data error: the attempt counts), outage\n"
		  "    (storage or database unavailable: it does not), connection_lost,\n"
		  "    purged, purge_failed,\n"
		  "    error, stopped.\n"
		  "\n"
		  "EXIT STATUS\n"
		  "    0 when stopped by a signal, --max-dumps reached or (--once) nothing is\n"
		  "    left; 1 on a runtime error (--once: database unreachable or the\n"
		  "    rtcstats extension missing; storage cannot be configured); 2 on a\n"
		  "    usage error.\n"
		  "\n"
		  "EXAMPLES\n"
		  "    rtcstats-worker --dsn 'host=db dbname=rtcstats user=rtcstats'\n"
		  "    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... rtcstats-worker \\\n"
		  "        --dsn postgresql://db/rtcstats --storage-url s3://dumps/rtcstats \\\n"
		  "        --s3-endpoint http://minio:9000 --s3-path-style --concurrency 4\n"
		  "    rtcstats-worker --once --dsn dbname=rtcstats    # e.g. from cron\n",
		  f);
}

static bool
parse_long(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"storage-url", required_argument, NULL, 'u'},
		{"s3-endpoint", required_argument, NULL, 'e'},
		{"s3-region", required_argument, NULL, 'r'},
		{"s3-path-style", no_argument, NULL, 'p'},
		{"once", no_argument, NULL, '1'},
		{"max-dumps", required_argument, NULL, 'm'},
		{"poll-interval", required_argument, NULL, 'i'},
		{"concurrency", required_argument, NULL, 'c'},
		{"name", required_argument, NULL, 'n'},
		{"no-purge", no_argument, NULL, 'P'},
		{"schema", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	worker_options o;
	struct sigaction sa;
	char		defname[300],
				host[256];
	long		v;
	int			c,
				status;
	pid_t	   *children;

	memset(&o, 0, sizeof(o));
	o.dsn = "";
	o.poll_interval = 5;
	o.concurrency = 1;
	o.purge = true;
	o.storage.max_retries = -1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				o.dsn = optarg;
				break;
			case 'u':
				o.storage.url = optarg;
				break;
			case 'e':
				o.storage.s3_endpoint = optarg;
				break;
			case 'r':
				o.storage.s3_region = optarg;
				break;
			case 'p':
				o.storage.s3_path_style = true;
				break;
			case '1':
				o.once = true;
				break;
			case 'm':
				if (!parse_long(optarg, 1, 1000000000L, &o.max_dumps))
				{
					fprintf(stderr, "rtcstats-worker: --max-dumps must be a positive integer, not \"%s\"\n", optarg);
					return EXIT_USAGE;
				}
				break;
			case 'i':
				{
					char	   *end;

					errno = 0;
					o.poll_interval = strtod(optarg, &end);
					if (errno || end == optarg || *end != '\0' || !(o.poll_interval >= 0.01) ||
						o.poll_interval > 86400)
					{
						fprintf(stderr, "rtcstats-worker: --poll-interval must be seconds between 0.01 and 86400, not \"%s\"\n", optarg);
						return EXIT_USAGE;
					}
				}
				break;
			case 'c':
				if (!parse_long(optarg, 1, 64, &v))
				{
					fprintf(stderr, "rtcstats-worker: --concurrency must be an integer from 1 to 64, not \"%s\"\n", optarg);
					return EXIT_USAGE;
				}
				o.concurrency = (int) v;
				break;
			case 'n':
				o.name = optarg;
				break;
			case 'P':
				o.purge = false;
				break;
			case 's':
				schema_option = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				fprintf(stderr, "Try \"rtcstats-worker --help\".\n");
				return EXIT_USAGE;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "rtcstats-worker: unexpected argument \"%s\"\nTry \"rtcstats-worker --help\".\n",
				argv[optind]);
		return EXIT_USAGE;
	}
	if (!o.storage.url && (o.storage.s3_endpoint || o.storage.s3_region || o.storage.s3_path_style))
	{
		fprintf(stderr, "rtcstats-worker: --s3-endpoint, --s3-region and --s3-path-style need --storage-url\n");
		return EXIT_USAGE;
	}

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;			/* no SA_RESTART: a signal ends poll() (and the pipe says so) */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (o.storage.url)
	{
		rtcstats_error err;

		o.storage.s3_access_key_id = getenv("AWS_ACCESS_KEY_ID");
		o.storage.s3_secret_access_key = getenv("AWS_SECRET_ACCESS_KEY");
		o.storage.should_stop = should_stop_transfer;
		rtcstats_storage_global_init();
		rtcstats_error_clear(&err);
		storage = rtcstats_storage_new(&o.storage, &err);
		if (storage == NULL)
		{
			fprintf(stderr, "rtcstats-worker: invalid storage \"%s\": %s\n", o.storage.url, err.detail);
			return EXIT_RUNTIME;
		}
	}

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';

	if (o.concurrency == 1)
	{
		if (o.name == NULL)
		{
			snprintf(defname, sizeof(defname), "rtcstats-worker@%s:%ld", host, (long) getpid());
			o.name = defname;
		}
		status = worker_loop(&o);
		rtcstats_storage_free(storage);
		return status;
	}

	/*
	 * --concurrency N: N processes, each with its own connection and storage
	 * client; the parent forwards SIGTERM/SIGINT and reports the worst status.
	 */
	children = calloc(o.concurrency, sizeof(*children));
	if (children == NULL)
	{
		fprintf(stderr, "rtcstats-worker: out of memory\n");
		return EXIT_RUNTIME;
	}
	fflush(NULL);
	for (int i = 0; i < o.concurrency; i++)
	{
		pid_t		pid = fork();

		if (pid == 0)
		{
			if (o.name != NULL)
				snprintf(defname, sizeof(defname), "%s/%d", o.name, i);
			else
				snprintf(defname, sizeof(defname), "rtcstats-worker@%s:%ld", host, (long) getpid());
			o.name = defname;
			free(children);
			status = worker_loop(&o);
			rtcstats_storage_free(storage);
			_exit(status);
		}
		if (pid < 0)
		{
			fprintf(stderr, "rtcstats-worker: could not start worker %d: %s\n", i, strerror(errno));
			stop_requested = 1;
			break;
		}
		children[i] = pid;
	}
	status = 0;
	for (int left = o.concurrency; left > 0;)
	{
		int			ws;
		pid_t		pid = waitpid(-1, &ws, 0);

		if (pid < 0)
		{
			if (errno == EINTR)
			{
				for (int i = 0; i < o.concurrency; i++)
					if (children[i] > 0)
						kill(children[i], SIGTERM);
				continue;
			}
			break;				/* ECHILD: none left */
		}
		for (int i = 0; i < o.concurrency; i++)
			if (children[i] == pid)
				children[i] = 0;
		left--;
		if (WIFEXITED(ws) && WEXITSTATUS(ws) > status)
			status = WEXITSTATUS(ws);
		else if (WIFSIGNALED(ws) && status == 0)
			status = EXIT_RUNTIME;
	}
	free(children);
	rtcstats_storage_free(storage);
	return status;
}
