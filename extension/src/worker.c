/*
 * worker.c: the background extraction workers (rtcstats.workers of them,
 * connected to rtcstats.database; only when rtcstats is preloaded).
 *
 * Each loops: claim the oldest eligible dump in a short transaction
 * (rtcstats_claim_dump, the same SQL entry point rtcstats-worker uses), then
 * in a second transaction fetch and extract it before taking any snapshot,
 * and store features and analysis (rtcstats_store_features).  A failure is
 * caught per dump, logged, and recorded in a transaction of its own
 * (rtcstats_record_failure: backoff, attempts), so one bad dump never stops
 * the others; an uncaught ERROR would make the worker FATAL and restart on
 * the same dump.  With no dump to extract, a worker purges the stored
 * objects of deleted dumps (purge.c), then sleeps on its latch, which a
 * committed insert sets (shmem.c), or rtcstats.naptime passes.  SIGTERM and SIGHUP use
 * Postgres' own handlers (worker_spi); every round reaches
 * CHECK_FOR_INTERRUPTS, so shutdown and DROP DATABASE ... WITH (FORCE) are
 * prompt.  A memory context is reset per dump.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "rtcstats_ext.h"

/* Seconds before the postmaster restarts a worker that exited with an error
 * (e.g. rtcstats.database does not exist yet). */
#define WORKER_RESTART_S 5

/* How often a worker looks for the extension while it is not created. */
#define MISSING_EXTENSION_RETRY_MS 2000

static uint32 wait_idle = 0;	/* "RtcstatsIdle" on 17+ */

/* Registers the workers; from _PG_init while preloading. */
void
rtcstats_register_workers(void)
{
	for (int i = 0; i < rtcstats_workers; i++)
	{
		BackgroundWorker w;

		memset(&w, 0, sizeof(w));
		w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		w.bgw_start_time = BgWorkerStart_RecoveryFinished;
		w.bgw_restart_time = WORKER_RESTART_S;
		snprintf(w.bgw_library_name, BGW_MAXLEN, "rtcstats");
		snprintf(w.bgw_function_name, BGW_MAXLEN, "rtcstats_worker_main");
		snprintf(w.bgw_name, BGW_MAXLEN, "rtcstats worker %d", i + 1);
		snprintf(w.bgw_type, BGW_MAXLEN, "rtcstats worker");
		w.bgw_main_arg = Int32GetDatum(i);
		w.bgw_notify_pid = 0;
		RegisterBackgroundWorker(&w);
	}
}

/* Re-reads the configuration after SIGHUP. */
static void
reload_if_asked(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/*
 * Records the failure of dump id (an outage or a data error, by sqlerrcode)
 * in a transaction of its own; never raises.
 */
static void
record_failure_safely(Datum id, const char *message, int sqlerrcode, MemoryContext cxt)
{
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		rtcstats_record_failure(id, message, sqlerrcode);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* the claim times out (rtcstats.claim_timeout) and the dump is retried */
		HOLD_INTERRUPTS();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}

/*
 * Claims a dump in a short transaction: false when there is none, or when
 * the extension is not in the database (logged once until it appears).
 */
static bool
claim(MemoryContext dump_cxt, const char *worker_name, bool *warned_missing,
	  Datum *id, char **url)
{
	bool		claimed;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!OidIsValid(get_extension_oid("rtcstats", true)))
	{
		if (!*warned_missing)
			ereport(LOG,
					(errmsg("rtcstats worker: extension \"rtcstats\" is not installed in database \"%s\", waiting",
							rtcstats_database),
					 errhint("Run CREATE EXTENSION rtcstats in that database, or set rtcstats.database.")));
		*warned_missing = true;
		CommitTransactionCommand();
		return false;
	}
	if (*warned_missing)
		ereport(LOG, (errmsg("rtcstats worker: extension \"rtcstats\" found, starting")));
	*warned_missing = false;
	pgstat_report_activity(STATE_RUNNING, "rtcstats: claiming a dump");
	PushActiveSnapshot(GetTransactionSnapshot());
	claimed = rtcstats_claim_one(dump_cxt, worker_name, id, url);
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	return claimed;
}

/*
 * One round: claim a dump and extract it.  Returns false when there was
 * nothing to do (no eligible dump, or no extension in the database).
 */
static bool
process_one(MemoryContext dump_cxt, const char *worker_name, bool *warned_missing)
{
	Datum		id = (Datum) 0;
	char	   *url = NULL;
	volatile bool claimed;
	char	   *id_text;

	MemoryContextReset(dump_cxt);
	MemoryContextSwitchTo(dump_cxt);

	/* 1. claim, in a short transaction */
	PG_TRY();
	{
		claimed = claim(dump_cxt, worker_name, warned_missing, &id, &url);
	}
	PG_CATCH();
	{
		/* e.g. a worker API of another version: log, sleep, try again */
		HOLD_INTERRUPTS();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		RESUME_INTERRUPTS();
		claimed = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(dump_cxt);
	if (!claimed)
		return false;
	id_text = DatumGetCString(DirectFunctionCall1(uuid_out, id));

	/* 2. fetch and extract (no snapshot yet), then store, in one transaction */
	PG_TRY();
	{
		rtcstats_extracted ex;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		MemoryContextSwitchTo(dump_cxt);
		pgstat_report_activity(STATE_RUNNING, psprintf("rtcstats: extracting dump %s", id_text));
		rtcstats_fetch_extract(id, url, &ex);
		CHECK_FOR_INTERRUPTS();
		PushActiveSnapshot(GetTransactionSnapshot());
		rtcstats_store(id, &ex);
		PopActiveSnapshot();
		CommitTransactionCommand();
		MemoryContextSwitchTo(dump_cxt);
		pgstat_report_stat(false);
	}
	PG_CATCH();
	{
		int			sqlerrcode;
		char	   *message = rtcstats_worker_recover(dump_cxt, &sqlerrcode);

		record_failure_safely(id, message, sqlerrcode, dump_cxt);
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	return true;
}

void
rtcstats_worker_main(Datum arg)
{
	int			slot = DatumGetInt32(arg);
	MemoryContext dump_cxt;
	char	   *worker_name;
	bool		warned_missing = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(rtcstats_database, NULL, 0);
	/*
	 * Names resolve in pg_catalog only, whatever search_path the database's
	 * owner gave it (ALTER DATABASE ... SET search_path = public, pg_catalog
	 * would otherwise let an object planted in public, e.g. an operator =
	 * on uuid, run as this superuser session).  The statements below are
	 * qualified too, and every function they call pins its own path
	 * (90-privileges.sql).  A session setting outranks the database's and the
	 * file's, so a reload keeps it.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION);

	SetConfigOption("application_name", MyBgworkerEntry->bgw_name, PGC_USERSET, PGC_S_SESSION);
	pgstat_report_appname(MyBgworkerEntry->bgw_name);
	rtcstats_shmem_register_self(slot);
	worker_name = MemoryContextStrdup(TopMemoryContext,
									  psprintf("%s (pid %d)", MyBgworkerEntry->bgw_name, MyProcPid));
	dump_cxt = AllocSetContextCreate(TopMemoryContext, "rtcstats worker dump",
									 ALLOCSET_DEFAULT_SIZES);
	ereport(LOG, (errmsg("%s started on database \"%s\"", worker_name, rtcstats_database)));

	for (;;)
	{
		bool		busy;

		CHECK_FOR_INTERRUPTS();
		reload_if_asked();
		busy = process_one(dump_cxt, worker_name, &warned_missing);
		/* idle: purge the objects of deleted dumps; a full batch means more */
		if (!busy && !warned_missing)
		{
			MemoryContextReset(dump_cxt);
			MemoryContextSwitchTo(dump_cxt);
			busy = rtcstats_purge_batch(dump_cxt, worker_name) == RTCSTATS_PURGE_BATCH;
		}
		MemoryContextSwitchTo(TopMemoryContext);
		if (!busy)
		{
			/* CREATE EXTENSION wakes nobody: look again soon while it is missing */
			long		timeout = warned_missing ?
				Min(rtcstats_naptime_ms, MISSING_EXTENSION_RETRY_MS) : rtcstats_naptime_ms;

			pgstat_report_activity(STATE_IDLE, NULL);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 timeout, rtcstats_wait_event("RtcstatsIdle", &wait_idle));
			ResetLatch(MyLatch);
		}
	}
}
