/*
 * feature_rows.c: _rtcstats_feature_rows(tab, reserved, objs), the step of
 * rtcstats_store_features (10-worker-api.sql) that turns features objects
 * into column values of a features table.
 *
 * It was a single SQL query; done here it is one pass over the jsonb with
 * the table's tuple descriptor at hand instead of a join of every key
 * against pg_attribute, which made it the costliest part of storing a dump.
 * The rules (the SQL comment above the function's definition says them for
 * users) are unchanged:
 *
 *   - a key maps to the column whose snake_case name it is, when the column
 *     is not reserved and its name is plain snake_case (^[a-z]([a-z0-9]|_[a-z])*$);
 *   - a JSON null sets such a column NULL, whatever its type;
 *   - jsonb takes anything; text takes a string, or any other value as its
 *     JSON text; boolean a boolean; double precision a number below 1e300
 *     in magnitude; smallint/integer/bigint a number that rounds (half away
 *     from zero) into range, kept as written when it has no fraction;
 *     timestamptz a number of ms since the epoch from year 1 to 99999;
 *   - anything else, an unknown key, or a value the column cannot take goes
 *     to "extra" as it was.
 *
 * The result is a JSON array of objects, in the order of objs, that
 * jsonb_populate_recordset() reads (_rtcstats_insert_rows).
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "rtcstats_ext.h"

PG_FUNCTION_INFO_V1(rtcstats_feature_rows);

typedef enum column_kind
{
	COL_OTHER,					/* takes only null */
	COL_BOOL,
	COL_INT2,
	COL_INT4,
	COL_INT8,
	COL_FLOAT8,
	COL_TEXT,
	COL_JSONB,
	COL_TIMESTAMPTZ
} column_kind;

typedef struct column
{
	char	   *key;			/* the feature name: camelCase of the column name */
	int			keylen;
	const char *name;
	column_kind kind;
} column;

/* Constants the conversions compare with, made once per call. */
typedef struct bounds
{
	Datum		float8_max;		/* 1e300 */
	Datum		int_min[3],
				int_max[3];		/* int2, int4, int8 */
	Datum		epoch_ms_min,
				epoch_ms_max;	/* year 1 .. 99999, as _rtcstats_epoch_ms */
} bounds;

static bool
plain_snake_case(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
	{
		if (*s == '_')
		{
			if (!(s[1] >= 'a' && s[1] <= 'z'))
				return false;
			s++;
		}
		else if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	}
	return true;
}

/* ice_connection_time -> iceConnectionTime (name is plain snake_case). */
static char *
camel_case(const char *name, int *len)
{
	char	   *out = palloc(strlen(name) + 1);
	char	   *o = out;

	for (const char *s = name; *s; s++)
		*o++ = (*s == '_') ? (char) (*++s - 'a' + 'A') : *s;
	*o = '\0';
	*len = (int) (o - out);
	return out;
}

static int
column_cmp(const void *a, const void *b)
{
	const column *x = a,
			   *y = b;
	int			c = memcmp(x->key, y->key, Min(x->keylen, y->keylen));

	return c != 0 ? c : x->keylen - y->keylen;
}

static bool
is_reserved(const char *name, char **reserved, int nreserved)
{
	for (int i = 0; i < nreserved; i++)
		if (reserved[i] != NULL && strcmp(reserved[i], name) == 0)
			return true;
	return false;
}

/* The columns a feature can map to, sorted by key; *n set. */
static column *
table_columns(Oid relid, ArrayType *reserved_arr, int *n)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	column	   *cols = palloc(sizeof(column) * Max(desc->natts, 1));
	Datum	   *datums;
	bool	   *nulls;
	char	  **reserved;
	int			nreserved;

	deconstruct_array(reserved_arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &datums, &nulls, &nreserved);
	reserved = palloc(sizeof(char *) * Max(nreserved, 1));
	for (int i = 0; i < nreserved; i++)
		reserved[i] = nulls[i] ? NULL : TextDatumGetCString(datums[i]);
	*n = 0;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		column	   *c = &cols[*n];

		if (att->attisdropped || !plain_snake_case(name) ||
			is_reserved(name, reserved, nreserved))
			continue;
		c->name = pstrdup(name);
		c->key = camel_case(name, &c->keylen);
		switch (att->atttypid)
		{
			case BOOLOID:
				c->kind = COL_BOOL;
				break;
			case INT2OID:
				c->kind = COL_INT2;
				break;
			case INT4OID:
				c->kind = COL_INT4;
				break;
			case INT8OID:
				c->kind = COL_INT8;
				break;
			case FLOAT8OID:
				c->kind = COL_FLOAT8;
				break;
			case TEXTOID:
				c->kind = COL_TEXT;
				break;
			case JSONBOID:
				c->kind = COL_JSONB;
				break;
			case TIMESTAMPTZOID:
				c->kind = COL_TIMESTAMPTZ;
				break;
			default:
				c->kind = COL_OTHER;
		}
		(*n)++;
	}
	/* the lock stays until the end of the transaction, as for the INSERT that follows */
	table_close(rel, NoLock);
	qsort(cols, *n, sizeof(column), column_cmp);
	return cols;
}

static column *
find_column(column *cols, int n, const char *key, int keylen)
{
	column		probe = {.key = (char *) key,.keylen = keylen};

	return bsearch(&probe, cols, n, sizeof(column), column_cmp);
}

static Datum
numeric_const(const char *text)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(text),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

static void
make_bounds(bounds *b)
{
	b->float8_max = numeric_const("1e300");
	b->int_min[0] = NumericGetDatum(int64_to_numeric(PG_INT16_MIN));
	b->int_max[0] = NumericGetDatum(int64_to_numeric(PG_INT16_MAX));
	b->int_min[1] = NumericGetDatum(int64_to_numeric(PG_INT32_MIN));
	b->int_max[1] = NumericGetDatum(int64_to_numeric(PG_INT32_MAX));
	b->int_min[2] = NumericGetDatum(int64_to_numeric(PG_INT64_MIN));
	b->int_max[2] = NumericGetDatum(int64_to_numeric(PG_INT64_MAX));
	b->epoch_ms_min = NumericGetDatum(int64_to_numeric(INT64CONST(-62135596800000)));
	b->epoch_ms_max = NumericGetDatum(int64_to_numeric(INT64CONST(3093527980800000)));
}

static int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

/* Any JSON value as its JSON text (what jsonb::text prints). */
static char *
json_text(JsonbValue *v)
{
	Jsonb	   *jb = JsonbValueToJsonb(v);

	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

/*
 * The value column c takes for v, in *out; false if it takes none (then v
 * goes to "extra").
 */
static bool
convert(const column *c, JsonbValue *v, const bounds *b, JsonbValue *out)
{
	Datum		num;

	if (v->type == jbvNull)
	{
		out->type = jbvNull;
		return true;
	}
	switch (c->kind)
	{
		case COL_JSONB:
			*out = *v;
			return true;
		case COL_TEXT:
			if (v->type == jbvString)
				*out = *v;
			else
			{
				char	   *s = json_text(v);

				out->type = jbvString;
				out->val.string.val = s;
				out->val.string.len = (int) strlen(s);
			}
			return true;
		case COL_BOOL:
			if (v->type != jbvBool)
				return false;
			*out = *v;
			return true;
		default:
			break;
	}
	if (v->type != jbvNumeric)
		return false;
	num = NumericGetDatum(v->val.numeric);
	switch (c->kind)
	{
		case COL_FLOAT8:
			if (num_cmp(DirectFunctionCall1(numeric_abs, num), b->float8_max) >= 0)
				return false;
			*out = *v;
			return true;
		case COL_INT2:
		case COL_INT4:
		case COL_INT8:
			{
				int			w = c->kind == COL_INT2 ? 0 : c->kind == COL_INT4 ? 1 : 2;
				Datum		rounded = DirectFunctionCall2(numeric_round, num, Int32GetDatum(0));

				if (num_cmp(rounded, b->int_min[w]) < 0 || num_cmp(rounded, b->int_max[w]) > 0)
					return false;
				out->type = jbvNumeric;
				/* an integer already (scale 0) is kept as written */
				out->val.numeric = DatumGetInt32(DirectFunctionCall1(numeric_scale, num)) == 0 ?
					v->val.numeric : DatumGetNumeric(rounded);
				return true;
			}
		case COL_TIMESTAMPTZ:
			{
				Datum		ts;
				char	   *s;

				if (num_cmp(num, b->epoch_ms_min) < 0 || num_cmp(num, b->epoch_ms_max) > 0)
					return false;
				ts = DirectFunctionCall1(float8_timestamptz,
										 Float8GetDatum(DatumGetFloat8(DirectFunctionCall1(numeric_float8, num)) / 1000));
				/* what to_jsonb(timestamptz) writes: ISO 8601, read back by the INSERT */
				s = JsonEncodeDateTime(NULL, ts, TIMESTAMPTZOID, NULL);
				out->type = jbvString;
				out->val.string.val = s;
				out->val.string.len = (int) strlen(s);
				return true;
			}
		default:
			return false;		/* COL_OTHER: nothing but null */
	}
}

static void
push_key(JsonbParseState **st, const char *key, int len)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = len;
	pushJsonbValue(st, WJB_KEY, &k);
}

/* One features object as a row object, pushed onto st. */
static void
push_row(JsonbParseState **st, JsonbContainer *obj, column *cols, int ncols, const bounds *b)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	key,
				val,
				conv;
	JsonbIteratorToken tok;
	JsonbValue *extra_keys = NULL,
			   *extra_vals = NULL;
	int			nextra = 0;
	int			cap = 0;

	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	while ((tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		column	   *c;

		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &val, true);
		Assert(tok == WJB_VALUE);
		c = find_column(cols, ncols, key.val.string.val, key.val.string.len);
		if (c != NULL && convert(c, &val, b, &conv))
		{
			push_key(st, c->name, (int) strlen(c->name));
			pushJsonbValue(st, WJB_VALUE, &conv);
		}
		else
		{
			if (nextra == cap)
			{
				cap = cap ? cap * 2 : 8;
				extra_keys = extra_keys ? repalloc(extra_keys, sizeof(JsonbValue) * cap) :
					palloc(sizeof(JsonbValue) * cap);
				extra_vals = extra_vals ? repalloc(extra_vals, sizeof(JsonbValue) * cap) :
					palloc(sizeof(JsonbValue) * cap);
			}
			extra_keys[nextra] = key;
			extra_vals[nextra++] = val;
		}
	}
	if (nextra > 0)
	{
		push_key(st, "extra", 5);
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < nextra; i++)
		{
			pushJsonbValue(st, WJB_KEY, &extra_keys[i]);
			pushJsonbValue(st, WJB_VALUE, &extra_vals[i]);
		}
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

Datum
rtcstats_feature_rows(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ArrayType  *reserved = PG_GETARG_ARRAYTYPE_P(1);
	Jsonb	   *objs = PG_GETARG_JSONB_P(2);
	JsonbParseState *st = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	column	   *cols;
	int			ncols;
	bounds		b;
	int			index = 0;

	/* the rows are for an INSERT; and nobody may lock a table they cannot write */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errhint("Features rows are made for tables the caller may INSERT into.")));
	if (!JB_ROOT_IS_ARRAY(objs) || JB_ROOT_IS_SCALAR(objs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features objects must be a JSON array")));
	cols = table_columns(relid, reserved, &ncols);
	make_bounds(&b);
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(&objs->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features object %d is not a JSON object", index),
					 errdetail("Each element of the array must be an object of features.")));
		push_row(&st, v.val.binary.data, cols, ncols, &b);
		index++;
	}
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_ARRAY, NULL)));
}
