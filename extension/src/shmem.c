/*
 * shmem.c: the workers' latches in shared memory, so that a new dump row
 * wakes them at once instead of waiting for the next poll
 * (rtcstats.naptime).  A background worker cannot LISTEN, so the AFTER
 * INSERT trigger on rtcstats_dumps (extension/sql/60-wakeup.sql) calls
 * rtcstats_wake_trigger(), which arms a transaction callback; at commit,
 * when the rows are visible, it sets every registered worker's latch.  The
 * trigger also queues a NOTIFY on channel "rtcstats_dumps" for
 * rtcstats-worker, which can LISTEN.
 *
 * PG15: shared memory is requested in shmem_request_hook (anywhere else is
 * FATAL) and created under AddinShmemInitLock in shmem_startup_hook.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"

#include "rtcstats_ext.h"

/* The highest rtcstats.workers allows (rtcstats.c). */
#define RTCSTATS_MAX_WORKERS 64

typedef struct rtcstats_shared
{
	slock_t		mutex;
	int			procno[RTCSTATS_MAX_WORKERS];	/* pgprocno of each worker, -1 if none */
} rtcstats_shared;

static rtcstats_shared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool wake_pending = false;
static bool xact_callback_registered = false;

PG_FUNCTION_INFO_V1(rtcstats_wake_trigger);

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(rtcstats_shared)));
}

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("rtcstats", sizeof(rtcstats_shared), &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		for (int i = 0; i < RTCSTATS_MAX_WORKERS; i++)
			shared->procno[i] = -1;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* From _PG_init, only when preloaded. */
void
rtcstats_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

static void
unregister_at_exit(int code, Datum arg)
{
	rtcstats_shmem_unregister_self(DatumGetInt32(arg));
}

/* A worker publishes its latch in slot; it is withdrawn when it exits. */
void
rtcstats_shmem_register_self(int slot)
{
	if (shared == NULL || slot < 0 || slot >= RTCSTATS_MAX_WORKERS)
		return;
	SpinLockAcquire(&shared->mutex);
	shared->procno[slot] = MyProc->pgprocno;
	SpinLockRelease(&shared->mutex);
	on_shmem_exit(unregister_at_exit, Int32GetDatum(slot));
}

void
rtcstats_shmem_unregister_self(int slot)
{
	if (shared == NULL || slot < 0 || slot >= RTCSTATS_MAX_WORKERS)
		return;
	SpinLockAcquire(&shared->mutex);
	if (shared->procno[slot] == MyProc->pgprocno)
		shared->procno[slot] = -1;
	SpinLockRelease(&shared->mutex);
}

/* Sets the latch of every running worker; a no-op when not preloaded. */
void
rtcstats_wake_workers(void)
{
	int			procnos[RTCSTATS_MAX_WORKERS];

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	memcpy(procnos, shared->procno, sizeof(procnos));
	SpinLockRelease(&shared->mutex);
	for (int i = 0; i < RTCSTATS_MAX_WORKERS; i++)
		if (procnos[i] >= 0)
			SetLatch(&ProcGlobal->allProcs[procnos[i]].procLatch);
}

/* At commit the new rows are visible: wake the workers; at abort, forget. */
static void
wake_at_commit(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_pending)
				rtcstats_wake_workers();
			wake_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			wake_pending = false;
			break;
		default:
			break;
	}
}

/*
 * _rtcstats_wake_workers(): AFTER INSERT ... FOR EACH STATEMENT trigger on
 * rtcstats_dumps.
 */
Datum
rtcstats_wake_trigger(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("_rtcstats_wake_workers() must be called as a trigger")));
	if (!xact_callback_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		xact_callback_registered = true;
	}
	wake_pending = true;
	Async_Notify("rtcstats_dumps", "");
	return PointerGetDatum(NULL);
}
