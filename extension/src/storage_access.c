/*
 * storage_access.c: the core storage client (storage.h) configured from the
 * rtcstats.* settings, one per backend, rebuilt when a setting changes.
 *
 * The database reads or deletes an object only if its URL lies under
 * rtcstats.storage_url (rtcstats_storage_key_from_url), so no rtcstats_dumps
 * row can make the server read or delete any other file or URL.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "rtcstats_ext.h"

static rtcstats_storage *storage = NULL;
static char *storage_signature = NULL;	/* settings the client was built with */
static bool storage_initialized = false;
static uint32 wait_fetch = 0;	/* "RtcstatsFetch" on 17+ */
static uint32 wait_delete = 0;	/* "RtcstatsDelete" on 17+ */

/* Polled by the core during transfers: a cancel or terminate stops a fetch. */
static bool
should_stop(void *arg)
{
	return QueryCancelPending || ProcDiePending;
}

/* The settings that shape the client, as one string to compare. */
static char *
current_signature(void)
{
	return psprintf("%s\n%s\n%s\n%s\n%s\n%d\n%d\n%d",
					rtcstats_storage_url ? rtcstats_storage_url : "",
					rtcstats_s3_endpoint ? rtcstats_s3_endpoint : "",
					rtcstats_s3_region ? rtcstats_s3_region : "",
					rtcstats_s3_access_key_id ? rtcstats_s3_access_key_id : "",
					rtcstats_s3_secret_access_key ? rtcstats_s3_secret_access_key : "",
					(int) rtcstats_s3_path_style, rtcstats_storage_timeout_ms,
					rtcstats_max_dump_kb);
}

/*
 * The default storage lives in the data directory; create it (owner only)
 * so that the embedded setup works without any step.  Other file:// roots
 * are the administrator's to create.
 */
void
rtcstats_ensure_default_dir(void)
{
	char	   *dir;

	if (DataDir == NULL || rtcstats_storage_url == NULL)
		return;
	dir = psprintf("%s/rtcstats_dumps", DataDir);
	if (strncmp(rtcstats_storage_url, "file://", 7) == 0 &&
		strcmp(rtcstats_storage_url + 7, dir) == 0)
	{
		if (mkdir(dir, S_IRWXU) != 0 && errno != EEXIST)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not create storage directory \"%s\": %m", dir)));
	}
	pfree(dir);
}

void
rtcstats_storage_close(void)
{
	rtcstats_storage_free(storage);
	storage = NULL;
	if (storage_signature)
		pfree(storage_signature);
	storage_signature = NULL;
}

/* The backend's storage client for the current settings. */
rtcstats_storage *
rtcstats_storage_open(void)
{
	char	   *sig = current_signature();
	rtcstats_storage_config cfg;
	rtcstats_error err;

	if (storage != NULL && strcmp(sig, storage_signature) == 0)
	{
		pfree(sig);
		return storage;
	}
	rtcstats_storage_close();
	if (!storage_initialized)
	{
		rtcstats_storage_global_init();
		storage_initialized = true;
	}
	rtcstats_ensure_default_dir();

	memset(&cfg, 0, sizeof(cfg));
	cfg.url = rtcstats_storage_url;
	cfg.s3_endpoint = rtcstats_s3_endpoint;
	cfg.s3_region = rtcstats_s3_region;
	cfg.s3_access_key_id = rtcstats_s3_access_key_id;
	cfg.s3_secret_access_key = rtcstats_s3_secret_access_key;
	cfg.s3_path_style = rtcstats_s3_path_style;
	cfg.timeout_ms = rtcstats_storage_timeout_ms;
	cfg.max_retries = -1;
	cfg.max_object_bytes = (size_t) rtcstats_max_dump_kb * 1024;
	cfg.should_stop = should_stop;

	rtcstats_error_clear(&err);
	storage = rtcstats_storage_new(&cfg, &err);
	if (storage == NULL)
	{
		pfree(sig);
		if (err.code == RTCSTATS_OK)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid storage configuration: %s", err.detail),
				 errhint("Check rtcstats.storage_url and the rtcstats.s3_* settings.")));
	}
	storage_signature = MemoryContextStrdup(TopMemoryContext, sig);
	pfree(sig);
	return storage;
}

/*
 * The object at blob_url, as stored (plain or gzip), as a bytea.  Refuses a
 * URL outside rtcstats.storage_url.  The core's malloc'd buffer is freed on
 * every path, errors included.
 */
bytea *
rtcstats_fetch_url(const char *blob_url)
{
	rtcstats_storage *s = rtcstats_storage_open();
	rtcstats_buffer buf = {0};
	rtcstats_error err;
	rtcstats_status rc;
	char	   *key = NULL;
	bytea	   *result;

	rtcstats_error_clear(&err);
	rc = rtcstats_storage_key_from_url(s, blob_url, &key, &err);
	if (rc != RTCSTATS_OK)
	{
		if (rc == RTCSTATS_ERR_PERMISSION)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("dump URL \"%s\" is outside the configured storage", blob_url),
					 errdetail("rtcstats.storage_url is \"%s\".", rtcstats_storage_url),
					 errhint("The server reads dumps only under rtcstats.storage_url.")));
		rtcstats_raise(psprintf("could not read dump URL \"%s\"", blob_url), &err);
	}

	pgstat_report_wait_start(rtcstats_wait_event("RtcstatsFetch", &wait_fetch));
	rc = rtcstats_storage_get(s, key, &buf, &err);
	pgstat_report_wait_end();
	free(key);
	if (rc != RTCSTATS_OK)
	{
		rtcstats_buffer_free(&buf);
		rtcstats_raise(psprintf("could not fetch dump \"%s\"", blob_url), &err);
	}
	if (buf.len > MaxAllocSize - VARHDRSZ)
	{
		rtcstats_buffer_free(&buf);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("dump \"%s\" is too large (%zu bytes)", blob_url, buf.len)));
	}
	PG_TRY();
	{
		result = (bytea *) palloc(buf.len + VARHDRSZ);
		SET_VARSIZE(result, buf.len + VARHDRSZ);
		if (buf.len > 0)
			memcpy(VARDATA(result), buf.data, buf.len);
	}
	PG_FINALLY();
	{
		rtcstats_buffer_free(&buf);
	}
	PG_END_TRY();
	return result;
}

/*
 * Deletes the object at blob_url (a purger's step, purge.c).  Returns NULL
 * when it is gone (a missing object counts as deleted: the core treats it
 * so), else why not, palloc'd: a URL outside rtcstats.storage_url is refused
 * and never touched.  Raises only for an unusable storage configuration or a
 * cancel.
 */
char *
rtcstats_delete_url(const char *blob_url)
{
	rtcstats_storage *s = rtcstats_storage_open();
	rtcstats_error err;
	rtcstats_status rc;
	char	   *key = NULL;

	rtcstats_error_clear(&err);
	rc = rtcstats_storage_key_from_url(s, blob_url, &key, &err);
	if (rc == RTCSTATS_ERR_PERMISSION)
		return psprintf("refused: the URL is outside the configured storage (rtcstats.storage_url is \"%s\")",
						rtcstats_storage_url);
	if (rc != RTCSTATS_OK)
		return psprintf("refused: %s (%s)", err.detail[0] ? err.detail : "bad URL",
						rtcstats_status_name(err.code));

	pgstat_report_wait_start(rtcstats_wait_event("RtcstatsDelete", &wait_delete));
	rc = rtcstats_storage_delete(s, key, &err);
	pgstat_report_wait_end();
	free(key);
	if (rc == RTCSTATS_ERR_CANCELLED)
		CHECK_FOR_INTERRUPTS();
	if (rc != RTCSTATS_OK)
		return psprintf("could not delete: %s (%s)", err.detail[0] ? err.detail : "storage error",
						rtcstats_status_name(err.code));
	return NULL;
}
