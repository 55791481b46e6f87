/*
 * health.c: storage and database reachability for GET /healthcheck.
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

static void
check_once(rtcstats_storage *st, PGconn **conn)
{
	rtcstats_error err;
	bool		sok;
	char		serr[256] = "";
	int			dstate = -1;
	char		derr[256] = "";

	rtcstats_error_clear(&err);
	sok = st && rtcstats_storage_check(st, &err) == RTCSTATS_OK;
	if (!sok)
		proxy_log_quote(serr, sizeof(serr), st ? err.detail : "storage not configured");
	/* A full storage directory or spool fails every dump as a read-only one would. */
	if (sok && strncmp(proxy_cfg.storage_url, "file://", 7) == 0)
	{
		check_space("storage", proxy_cfg.storage_url + 7, serr, sizeof(serr));
		sok = *serr == '\0';
	}
	if (sok)
	{
		check_space("spool-dir", proxy_cfg.spool_dir, serr, sizeof(serr));
		sok = *serr == '\0';
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

			res = PQexecParams(*conn, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, NULL, v,
							   NULL, NULL, 0);
		}
		dstate = res && PQresultStatus(res) == PGRES_TUPLES_OK;
		if (dstate && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		{
			dstate = 0;
			snprintf(derr, sizeof(derr),
					 "table rtcstats_dumps not found (CREATE EXTENSION rtcstats in this database)");
		}
		else if (!dstate)
		{
			proxy_log_quote(derr, sizeof(derr), PQerrorMessage(*conn));
			PQfinish(*conn);
			*conn = NULL;
		}
		PQclear(res);
	}

	pthread_mutex_lock(&hlock);
	if (sok != storage_ok || dstate != db_state)
	{
		if (!sok)
			log_warn("event=health storage=unreachable error=\"%s\"", serr);
		if (dstate == 0)
			log_warn("event=health database=unreachable error=\"%s\"", derr);
		if (sok && dstate != 0)
			log_info("event=health status=ok");
	}
	storage_ok = sok;
	memcpy(storage_error, serr, sizeof(serr));
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
	json_object_object_add(o, "queueDepth",
						   json_object_new_int64(atomic_load(&proxy_stats.queue_depth)));
	pthread_mutex_unlock(&hlock);
	snprintf(buf, cap, "%s\n",
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return status;
}
