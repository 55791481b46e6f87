/*
 * report_fns.c: _rtcstats_report_html(metadata, features, analysis), the page
 * of report.h from SQL; rtcstats_report_html(dump_id) (30-analysis.sql)
 * gathers the three from the stored rows.  The jsonb values are handed to
 * the core as json-c objects (parsed from their text: a report is made once,
 * on demand), and the malloc'd page is freed on every path.
 */
#include "postgres.h"

/* fmgrprotos.h declares an SQL function json_object; json-c names its type so */
#define json_object rtcstats_fmgr_json_object

#include <stdlib.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#undef json_object
#include <json-c/json.h>

#include "rtcstats/report.h"
#include "rtcstats_ext.h"

PG_FUNCTION_INFO_V1(rtcstats_report_html_sql);

/* Deeper than any analysis or features document; a client's metadata may nest more. */
#define REPORT_MAX_DEPTH 1024

/* Argument n as a json-c object (NULL for SQL NULL); *objs collects them for freeing. */
static struct json_object *
arg_json(FunctionCallInfo fcinfo, int n, const char *name, struct json_object **objs)
{
	Jsonb	   *jb;
	char	   *text;
	struct json_tokener *tok;
	struct json_object *o;

	if (PG_ARGISNULL(n))
		return NULL;
	jb = PG_GETARG_JSONB_P(n);
	text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	tok = json_tokener_new_ex(REPORT_MAX_DEPTH);
	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	/* the terminating NUL ends a bare scalar; JSON null is NULL without an error */
	o = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);
	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_object_put(o);
		json_tokener_free(tok);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot make a report of this %s", name),
				 errdetail("json-c could not read it: %s.", json_tokener_error_desc(e)),
				 errhint("A report reads JSON nested at most %d levels deep.", REPORT_MAX_DEPTH)));
	}
	json_tokener_free(tok);
	pfree(text);
	objs[n] = o;
	return o;
}

Datum
rtcstats_report_html_sql(PG_FUNCTION_ARGS)
{
	struct json_object *objs[3] = {NULL, NULL, NULL};
	char	   *volatile page = NULL;
	text	   *out = NULL;

	PG_TRY();
	{
		struct json_object *metadata = arg_json(fcinfo, 0, "metadata", objs);
		struct json_object *features = arg_json(fcinfo, 1, "features", objs);
		struct json_object *analysis = arg_json(fcinfo, 2, "analysis", objs);

		page = rtcstats_report_html(metadata, features, analysis);
		if (page == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		out = cstring_to_text(page);
	}
	PG_FINALLY();
	{
		free(page);
		for (int i = 0; i < 3; i++)
			json_object_put(objs[i]);
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(out);
}
