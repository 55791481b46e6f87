/*
 * extract.c: one dump from bytes to stored features.
 *
 * The core extractor (features.h) runs in one pass over the bytes, plain or
 * gzip, fed in chunks so that a cancel is noticed between them; the
 * features and the analysis of the same pass become jsonb and are written
 * through rtcstats_store_features(), the single SQL entry point that
 * rtcstats-worker also calls (extension/sql/10-worker-api.sql).  json-c
 * objects and the extractor live on malloc and are freed on every path.
 */
#include "postgres.h"

/* fmgrprotos.h declares an SQL function json_object; json-c names its type so */
#define json_object rtcstats_fmgr_json_object

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#undef json_object
#include <json-c/json.h>

#include "rtcstats/features.h"
#include "rtcstats_ext.h"

/* Bytes handed to the extractor at a time: a cancel is checked between. */
#define FEED_CHUNK (256 * 1024)

/*
 * Features (and, if with_analysis, the analysis) of the dump in data, as
 * jsonb in the current memory context.  A bad dump raises with the line and
 * the reason; what names the dump in the message.
 */
void
rtcstats_extract_bytes(const char *what, const void *data, size_t len,
					   bool with_analysis, rtcstats_extracted *out)
{
	rtcstats_extractor *volatile x = NULL;
	struct json_object *volatile features = NULL;
	struct json_object *volatile analysis = NULL;
	volatile rtcstats_status rc = RTCSTATS_OK;
	rtcstats_error err;

	rtcstats_error_clear(&err);
	out->features = (Datum) 0;
	out->analysis = (Datum) 0;
	PG_TRY();
	{
		const char *p = data;
		size_t		left = len;
		struct json_object *f = NULL;

		x = rtcstats_extractor_new(NULL);
		if (x == NULL || (with_analysis && !rtcstats_extractor_enable_analysis(x)))
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		while (rc == RTCSTATS_OK && left > 0)
		{
			size_t		n = Min(left, FEED_CHUNK);

			CHECK_FOR_INTERRUPTS();
			rc = rtcstats_extractor_feed(x, p, n, &err);
			p += n;
			left -= n;
		}
		if (rc == RTCSTATS_OK)
		{
			rc = rtcstats_extractor_finish(x, &f, &err);
			features = f;
		}
		if (rc == RTCSTATS_OK)
		{
			out->features = rtcstats_json_to_jsonb(features);
			if (with_analysis)
			{
				analysis = rtcstats_extractor_analysis(x, features);
				if (analysis == NULL)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
				out->analysis = rtcstats_json_to_jsonb(analysis);
			}
		}
	}
	PG_FINALLY();
	{
		json_object_put(analysis);
		json_object_put(features);
		rtcstats_extractor_free(x);
	}
	PG_END_TRY();
	if (rc != RTCSTATS_OK)
		rtcstats_raise(what, &err);
}

/* pg_extension.extnamespace of ext (get_extension_schema is static in 15). */
static Oid
extension_schema(Oid ext)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}

/* The extension's schema, quoted for SQL text. */
const char *
rtcstats_ext_schema(void)
{
	Oid			ext = get_extension_oid("rtcstats", true);
	char	   *nsp;

	if (!OidIsValid(ext))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"rtcstats\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION rtcstats.")));
	nsp = get_namespace_name(extension_schema(ext));
	if (nsp == NULL)
		elog(ERROR, "schema of extension rtcstats not found");
	return quote_identifier(nsp);
}

/*
 * The worker API statements, prepared once per backend and kept
 * (SPI_keepplan), as the workers run them for every dump.  Every name is
 * qualified (the schema, OPERATOR(pg_catalog.=)) and every argument typed,
 * so no overload planted in a schema on the caller's search_path matches
 * better.  A kept plan is
 * re-planned by the plan cache after DDL; a different extension schema
 * prepares it again.  Call between SPI_connect and SPI_finish.
 */
typedef struct kept_plan
{
	const char *fmt;			/* SQL with one %s for the schema */
	int			nargs;
	Oid			types[3];
	SPIPlanPtr	plan;
	char		schema[2 * NAMEDATALEN + 3];	/* quoted, as in the SQL */
} kept_plan;

static kept_plan blob_url_plan = {"SELECT blob_url FROM %s.rtcstats_dumps WHERE id OPERATOR(pg_catalog.=) $1", 1, {UUIDOID}};
static kept_plan store_plan = {"SELECT %s.rtcstats_store_features($1, $2, $3)", 3, {UUIDOID, JSONBOID, JSONBOID}};
static kept_plan claim_plan = {"SELECT dump_id, blob_url FROM %s.rtcstats_claim_dump($1)", 1, {TEXTOID}};
static kept_plan failure_plan = {"SELECT %s.rtcstats_record_failure($1, $2)", 2, {UUIDOID, TEXTOID}};
static kept_plan outage_plan = {"SELECT %s.rtcstats_record_outage($1, $2)", 2, {UUIDOID, TEXTOID}};

static SPIPlanPtr
plan_for(kept_plan *k, const char *schema)
{
	SPIPlanPtr	plan;

	if (k->plan != NULL && strcmp(k->schema, schema) == 0)
		return k->plan;
	if (k->plan != NULL)
		SPI_freeplan(k->plan);
	k->plan = NULL;
	plan = SPI_prepare(psprintf(k->fmt, schema), k->nargs, k->types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	k->plan = plan;
	strlcpy(k->schema, schema, sizeof(k->schema));
	return plan;
}

/* Runs a kept plan; raises unless it returned rows as a SELECT. */
static void
run_plan(kept_plan *k, const char *schema, Datum *values, const char *nulls,
		 bool read_only, long tcount)
{
	int			ret = SPI_execute_plan(plan_for(k, schema), values, nulls, read_only, tcount);

	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
}

/* A uuid Datum as text, for messages. */
static char *
uuid_text(Datum id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, id));
}

/* blob_url of the dump row id, in the caller's memory context; raises if none. */
char *
rtcstats_blob_url_of(Datum dump_id)
{
	MemoryContext cxt = CurrentMemoryContext;
	const char *schema = rtcstats_ext_schema();
	Datum		values[1] = {dump_id};
	char	   *url = NULL;
	bool		isnull = true;
	bool		found;

	SPI_connect();
	run_plan(&blob_url_plan, schema, values, NULL, true, 1);
	found = SPI_processed > 0;
	if (found)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			url = MemoryContextStrdup(cxt, TextDatumGetCString(d));
	}
	SPI_finish();
	if (url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 found ? errmsg("dump \"%s\" has no blob_url", uuid_text(dump_id)) :
				 errmsg("dump \"%s\" does not exist", uuid_text(dump_id))));
	return url;
}

/*
 * Fetch and extract one dump (no snapshot needed: a background worker runs
 * this before it takes one, so no xmin is held across the I/O).
 */
void
rtcstats_fetch_extract(Datum dump_id, const char *blob_url, rtcstats_extracted *ex)
{
	bytea	   *raw = rtcstats_fetch_url(blob_url);
	char	   *what = psprintf("could not extract dump \"%s\"", uuid_text(dump_id));

	rtcstats_extract_bytes(what, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), true, ex);
	pfree(raw);
	pfree(what);
}

/*
 * rtcstats_store_features(id, features, analysis) through SPI: replaces
 * whatever was stored for the dump before, so a retry is harmless.
 */
void
rtcstats_store(Datum dump_id, const rtcstats_extracted *ex)
{
	const char *schema = rtcstats_ext_schema();
	Datum		values[3] = {dump_id, ex->features, ex->analysis};
	char		nulls[3] = {' ', ' ', ex->analysis ? ' ' : 'n'};

	SPI_connect();
	run_plan(&store_plan, schema, values, nulls, false, 0);
	SPI_finish();
}

/* Fetch, extract and store one dump; returns its features (jsonb). */
Datum
rtcstats_extract_one(Datum dump_id, const char *blob_url)
{
	rtcstats_extracted ex;

	rtcstats_fetch_extract(dump_id, blob_url, &ex);
	rtcstats_store(dump_id, &ex);
	return ex.features;
}

/*
 * Claims one dump through rtcstats_claim_dump(worker); false when none is
 * eligible.  *id and *url are set in cxt.
 */
bool
rtcstats_claim_one(MemoryContext cxt, const char *worker, Datum *id, char **url)
{
	const char *schema = rtcstats_ext_schema();
	Datum		values[1] = {CStringGetTextDatum(worker)};
	bool		found = false;

	SPI_connect();
	run_plan(&claim_plan, schema, values, NULL, false, 1);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		n1,
					n2;
		Datum		d1 = SPI_getbinval(tup, desc, 1, &n1);
		Datum		d2 = SPI_getbinval(tup, desc, 2, &n2);

		if (!n1)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			*id = datumCopy(d1, false, UUID_LEN);
			*url = n2 ? pstrdup("") : TextDatumGetCString(d2);
			MemoryContextSwitchTo(old);
			found = true;
		}
	}
	SPI_finish();
	return found;
}

/*
 * The failed attempt on dump id, through SPI (10-worker-api.sql): an outage
 * (by the error's SQLSTATE, rtcstats_is_outage) with rtcstats_record_outage,
 * which gives the attempt back, a data error with rtcstats_record_failure.
 */
void
rtcstats_record_failure(Datum dump_id, const char *message, int sqlerrcode)
{
	const char *schema = rtcstats_ext_schema();
	Datum		values[2] = {dump_id, CStringGetTextDatum(message)};

	SPI_connect();
	run_plan(rtcstats_is_outage(sqlerrcode) ? &outage_plan : &failure_plan, schema, values,
			 NULL, false, 0);
	SPI_finish();
}
