/*
 * health.c: storage and database reachability for GET /healthcheck, and
 * whether this proxy can take sessions for GET /readyz.
 *
 * Two questions, two endpoints: /healthcheck says whether every dependency
 * works (storage, database, the rights the INSERT needs): for monitoring and
 * alerts.  /readyz says whether this proxy accepts and spools sessions: for a
 * load balancer, which must keep sending traffic while storage or the
 * database is down, since the spool exists to absorb exactly that outage.
 *
 * Checking either can take seconds (a dead S3 endpoint, a firewalled
 * Postgres), which the event loop must never wait for: a thread checks every
 * health-interval seconds and the loop answers from the last result.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "rtcstats/storage.h"

#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "spool.h"

static pthread_mutex_t hlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hcond = PTHREAD_COND_INITIALIZER;
static pthread_t hthread;
static bool hstarted;
static bool hstop;

static bool storage_ok;
static bool spool_ok = true;
static char spool_error[256];
static char storage_error[256];
static int	db_state = -1;		/* -1 not configured, 0 unreachable, 1 reachable */
static char db_error[256];
static int64_t checked_at;

/* Less free space than this (or no free inode) is a full filesystem. */
#define HEALTH_MIN_FREE_BYTES (1024 * 1024)

/*
 * "" if dir's filesystem has room for another dump's files, else why not
 * (ENOSPC before the pipeline meets it: a read-only directory is caught by
 * the storage check, a full one only here).
 */
static void
check_space(const char *what, const char *dir, char *out, size_t cap)
{
	struct statvfs sv;

	*out = '\0';
	if (statvfs(dir, &sv) != 0)
	{
		snprintf(out, cap, "%s %.200s: %s", what, dir, strerror(errno));
		return;
	}
	if ((unsigned long long) sv.f_bavail * sv.f_frsize < HEALTH_MIN_FREE_BYTES ||
		(sv.f_files > 0 && sv.f_favail == 0))
		snprintf(out, cap, "%s %.200s is full (%s: %llu bytes, %llu inodes free)", what, dir,
				 strerror(ENOSPC), (unsigned long long) sv.f_bavail * sv.f_frsize,
				 (unsigned long long) sv.f_favail);
}

static bool
stop_requested(void *arg)
{
	bool		s;

	pthread_mutex_lock(&hlock);
	s = hstop;
	pthread_mutex_unlock(&hlock);
	return s;
}

/*
 * A message for the JSON answer (which escapes it): libpq's span lines, so
 * control bytes become spaces and trailing ones go.  Logging quotes it again.
 */
static void
one_line(char *dst, size_t cap, const char *src)
{
	size_t		n = 0;

	for (; *src && n + 1 < cap; src++)
		dst[n++] = (unsigned char) *src < 0x20 ? ' ' : *src;
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* log_warn("event=health KEY=STATE error=...") with the message quoted. */
static void
log_health(const char *what, const char *message)
{
	char		q[512];

	proxy_log_quote(q, sizeof(q), message);
	log_warn("event=health %s error=\"%s\"", what, q);
}

static void
check_once(rtcstats_storage *st, PGconn **conn)
{
	rtcstats_error err;
	bool		sok;
	char		serr[256] = "";
	bool		pok;
	char		perr[256] = "";
	int			dstate = -1;
	char		derr[256] = "";

	rtcstats_error_clear(&err);
	sok = st && rtcstats_storage_check(st, &err) == RTCSTATS_OK;
	if (!sok)
		one_line(serr, sizeof(serr), st ? err.detail : "storage not configured");
	/* A full storage directory or spool fails every dump as a read-only one would. */
	if (sok && strncmp(proxy_cfg.storage_url, "file://", 7) == 0)
	{
		check_space("storage", proxy_cfg.storage_url + 7, serr, sizeof(serr));
		sok = *serr == '\0';
	}
	/* The spool is ours: a full one stops sessions, so it decides readiness too. */
	check_space("spool-dir", proxy_cfg.spool_dir, perr, sizeof(perr));
	pok = *perr == '\0';
	if (sok && !pok)
	{
		memcpy(serr, perr, sizeof(serr));
		sok = false;
	}

	if (*proxy_cfg.dsn)
	{
		PGresult   *res = NULL;
		char		table[192];

		if (!*conn || PQstatus(*conn) != CONNECTION_OK)
		{
			PQfinish(*conn);
			*conn = PQconnectdb(proxy_cfg.dsn);
		}
		/* Reachable is not enough: the rows go to rtcstats_dumps (the uploader's). */
		if (PQstatus(*conn) == CONNECTION_OK && proxy_db_table(*conn, table, sizeof(table)))
		{
			const char *v[1] = {table};

			/*
			 * The table, and the rights the uploader's INSERT ... ON CONFLICT
			 * (id) needs: without them every insert fails while the proxy
			 * would look healthy.
			 */
			res = PQexecParams(*conn,
							   "SELECT t IS NOT NULL, t IS NOT NULL AND "
							   "pg_catalog.has_column_privilege(t, 'id', 'SELECT') AND "
							   "(SELECT pg_catalog.bool_and(pg_catalog.has_column_privilege(t, c, 'INSERT')) "
							   " FROM pg_catalog.unnest('{id,session_start,session_end,blob_url,metadata,"
							   "client_id,rtcstats_user,rtcstats_conference,rtcstats_session,"
							   "host_identifier,size_bytes}'::pg_catalog.text[]) AS c) "
							   "FROM (SELECT pg_catalog.to_regclass($1) AS t) AS s",
							   1, NULL, v, NULL, NULL, 0);
		}
		dstate = res && PQresultStatus(res) == PGRES_TUPLES_OK;
		if (dstate && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		{
			dstate = 0;
			snprintf(derr, sizeof(derr),
					 "table rtcstats_dumps not found (CREATE EXTENSION rtcstats in this database)");
		}
		else if (dstate && strcmp(PQgetvalue(res, 0, 1), "t") != 0)
		{
			dstate = 0;
			snprintf(derr, sizeof(derr),
					 "this login may not insert into %.120s (GRANT rtcstats_ingest TO the proxy's login)",
					 table);
		}
		else if (!dstate)
		{
			one_line(derr, sizeof(derr), PQerrorMessage(*conn));
			PQfinish(*conn);
			*conn = NULL;
		}
		PQclear(res);
	}

	pthread_mutex_lock(&hlock);
	if (sok != storage_ok || dstate != db_state)
	{
		if (!sok)
			log_health("storage=unreachable", serr);
		if (dstate == 0)
			log_health("database=unreachable", derr);
		if (sok && dstate != 0)
			log_info("event=health status=ok");
	}
	if (pok != spool_ok)
	{
		if (pok)
			log_info("event=health spool=ok");
		else
			log_health("spool=full", perr);
	}
	storage_ok = sok;
	memcpy(storage_error, serr, sizeof(serr));
	spool_ok = pok;
	memcpy(spool_error, perr, sizeof(perr));
	db_state = dstate;
	memcpy(db_error, derr, sizeof(derr));
	checked_at = proxy_now_ms();
	pthread_mutex_unlock(&hlock);
}

static rtcstats_storage *
health_storage(void)
{
	rtcstats_storage_config sc = {0};
	rtcstats_error err;

	sc.url = proxy_cfg.storage_url;
	sc.s3_endpoint = proxy_cfg.s3_endpoint;
	sc.s3_region = proxy_cfg.s3_region;
	sc.s3_access_key_id = proxy_cfg.s3_access_key_id;
	sc.s3_secret_access_key = proxy_cfg.s3_secret_access_key;
	sc.s3_path_style = proxy_cfg.s3_path_style;
	sc.max_retries = 0;
	sc.connect_timeout_ms = 2000;
	sc.timeout_ms = 5000;
	sc.should_stop = stop_requested;
	return rtcstats_storage_new(&sc, &err);
}

static void *
health_main(void *arg)
{
	rtcstats_storage *st = arg;
	PGconn	   *conn = NULL;

	pthread_mutex_lock(&hlock);
	while (!hstop)
	{
		struct timespec ts;

		pthread_mutex_unlock(&hlock);
		check_once(st, &conn);
		pthread_mutex_lock(&hlock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += proxy_cfg.health_interval;
		while (!hstop && pthread_cond_timedwait(&hcond, &hlock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&hlock);
	PQfinish(conn);
	rtcstats_storage_free(st);
	return NULL;
}

int
proxy_health_start(void)
{
	rtcstats_storage *st = health_storage();
	PGconn	   *conn = NULL;

	if (!st)
		return -1;
	/* A first result before the loop starts, so /healthcheck never guesses. */
	check_once(st, &conn);
	PQfinish(conn);
	if (pthread_create(&hthread, NULL, health_main, st) != 0)
	{
		rtcstats_storage_free(st);
		return -1;
	}
	hstarted = true;
	return 0;
}

void
proxy_health_stop(void)
{
	if (!hstarted)
		return;
	pthread_mutex_lock(&hlock);
	hstop = true;
	pthread_cond_broadcast(&hcond);
	pthread_mutex_unlock(&hlock);
	pthread_join(hthread, NULL);
	hstarted = false;
}

/*
 * Ends a report taken under hlock: adds the queue depth, releases the lock,
 * writes o as one JSON line into buf and frees it; returns status.
 */
static int
answer(struct json_object *o, char *buf, size_t cap, int status)
{
	json_object_object_add(o, "queueDepth",
						   json_object_new_int64(atomic_load(&proxy_stats.queue_depth)));
	pthread_mutex_unlock(&hlock);
	snprintf(buf, cap, "%s\n",
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return status;
}

int
proxy_health_report(char *buf, size_t cap)
{
	struct json_object *o = json_object_new_object(),
			   *s = json_object_new_object(),
			   *d = json_object_new_object();
	int			status;

	pthread_mutex_lock(&hlock);
	status = (storage_ok && db_state != 0) ? 200 : 503;
	json_object_object_add(o, "status", json_object_new_string(status == 200 ? "ok" : "unavailable"));
	json_object_object_add(s, "reachable", json_object_new_boolean(storage_ok));
	if (!storage_ok)
		json_object_object_add(s, "error", json_object_new_string(storage_error));
	json_object_object_add(o, "storage", s);
	json_object_object_add(d, "configured", json_object_new_boolean(db_state >= 0));
	if (db_state >= 0)
		json_object_object_add(d, "reachable", json_object_new_boolean(db_state == 1));
	if (db_state == 0)
		json_object_object_add(d, "error", json_object_new_string(db_error));
	json_object_object_add(o, "database", d);
	json_object_object_add(o, "checkedAt", json_object_new_int64(checked_at));
	return answer(o, buf, cap, status);
}

int
proxy_ready_report(char *buf, size_t cap)
{
	struct json_object *o = json_object_new_object();
	int			status;
	const char *why = NULL;

	pthread_mutex_lock(&hlock);
	if (proxy_stopping)
		why = "shutting down";
	else if (!spool_ok)
		why = spool_error;
	status = why ? 503 : 200;
	json_object_object_add(o, "status", json_object_new_string(why ? "not ready" : "ready"));
	if (why)
		json_object_object_add(o, "error", json_object_new_string(why));
	return answer(o, buf, cap, status);
}
