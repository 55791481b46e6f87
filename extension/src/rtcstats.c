/*
 * rtcstats.c: module entry point and the rtcstats.* settings.
 *
 * Every setting is defined in every process that loads the library, before
 * the preload check, so any backend knows them (and SHOW works).  Workers and
 * their shared memory exist only when the library is in
 * shared_preload_libraries; the SQL functions work either way.
 * docs/configuration.md documents each setting.
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/elog.h"
#include "utils/memutils.h"

#include "rtcstats_ext.h"

#ifdef PG_MODULE_MAGIC_EXT
PG_MODULE_MAGIC_EXT(.name = "rtcstats", .version = EXTVERSION);
#else
PG_MODULE_MAGIC;
#endif

char	   *rtcstats_storage_url = NULL;
char	   *rtcstats_s3_endpoint = NULL;
char	   *rtcstats_s3_region = NULL;
char	   *rtcstats_s3_access_key_id = NULL;
char	   *rtcstats_s3_secret_access_key = NULL;
bool		rtcstats_s3_path_style = false;
int			rtcstats_storage_timeout_ms = 60000;
int			rtcstats_max_dump_kb = 256 * 1024;
int			rtcstats_workers = 1;
char	   *rtcstats_database = NULL;
int			rtcstats_max_attempts = 5;
int			rtcstats_claim_timeout_s = 600;
int			rtcstats_retry_delay_s = 60;
int			rtcstats_naptime_ms = 10000;

void		_PG_init(void);

/*
 * rtcstats.s3_secret_access_key is refused from every source that stores it
 * where other roles can read it: ALTER DATABASE / ALTER ROLE ... SET keep it
 * in pg_db_role_setting and a function's SET clause in pg_proc.proconfig,
 * both readable by PUBLIC (ALTER ... SET and CREATE FUNCTION check a value
 * as PGC_S_TEST; a value stored before this check, or while the library was
 * not loaded, is refused with a WARNING at every connection and not used).
 * postgresql.conf, ALTER SYSTEM (postgresql.auto.conf) and a superuser's SET
 * are files only the server reads, or the session's own memory.  Clearing
 * the value is always allowed.
 */
static bool
check_secret_source(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	switch (source)
	{
		case PGC_S_GLOBAL:
		case PGC_S_DATABASE:
		case PGC_S_USER:
		case PGC_S_DATABASE_USER:
		case PGC_S_TEST:
			GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
			GUC_check_errmsg("rtcstats.s3_secret_access_key cannot be set per database, per role or per function");
			GUC_check_errdetail("ALTER DATABASE ... SET, ALTER ROLE ... SET and CREATE FUNCTION ... SET store the value in catalogs every role can read.");
			GUC_check_errhint("Set it in postgresql.conf or with ALTER SYSTEM, and reload.");
			return false;
		default:
			return true;
	}
}

/*
 * What SHOW, current_setting() and pg_settings print for the secret.
 * GUC_SUPERUSER_ONLY already refuses it to ordinary roles, but not to members
 * of pg_read_all_settings (monitoring roles): they see a mask.  Outside a
 * transaction no role can be checked, so the mask too.
 */
static const char *
show_secret(void)
{
	if (rtcstats_s3_secret_access_key == NULL || rtcstats_s3_secret_access_key[0] == '\0')
		return "";
	if (IsTransactionState() && superuser())
		return rtcstats_s3_secret_access_key;
	return "********";
}

/* "file://<data directory>/rtcstats_dumps": the embedded default storage */
static char *
default_storage_url(void)
{
	if (DataDir == NULL)
		return "file:///var/lib/postgresql/rtcstats_dumps";
	return MemoryContextStrdup(TopMemoryContext,
							   psprintf("file://%s/rtcstats_dumps", DataDir));
}

void
_PG_init(void)
{
	GucContext	worker_context;

	if (IsBinaryUpgrade)
		return;

	DefineCustomStringVariable("rtcstats.storage_url",
							   gettext_noop("Where dumps are stored: file:///dir or s3://bucket/prefix."),
							   gettext_noop("The server reads dump objects only under this URL."),
							   &rtcstats_storage_url, default_storage_url(),
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("rtcstats.s3_endpoint",
							   gettext_noop("S3 endpoint URL, e.g. http://127.0.0.1:9000; empty for AWS."),
							   NULL, &rtcstats_s3_endpoint, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("rtcstats.s3_region",
							   gettext_noop("S3 region used for request signing."),
							   NULL, &rtcstats_s3_region, "us-east-1",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("rtcstats.s3_access_key_id",
							   gettext_noop("S3 access key id."),
							   NULL, &rtcstats_s3_access_key_id, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("rtcstats.s3_secret_access_key",
							   gettext_noop("S3 secret access key."),
							   NULL, &rtcstats_s3_secret_access_key, "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   check_secret_source, NULL, show_secret);
	DefineCustomBoolVariable("rtcstats.s3_path_style",
							 gettext_noop("Address S3 objects as endpoint/bucket/key rather than bucket.endpoint/key."),
							 NULL, &rtcstats_s3_path_style, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("rtcstats.storage_timeout",
							gettext_noop("Time limit of one storage request."),
							NULL, &rtcstats_storage_timeout_ms, 60000, 100, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("rtcstats.max_dump_size",
							gettext_noop("Largest dump object the server fetches."),
							NULL, &rtcstats_max_dump_kb, 256 * 1024, 64, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	/*
	 * A PGC_POSTMASTER setting can only be created while preloading (later is
	 * FATAL).  Loaded on demand, the library has no workers: the two are then
	 * defined as sighup settings, so that a value in postgresql.conf is still
	 * accepted and shown rather than rejected under the reserved prefix.
	 */
	worker_context = process_shared_preload_libraries_in_progress ? PGC_POSTMASTER : PGC_SIGHUP;
	DefineCustomIntVariable("rtcstats.workers",
							gettext_noop("Number of background extraction workers."),
							gettext_noop("Workers start only when rtcstats is in shared_preload_libraries."),
							&rtcstats_workers, 1, 0, 64,
							worker_context, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("rtcstats.database",
							   gettext_noop("Database the background workers connect to."),
							   NULL, &rtcstats_database, "postgres",
							   worker_context, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("rtcstats.max_attempts",
							gettext_noop("Extraction attempts per dump before it is left alone."),
							NULL, &rtcstats_max_attempts, 5, 1, 1000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("rtcstats.claim_timeout",
							gettext_noop("Age after which a worker's claim on a dump is taken to be dead."),
							NULL, &rtcstats_claim_timeout_s, 600, 1, 7 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("rtcstats.retry_delay",
							gettext_noop("First backoff after a failed extraction attempt."),
							gettext_noop("Doubles per failure: up to 60 times this after data errors, 5 times after outages."),
							&rtcstats_retry_delay_s, 60, 1, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("rtcstats.naptime",
							gettext_noop("Longest time an idle worker sleeps before looking for dumps."),
							gettext_noop("New rows wake the workers at once; this is the fallback poll."),
							&rtcstats_naptime_ms, 10000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);

	MarkGUCPrefixReserved("rtcstats");

	if (!process_shared_preload_libraries_in_progress)
		return;					/* SQL functions work; workers need preloading */

	rtcstats_ensure_default_dir();
	rtcstats_shmem_install_hooks();
	rtcstats_register_workers();
}
