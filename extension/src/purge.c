/*
 * purge.c: an idle background worker deletes the stored objects of deleted
 * dumps (40-retention.sql: deleting rows queues their blob_url in
 * rtcstats_deleted_objects, because a deleted S3 object cannot be rolled
 * back with the transaction).  The same SQL entry points as rtcstats-worker:
 *
 *   1. rtcstats_claim_deleted_objects(n), in a short transaction of its own;
 *   2. in a second transaction: delete each object from storage (no snapshot
 *      held across the I/O), then report every one to
 *      rtcstats_object_deleted(url [, error]).
 *
 * Only URLs under rtcstats.storage_url are deleted, exactly as fetching is
 * restricted (rtcstats_delete_url); any other is refused, logged and
 * reported with its error, so it stays in the queue for an administrator.
 * A failed deletion is logged with the URL and reported: the SQL side
 * retries it after a backoff.  If the reports cannot be written, the claims
 * expire (rtcstats.claim_timeout) and the objects are deleted again, which
 * is harmless: a missing object counts as deleted.  Messages are LOG, not
 * WARNING: a worker has no client, and LOG reaches the server log under any
 * log_min_messages short of fatal.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "rtcstats_ext.h"

/*
 * After the claim itself fails (e.g. an extension version without
 * 40-retention.sql, until ALTER EXTENSION ... UPDATE), purging pauses this
 * long rather than logging the same error every idle round.
 */
#define PURGE_PAUSE_AFTER_ERROR_MS (5 * 60 * 1000)

static TimestampTz purge_paused_until = 0;

/* Logs the error being handled and leaves every transaction; never raises. */
static void
log_and_abort(void)
{
	HOLD_INTERRUPTS();
	EmitErrorReport();
	FlushErrorState();
	AbortOutOfAnyTransaction();
	RESUME_INTERRUPTS();
}

/* Claims up to RTCSTATS_PURGE_BATCH objects; their URLs, in cxt, in *urls. */
static int
claim_objects(MemoryContext cxt, char ***urls)
{
	const char *schema = rtcstats_ext_schema();
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(RTCSTATS_PURGE_BATCH)};
	int			ret;
	int			n = 0;

	*urls = NULL;
	SPI_connect();
	ret = SPI_execute_with_args(psprintf("SELECT blob_url FROM %s.rtcstats_claim_deleted_objects($1)", schema),
								1, types, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "rtcstats_claim_deleted_objects failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		*urls = palloc(sizeof(char *) * SPI_processed);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

			/* blob_url is the primary key: never NULL */
			if (!isnull)
				(*urls)[n++] = TextDatumGetCString(d);
		}
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return n;
}

/* rtcstats_object_deleted(url, error) for each object of the batch. */
static void
report_objects(char **urls, char **errors, int n)
{
	const char *schema = rtcstats_ext_schema();
	char	   *sql = psprintf("SELECT %s.rtcstats_object_deleted($1, $2)", schema);
	Oid			types[2] = {TEXTOID, TEXTOID};

	SPI_connect();
	for (int i = 0; i < n; i++)
	{
		Datum		values[2];
		char		nulls[2] = {' ', errors[i] ? ' ' : 'n'};
		int			ret;

		values[0] = CStringGetTextDatum(urls[i]);
		values[1] = errors[i] ? CStringGetTextDatum(errors[i]) : (Datum) 0;
		ret = SPI_execute_with_args(sql, 2, types, values, nulls, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "rtcstats_object_deleted failed: %s", SPI_result_code_string(ret));
	}
	SPI_finish();
}

/*
 * report_objects in a transaction of its own, after a failure; never raises
 * (if it cannot, the claims expire and the objects are taken again).
 */
static void
report_safely(char **urls, char **errors, int n, MemoryContext cxt)
{
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		report_objects(urls, errors, n);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		log_and_abort();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}

/*
 * One batch: claim, delete, report.  Returns how many objects were claimed
 * (RTCSTATS_PURGE_BATCH: more may be waiting).  Never raises: every error
 * is logged and left to the queue's retries.
 */
int
rtcstats_purge_batch(MemoryContext cxt, const char *worker_name)
{
	char	  **urls = NULL;
	char	  **errors;
	volatile int n = 0;
	volatile int failed = 0;
	volatile int done = 0;

	if (purge_paused_until != 0 && GetCurrentTimestamp() < purge_paused_until)
		return 0;
	purge_paused_until = 0;

	/* 1. claim, in a short transaction */
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		n = claim_objects(cxt, &urls);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		log_and_abort();
		ereport(LOG,
				(errmsg("%s: could not claim objects of deleted dumps; purging pauses for %d minutes",
						worker_name, PURGE_PAUSE_AFTER_ERROR_MS / 60000)));
		purge_paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 PURGE_PAUSE_AFTER_ERROR_MS);
		n = 0;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	if (n == 0)
		return 0;
	errors = palloc0(sizeof(char *) * n);

	/* 2. delete each (no snapshot during the I/O), then report the batch */
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		MemoryContextSwitchTo(cxt);
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("rtcstats: purging %d objects of deleted dumps", n));
		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			errors[i] = rtcstats_delete_url(urls[i]);
			if (errors[i] != NULL)
			{
				failed++;
				ereport(LOG,
						(errmsg("%s: stored object \"%s\" of a deleted dump not deleted: %s",
								worker_name, urls[i], errors[i]),
						 errhint("It stays in rtcstats_deleted_objects and is retried after a backoff.")));
			}
			else
				ereport(DEBUG1, (errmsg("%s: deleted stored object \"%s\"", worker_name, urls[i])));
			done = i + 1;
		}
		PushActiveSnapshot(GetTransactionSnapshot());
		report_objects(urls, errors, n);
		PopActiveSnapshot();
		CommitTransactionCommand();
		MemoryContextSwitchTo(cxt);
		ereport(LOG,
				(errmsg("%s: purged %d of %d stored objects of deleted dumps",
						worker_name, n - failed, n)));
	}
	PG_CATCH();
	{
		/*
		 * e.g. an unusable storage configuration: the objects not reached
		 * get its message (and the backoff), those done their own result.
		 */
		char	   *message = rtcstats_worker_recover(cxt, NULL);

		for (int i = done; i < n; i++)
		{
			errors[i] = message;
			ereport(LOG,
					(errmsg("%s: stored object \"%s\" of a deleted dump not deleted: %s",
							worker_name, urls[i], message)));
		}
		report_safely(urls, errors, n, cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return n;
}
