/*
 * errors.c: core failures as Postgres errors.  One errcode per core status,
 * so callers can tell bad input (22P02 / XX001) from storage trouble (08006,
 * 58030) and from a refused path (42501).  And the background workers' way
 * out of an error that must not end them.
 */
#include "postgres.h"

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "rtcstats_ext.h"

int
rtcstats_errcode(rtcstats_status code)
{
	switch (code)
	{
		case RTCSTATS_OK:
			return ERRCODE_SUCCESSFUL_COMPLETION;
		case RTCSTATS_ERR_FORMAT:
		case RTCSTATS_ERR_JSON:
		case RTCSTATS_ERR_LINE_SHAPE:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case RTCSTATS_ERR_GZIP:
			return ERRCODE_DATA_CORRUPTED;
		case RTCSTATS_ERR_TOO_LARGE:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case RTCSTATS_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case RTCSTATS_ERR_IO:
			return ERRCODE_IO_ERROR;
		case RTCSTATS_ERR_STORAGE:
			return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
		case RTCSTATS_ERR_NETWORK:
			return ERRCODE_CONNECTION_FAILURE;
		case RTCSTATS_ERR_NOT_FOUND:
			return ERRCODE_UNDEFINED_FILE;
		case RTCSTATS_ERR_PERMISSION:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case RTCSTATS_ERR_ARGUMENT:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case RTCSTATS_ERR_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
	}
	return ERRCODE_INTERNAL_ERROR;
}

static const char *
hint_for(rtcstats_status code)
{
	switch (code)
	{
		case RTCSTATS_ERR_FORMAT:
		case RTCSTATS_ERR_JSON:
		case RTCSTATS_ERR_LINE_SHAPE:
		case RTCSTATS_ERR_GZIP:
			return "The input must be an rtcstats dump (format 3) or a webrtc-internals dump, plain or gzip.";
		case RTCSTATS_ERR_TOO_LARGE:
			return "See rtcstats.max_dump_size.";
		case RTCSTATS_ERR_NETWORK:
		case RTCSTATS_ERR_STORAGE:
			return "Check rtcstats.storage_url and the rtcstats.s3_* settings.";
		case RTCSTATS_ERR_PERMISSION:
			return "The server reads dumps only under rtcstats.storage_url.";
		default:
			return NULL;
	}
}

/* What went wrong, for a message: "could not fetch dump \"..\": object not found" */
static const char *
phrase_for(rtcstats_status code)
{
	switch (code)
	{
		case RTCSTATS_ERR_NOT_FOUND:
			return "object not found";
		case RTCSTATS_ERR_NETWORK:
			return "storage unreachable";
		case RTCSTATS_ERR_STORAGE:
			return "storage error";
		case RTCSTATS_ERR_PERMISSION:
			return "permission denied";
		case RTCSTATS_ERR_IO:
			return "I/O error";
		case RTCSTATS_ERR_NOMEM:
			return "out of memory";
		case RTCSTATS_ERR_ARGUMENT:
			return "invalid argument";
		case RTCSTATS_ERR_CANCELLED:
			return "cancelled";
		default:
			return rtcstats_status_name(code);
	}
}

/* True for statuses about the bytes of a dump, rather than about getting them. */
static bool
is_input_error(rtcstats_status code)
{
	return code == RTCSTATS_ERR_FORMAT || code == RTCSTATS_ERR_JSON ||
		code == RTCSTATS_ERR_LINE_SHAPE || code == RTCSTATS_ERR_GZIP ||
		code == RTCSTATS_ERR_TOO_LARGE;
}

/*
 * Raises err as an ERROR.  what says what was being done ("could not read
 * dump", ...).  A bad dump names the line and the reason in the message; a
 * storage failure keeps the core's detail (HTTP status, S3 error code) in
 * errdetail.  A cancel request becomes the usual cancel/terminate error.
 */
void
rtcstats_raise(const char *what, const rtcstats_error *err)
{
	const char *hint = hint_for(err->code);
	const char *detail = err->detail[0] ? err->detail : rtcstats_status_name(err->code);

	/*
	 * The detail may quote the dump (a peer connection id, cut to a length
	 * that can split a UTF-8 sequence): keep its valid prefix, in the
	 * database encoding, so the message can become the row's error text.
	 */
	{
		int			valid = pg_encoding_verifymbstr(PG_UTF8, detail, (int) strlen(detail));

		detail = pg_any_to_server(pnstrdup(detail, valid), valid, PG_UTF8);
	}

	if (err->code == RTCSTATS_ERR_CANCELLED)
		CHECK_FOR_INTERRUPTS();
	if (is_input_error(err->code) && err->line > 0)
		ereport(ERROR,
				(errcode(rtcstats_errcode(err->code)),
				 errmsg("%s at line %ld: %s", what, err->line, detail),
				 hint ? errhint("%s", hint) : 0));
	if (is_input_error(err->code))
		ereport(ERROR,
				(errcode(rtcstats_errcode(err->code)),
				 errmsg("%s: %s", what, detail),
				 hint ? errhint("%s", hint) : 0));
	ereport(ERROR,
			(errcode(rtcstats_errcode(err->code)),
			 errmsg("%s: %s", what, phrase_for(err->code)),
			 errdetail("%s", detail),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/*
 * True when an error (its SQLSTATE) is an outage, not the dump's fault: the
 * rule both extraction paths follow (core/src/error.c), so the in-database
 * workers and rtcstats-worker spend attempts on the same failures.
 */
bool
rtcstats_is_outage(int sqlerrcode)
{
	return rtcstats_sqlstate_is_outage(unpack_sql_state(sqlerrcode));
}

/*
 * In a background worker's PG_CATCH: writes the error to the server log,
 * leaves the failed transaction and returns the error's text ("message:
 * detail") allocated in cxt, for the row that records the failure; its
 * SQLSTATE in *sqlerrcode unless NULL.
 */
char *
rtcstats_worker_recover(MemoryContext cxt, int *sqlerrcode)
{
	ErrorData  *edata;

	HOLD_INTERRUPTS();
	EmitErrorReport();
	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortOutOfAnyTransaction();
	RESUME_INTERRUPTS();
	if (sqlerrcode != NULL)
		*sqlerrcode = edata->sqlerrcode;
	return edata->detail ? psprintf("%s: %s", edata->message, edata->detail) : edata->message;
}
