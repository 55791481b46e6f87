/*
 * functions.c: the SQL functions over dumps (extension/sql/50-functions.sql):
 * features and analysis of bytes at hand, raw events as rows, fetching a
 * stored dump, and extraction of stored dumps (synchronous, or a batch of
 * pending ones for pg_cron).
 */
#include "postgres.h"

/* fmgrprotos.h declares an SQL function json_object; json-c names its type so */
#define json_object rtcstats_fmgr_json_object

#include <math.h>
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#undef json_object
#include <json-c/json.h>

#include "rtcstats/reader.h"
#include "compat.h"
#include "rtcstats_ext.h"

PG_FUNCTION_INFO_V1(rtcstats_features);
PG_FUNCTION_INFO_V1(rtcstats_analyze);
PG_FUNCTION_INFO_V1(rtcstats_dump_events);
PG_FUNCTION_INFO_V1(rtcstats_dump_events_by_id);
PG_FUNCTION_INFO_V1(rtcstats_fetch_dump);
PG_FUNCTION_INFO_V1(rtcstats_extract_features);
PG_FUNCTION_INFO_V1(rtcstats_extract_pending);

/* Bytes handed to the reader at a time: a cancel is checked between. */
#define FEED_CHUNK (256 * 1024)

/* rtcstats_features(dump bytea) -> jsonb: the CLI's JSON for these bytes */
Datum
rtcstats_features(PG_FUNCTION_ARGS)
{
	bytea	   *dump = PG_GETARG_BYTEA_PP(0);
	rtcstats_extracted ex;

	rtcstats_extract_bytes("invalid dump", VARDATA_ANY(dump), VARSIZE_ANY_EXHDR(dump),
						   false, &ex);
	PG_RETURN_DATUM(ex.features);
}

/* rtcstats_analyze(dump bytea) -> jsonb {timeseries, observations, scores, summary} */
Datum
rtcstats_analyze(PG_FUNCTION_ARGS)
{
	bytea	   *dump = PG_GETARG_BYTEA_PP(0);
	rtcstats_extracted ex;

	rtcstats_extract_bytes("invalid dump", VARDATA_ANY(dump), VARSIZE_ANY_EXHDR(dump),
						   true, &ex);
	PG_RETURN_DATUM(ex.analysis);
}

/* ---- rtcstats_dump_events ---- */

typedef struct events_state
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext row_cxt;		/* reset after each row */
	ErrorData  *error;			/* an error raised while making a row */
} events_state;

/* ms since the Unix epoch as timestamptz; NULL (false) when out of range */
static bool
ms_to_timestamptz(double ms, TimestampTz *out)
{
	double		us;

	if (!isfinite(ms))
		return false;
	us = ms * 1000.0 -
		(double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;
	if (us < (double) MIN_TIMESTAMP || us >= (double) END_TIMESTAMP)
		return false;
	*out = (TimestampTz) us;
	return true;
}

/* One event as one row; raises only inside PG_TRY (see on_event). */
static void
put_event_row(events_state *st, const rtcstats_event *ev)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	TimestampTz ts;

	values[0] = ev->pc ? CStringGetTextDatum(ev->pc) : (Datum) 0;
	nulls[0] = ev->pc == NULL;
	nulls[1] = !ms_to_timestamptz(ev->timestamp, &ts);
	values[1] = nulls[1] ? (Datum) 0 : TimestampTzGetDatum(ts);
	values[2] = CStringGetTextDatum(ev->method ? ev->method : "");
	/* a JSON null value is SQL NULL; an empty extra array is NULL too */
	nulls[3] = ev->value == NULL;
	values[3] = nulls[3] ? (Datum) 0 : rtcstats_json_to_jsonb(ev->value);
	nulls[4] = ev->extra == NULL || json_object_array_length(ev->extra) == 0;
	values[4] = nulls[4] ? (Datum) 0 : rtcstats_json_to_jsonb(ev->extra);
	tuplestore_putvalues(st->store, st->desc, values, nulls);
}

/*
 * Reader callback.  A Postgres error must not longjmp through the reader's
 * frames (its state would be left half-updated): it is caught here, kept,
 * and re-raised once the reader has been freed.
 */
static rtcstats_status
on_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	events_state *st = arg;
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);
	volatile bool failed = false;

	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
		put_event_row(st, ev);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		st->error = CopyErrorData();
		FlushErrorState();
		failed = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->row_cxt);
	if (failed)
		return rtcstats_fail(err, RTCSTATS_ERR_CANCELLED, 0, "stopped by the server");
	return RTCSTATS_OK;
}

/* Streams the events of the dump bytes into the function's tuplestore. */
static void
events_of_bytes(FunctionCallInfo fcinfo, const char *what, const char *data, size_t len)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	rtcstats_reader_callbacks cb = {NULL, on_event};
	rtcstats_reader *r;
	events_state st;
	rtcstats_error err;
	rtcstats_status rc = RTCSTATS_OK;
	bool		stopped = false;

	rtcstats_init_materialized_srf(fcinfo, 0);
	st.store = rsinfo->setResult;
	st.desc = rsinfo->setDesc;
	st.error = NULL;
	st.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "rtcstats_dump_events row",
									   ALLOCSET_DEFAULT_SIZES);
	rtcstats_error_clear(&err);
	r = rtcstats_reader_new(NULL, &cb, &st);
	if (r == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	while (rc == RTCSTATS_OK && len > 0)
	{
		size_t		n = Min(len, FEED_CHUNK);

		if (QueryCancelPending || ProcDiePending)
			stopped = true;
		if (stopped)
			break;
		rc = rtcstats_reader_feed(r, data, n, &err);
		data += n;
		len -= n;
	}
	if (QueryCancelPending || ProcDiePending)
		stopped = true;
	if (rc == RTCSTATS_OK && !stopped)
		rc = rtcstats_reader_finish(r, &err);
	rtcstats_reader_free(r);
	if (st.error)
		ReThrowError(st.error);
	CHECK_FOR_INTERRUPTS();

	/*
	 * A cancel that stopped the loop always raises, even if the interrupt
	 * was not processed just now (held off, or already taken by a callee
	 * that swallowed it): the rows so far are never returned as if they
	 * were the whole dump.
	 */
	if (stopped || rc == RTCSTATS_ERR_CANCELLED)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling statement due to user request"),
				 errdetail("The events of the dump were read only in part.")));
	if (rc != RTCSTATS_OK)
		rtcstats_raise(what, &err);
	MemoryContextDelete(st.row_cxt);
}

/* rtcstats_dump_events(dump bytea) -> SETOF (pc, timestamp, method, value, extra) */
Datum
rtcstats_dump_events(PG_FUNCTION_ARGS)
{
	bytea	   *dump = PG_GETARG_BYTEA_PP(0);

	events_of_bytes(fcinfo, "invalid dump", VARDATA_ANY(dump), VARSIZE_ANY_EXHDR(dump));
	return (Datum) 0;
}

/* rtcstats_dump_events(dump_id uuid): the same for a stored dump */
Datum
rtcstats_dump_events_by_id(PG_FUNCTION_ARGS)
{
	Datum		id = PG_GETARG_DATUM(0);
	char	   *url = rtcstats_blob_url_of(id);
	bytea	   *dump = rtcstats_fetch_url(url);
	char	   *what = psprintf("could not read dump \"%s\"",
								DatumGetCString(DirectFunctionCall1(uuid_out, id)));

	events_of_bytes(fcinfo, what, VARDATA_ANY(dump), VARSIZE_ANY_EXHDR(dump));
	return (Datum) 0;
}

/* rtcstats_fetch_dump(dump_id uuid) -> bytea, the object as stored */
Datum
rtcstats_fetch_dump(PG_FUNCTION_ARGS)
{
	char	   *url = rtcstats_blob_url_of(PG_GETARG_DATUM(0));

	PG_RETURN_BYTEA_P(rtcstats_fetch_url(url));
}

/*
 * rtcstats_extract_features(dump_id uuid) -> jsonb: fetch, extract and store
 * now, whatever the row's state (re-extraction replaces the old rows).  A
 * failure raises; recording it is the background path's business.
 */
Datum
rtcstats_extract_features(PG_FUNCTION_ARGS)
{
	Datum		id = PG_GETARG_DATUM(0);
	char	   *url = rtcstats_blob_url_of(id);

	PG_RETURN_DATUM(rtcstats_extract_one(id, url));
}

/* True for errors that must stop the whole call rather than fail one dump. */
static bool
is_cancel(ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY ||
		ProcDiePending;
}

typedef struct pending_step
{
	MemoryContext cxt;			/* where results and the error are kept */
	const char *worker;
	Datum		id;
	char	   *url;
	char	   *message;		/* the failure to record */
	int			sqlerrcode;		/* its SQLSTATE: an outage or a data error */
	bool		claimed;
} pending_step;

/*
 * A snapshot for the SQL of a step.  Called with CALL outside a transaction
 * block, the procedure has none after a commit until it runs SQL again (the
 * portal's, released by the next commit), so none is held across a fetch.
 */
static void
ensure_snapshot(void)
{
	if (!ActiveSnapshotSet())
		EnsurePortalSnapshotExists();
}

static void
step_claim(pending_step *st)
{
	ensure_snapshot();
	st->claimed = rtcstats_claim_one(st->cxt, st->worker, &st->id, &st->url);
}

/* fetch and extract with no snapshot, then store */
static void
step_extract(pending_step *st)
{
	rtcstats_extracted ex;

	rtcstats_fetch_extract(st->id, st->url, &ex);
	CHECK_FOR_INTERRUPTS();
	ensure_snapshot();
	rtcstats_store(st->id, &ex);
}

static void
step_fail(pending_step *st)
{
	ensure_snapshot();
	rtcstats_record_failure(st->id, st->message, st->sqlerrcode);
}

/*
 * Runs fn in an internal subtransaction, which always ends here: released on
 * success, rolled back on error.  (One left open by an error would leave the
 * caller's transaction in a state only ROLLBACK ends.)  On error, with
 * edata_out NULL the error is raised again, else it is returned in *edata_out
 * (copied into st->cxt) and false is returned.
 */
static bool
in_subxact(void (*fn) (pending_step *), pending_step *st, ErrorData **edata_out)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(st);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(st->cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata_out == NULL || is_cancel(edata))
			ReThrowError(edata);
		*edata_out = edata;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* Ends the transaction of a step when the procedure may (CALL at top level). */
static void
commit_step(bool nonatomic)
{
	if (nonatomic)
		SPI_commit();
}

/*
 * CALL rtcstats_extract_pending(max_dumps integer, INOUT extracted integer),
 * for pg_cron: claims and extracts up to max_dumps eligible dumps, as the
 * background workers do.  Called outside a transaction block it commits
 * after the claim and after each dump, so the row locks go with each dump
 * and no snapshot (xmin) is held across the fetches; inside one (CALL in a
 * BEGIN block) it runs in the caller's transaction.  Each step runs in a
 * subtransaction, so a bad dump gets its failure recorded (an outage with
 * rtcstats_record_outage, a data error with rtcstats_record_failure) and the
 * others go on.  Returns the number extracted in "extracted".
 */
Datum
rtcstats_extract_pending(PG_FUNCTION_ARGS)
{
	bool		nonatomic = fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	int32		max_dumps;
	pending_step st;
	int32		done = 0;
	TupleDesc	desc;
	Datum		values[1];
	bool		nulls[1] = {false};
	MemoryContext call_cxt = CurrentMemoryContext;

	if (PG_ARGISNULL(0) || PG_GETARG_INT32(0) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_dumps must not be negative or null")));
	max_dumps = PG_GETARG_INT32(0);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rtcstats_extract_pending must be a procedure with an INOUT argument");
	desc = CreateTupleDescCopy(desc);
	st.worker = psprintf("rtcstats_extract_pending pid %d", MyProcPid);
	st.cxt = AllocSetContextCreate(call_cxt, "rtcstats_extract_pending", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	for (int32 i = 0; i < max_dumps; i++)
	{
		ErrorData  *edata = NULL;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(st.cxt);
		MemoryContextSwitchTo(st.cxt);
		(void) in_subxact(step_claim, &st, NULL);
		commit_step(nonatomic);
		MemoryContextSwitchTo(st.cxt);
		if (!st.claimed)
			break;
		if (in_subxact(step_extract, &st, &edata))
			done++;
		else
		{
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("%s", edata->message),
					 edata->detail ? errdetail("%s", edata->detail) : 0));
			/* record_failure's message: the error and its detail */
			st.message = edata->detail ? psprintf("%s: %s", edata->message, edata->detail)
				: edata->message;
			st.sqlerrcode = edata->sqlerrcode;
			(void) in_subxact(step_fail, &st, NULL);
		}
		commit_step(nonatomic);
	}
	MemoryContextSwitchTo(call_cxt);
	SPI_finish();
	MemoryContextDelete(st.cxt);
	values[0] = Int32GetDatum(done);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
