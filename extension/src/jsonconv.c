/*
 * jsonconv.c: json-c objects to jsonb, by walking the tree rather than
 * printing JSON text and parsing it again (jsonb_in): one pass less, and a
 * value JSON text cannot carry does not fail the whole dump.  Numbers go
 * through numeric_in on json-c's own text for the number, so a value is
 * exactly what rtcstats-features prints; NaN and infinities, which JSON has
 * no word for, become null.  Strings are UTF-8 in json-c and are converted
 * to the database encoding.
 */
#include "postgres.h"

/* fmgrprotos.h declares an SQL function json_object; json-c names its type so */
#define json_object rtcstats_fmgr_json_object

#include <math.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#undef json_object
#include <json-c/json.h>

#include "rtcstats_ext.h"

/*
 * A client string as Postgres text can hold it, whatever the dump put in
 * it: text and jsonb refuse U+0000, which any web page can place in any
 * string of a dump (its url, a constraint, a track id).  A string that
 * contains U+0000 is stored with each backslash doubled and each U+0000 as
 * the six characters \u0000, so it decodes back unambiguously (a backslash
 * followed by "\" or "u0000"); every other string, i.e. every string of
 * real dumps, is stored exactly as sent (docs/features.md).  Returns s
 * itself when there is nothing to escape, else a palloc'd copy; *outlen set.
 */
const char *
rtcstats_escape_nul(const char *s, size_t len, size_t *outlen)
{
	size_t		n = 0;
	char	   *out,
			   *o;

	*outlen = len;
	if (memchr(s, '\0', len) == NULL)
		return s;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\0' ? 6 : s[i] == '\\' ? 2 : 1;
	o = out = palloc(n + 1);
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '\0')
		{
			memcpy(o, "\\u0000", 6);
			o += 6;
		}
		else if (s[i] == '\\')
		{
			*o++ = '\\';
			*o++ = '\\';
		}
		else
			*o++ = s[i];
	}
	*o = '\0';
	*outlen = n;
	return out;
}

/* A json-c string as a jsonb string in the database encoding. */
static void
string_value(JsonbValue *v, const char *s, size_t len)
{
	char	   *conv;

	s = rtcstats_escape_nul(s, len, &len);
	conv = pg_any_to_server(s, (int) len, PG_UTF8);
	v->type = jbvString;
	v->val.string.val = conv;
	v->val.string.len = (conv == s) ? (int) len : (int) strlen(conv);
}

/* A scalar json-c value (not object or array) as a JsonbValue. */
static void
scalar_value(JsonbValue *v, struct json_object *obj)
{
	switch (json_object_get_type(obj))
	{
		case json_type_null:
			v->type = jbvNull;
			break;
		case json_type_boolean:
			v->type = jbvBool;
			v->val.boolean = json_object_get_boolean(obj);
			break;
		case json_type_int:
			/* int64 range: exact without text (a uint64 above it goes the text way) */
			if (json_object_get_int64(obj) != INT64_MAX)
			{
				v->type = jbvNumeric;
				v->val.numeric = int64_to_numeric(json_object_get_int64(obj));
				break;
			}
			/* FALLTHROUGH */
		case json_type_double:
			if (json_object_get_type(obj) == json_type_double &&
				!isfinite(json_object_get_double(obj)))
			{
				v->type = jbvNull;
				break;
			}
			{
				const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);

				v->type = jbvNumeric;
				v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																	 CStringGetDatum(text),
																	 ObjectIdGetDatum(InvalidOid),
																	 Int32GetDatum(-1)));
				break;
			}
		case json_type_string:
			string_value(v, json_object_get_string(obj), (size_t) json_object_get_string_len(obj));
			break;
		default:
			elog(ERROR, "unexpected json-c type %d", (int) json_object_get_type(obj));
	}
}

/*
 * Pushes obj in position as (WJB_VALUE or WJB_ELEM; a container ignores it).
 * Returns what the last push returned: for the outermost container, the
 * whole value.
 */
static JsonbValue *
push_value(JsonbParseState **state, struct json_object *obj, JsonbIteratorToken as)
{
	JsonbValue	v;

	check_stack_depth();
	if (obj != NULL && json_object_get_type(obj) == json_type_object)
	{
		struct json_object_iter it;

		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		json_object_object_foreachC(obj, it)
		{
			JsonbValue	k;

			string_value(&k, it.key, strlen(it.key));
			pushJsonbValue(state, WJB_KEY, &k);
			(void) push_value(state, it.val, WJB_VALUE);
		}
		return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	if (obj != NULL && json_object_get_type(obj) == json_type_array)
	{
		size_t		n = json_object_array_length(obj);

		pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		for (size_t i = 0; i < n; i++)
			(void) push_value(state, json_object_array_get_idx(obj, i), WJB_ELEM);
		return pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
	if (obj == NULL)
		v.type = jbvNull;
	else
		scalar_value(&v, obj);
	return pushJsonbValue(state, as, &v);
}

/*
 * obj as a jsonb Datum in the current memory context.  May raise; the
 * caller still owns obj and frees it in its PG_FINALLY.
 */
Datum
rtcstats_json_to_jsonb(struct json_object *obj)
{
	JsonbParseState *state = NULL;
	JsonbValue	scalar;

	if (obj != NULL && (json_object_get_type(obj) == json_type_object ||
						json_object_get_type(obj) == json_type_array))
		return JsonbPGetDatum(JsonbValueToJsonb(push_value(&state, obj, WJB_ELEM)));
	/* a bare scalar: JsonbValueToJsonb wraps it as jsonb does */
	if (obj == NULL)
		scalar.type = jbvNull;
	else
		scalar_value(&scalar, obj);
	return JsonbPGetDatum(JsonbValueToJsonb(&scalar));
}
