/*
 * test_reader.c: one check per decoding rule of the dump format (section 3).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "recorder.h"
#include "rtcstats/reader.h"

static long skipped;				/* malformed lines of the last read */
static long skipped_at[RTCSTATS_SKIPPED_LINES_KEPT];

static rtcstats_status
read_dump_opts(const char *text, const rtcstats_reader_options *opts, recorder *r,
			   rtcstats_error *err)
{
	rtcstats_reader *rd = rtcstats_reader_new(opts, &recorder_callbacks, r);
	rtcstats_status rc;
	size_t		n;
	const long *at;

	memset(r, 0, sizeof(*r));
	rc = rtcstats_reader_feed(rd, text, strlen(text), err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_reader_finish(rd, err);
	skipped = rtcstats_reader_skipped_lines(rd);
	at = rtcstats_reader_skipped_line_numbers(rd, &n);
	memset(skipped_at, 0, sizeof(skipped_at));
	memcpy(skipped_at, at, n * sizeof(*at));
	rtcstats_reader_free(rd);
	return rc;
}

static rtcstats_status
read_dump(const char *text, recorder *r, rtcstats_error *err)
{
	return read_dump_opts(text, NULL, r, err);
}

/* The generated C tables agree with compression-tables.json, entry by entry. */
static void
tables_match_spec(void)
{
	json_object *spec = json_object_from_file("core/src/compression-tables.json");
	struct
	{
		const char *section;
		const char *(*lookup) (const char *);
	}			t[] = {
		{"methods", rtcstats_decompress_method},
		{"statsTypes", rtcstats_decompress_stats_type},
		{"statsProperties", rtcstats_decompress_stats_property},
	};

	CHECK(spec != NULL);
	if (spec == NULL)
		return;
	for (int i = 0; i < 3; i++)
	{
		json_object *section;

		CHECK(json_object_object_get_ex(spec, t[i].section, &section));
		json_object_object_foreach(section, key, val)
			CHECK_EQ_STR(t[i].lookup(key), json_object_get_string(val));
	}
	json_object_put(spec);
}

#define HEAD "RTCStatsDump\n{\"fileFormat\":3}\n"

int
main(void)
{
	recorder	r;
	rtcstats_error err;

	tables_match_spec();
	/* tables: numbers and strings alike, unknown names unchanged */
	CHECK_EQ_STR(rtcstats_decompress_method("6"), "setLocalDescription");
	CHECK_EQ_STR(rtcstats_decompress_method("g"), "getStats");
	CHECK_EQ_STR(rtcstats_decompress_method("06"), "06");
	CHECK_EQ_STR(rtcstats_decompress_method("myEvent"), "myEvent");
	CHECK_EQ_STR(rtcstats_decompress_stats_property("134"), "address");
	CHECK_EQ_STR(rtcstats_decompress_stats_property("t"), "timestamp");
	CHECK_EQ_STR(rtcstats_decompress_stats_type("5"), "transport");

	/* methods, pc, running timestamps (first absolute, float deltas), extra */
	CHECK_EQ_LONG(read_dump(HEAD
							"[39,null,{\"a\":1},1000]\n"
							"\n"
							"[\"6\",\"PC_0\",null,\"6-0\",10.5]\n"
							"[\"custom\",\"PC_1\",[1],\"x\",{\"y\":2},0.25]\n"
							"[24,\"PC_0\",\"\\\"connected\\\"\",1]\n"
							"[23,\"PC_0\",\"\\\"connecting\\\"\",1]\n"
							"[26,7,\"gathering\",1]", &r, &err), RTCSTATS_OK);
	CHECK_EQ_STR(r.metadata, "{\"fileFormat\":3}");
	CHECK_EQ_LONG(r.n, 6);
	CHECK_EQ_STR(r.ev[0].method, "create");
	CHECK_EQ_STR(r.ev[0].pc, "(null)");
	CHECK_EQ_LONG(r.ev[0].pc_index, -1);
	CHECK_EQ_DOUBLE(r.ev[0].ts, 1000);
	CHECK_EQ_LONG(r.ev[0].line, 3);
	CHECK_EQ_STR(r.ev[1].method, "setLocalDescription");
	CHECK_EQ_STR(r.ev[1].extra, "[\"6-0\"]");
	CHECK_EQ_DOUBLE(r.ev[1].ts, 1010.5);
	CHECK_EQ_LONG(r.ev[1].line, 5);	/* the empty line is counted, not an event */
	CHECK_EQ_STR(r.ev[2].method, "custom");
	CHECK_EQ_LONG(r.ev[2].pc_index, 1);
	CHECK_EQ_STR(r.ev[2].extra, "[\"x\",{\"y\":2}]");
	CHECK_EQ_DOUBLE(r.ev[2].ts, 1010.75);
	/* quoted states are unquoted for their own event only */
	CHECK_EQ_STR(r.ev[3].value, "\"connected\"");
	CHECK_EQ_STR(r.ev[4].value, "\"\\\"connecting\\\"\"");	/* not a signaling state */
	CHECK_EQ_STR(r.ev[5].pc, "7");	/* a numeric pc id is its text */

	/* other key values become what JavaScript's String() makes of them */
	{
		static const char *const js[][2] = {
			{"1e17", "100000000000000000"}, {"1e20", "100000000000000000000"},
			{"1e21", "1e+21"}, {"1.5e300", "1.5e+300"}, {"0.1", "0.1"}, {"-1.5", "-1.5"},
			{"0.000001", "0.000001"}, {"1e-7", "1e-7"}, {"1.25e-10", "1.25e-10"},
			{"123.456", "123.456"}, {"-0.0", "0"}, {"9007199254740993", "9007199254740992"},
			{"0.30000000000000004", "0.30000000000000004"}, {"{\"a\":1}", "[object Object]"},
			{"true", "true"},
		};
		char		text[2048] = HEAD;

		for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
					 "[\"custom\",%s,null,1]\n", js[i][0]);
		strcat(text, "[6.0,null,null,1]");
		CHECK_EQ_LONG(read_dump(text, &r, &err), RTCSTATS_OK);
		for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++)
			CHECK_EQ_STR(r.ev[i].pc, js[i][1]);
		CHECK_EQ_STR(r.ev[sizeof(js) / sizeof(js[0])].method, "setLocalDescription");
	}

	/* getStats deltas: names, types, t, merge, removal, nested merge, arrays replaced */
	CHECK_EQ_LONG(read_dump(HEAD
							"[\"g\",\"PC_0\",{\"10\":{\"17\":\"a\",\"type\":1,\"qualityLimitationDurations\":{\"none\":1,\"cpu\":0},\"arr\":[1,2]},\"2\":{\"type\":5,\"t\":5},\"t\":100},1]\n"
							"[\"g\",\"PC_0\",{\"10\":{\"14\":7,\"qualityLimitationDurations\":{\"cpu\":3},\"arr\":[9]},\"t\":200},1]\n"
							"[\"g\",\"PC_0\",{\"2\":null,\"1\":{\"type\":99},\"t\":300},1]\n"
							"[\"g\",\"PC_1\",{\"x\":{\"type\":\"codec\"}},1]", &r, &err), RTCSTATS_OK);
	CHECK_EQ_STR(r.ev[0].value,
				 "{\"10\":{\"trackIdentifier\":\"a\",\"type\":\"inbound-rtp\",\"qualityLimitationDurations\":{\"none\":1,\"cpu\":0},\"arr\":[1,2],\"timestamp\":100},\"2\":{\"type\":\"transport\",\"timestamp\":5}}");
	CHECK_EQ_STR(r.ev[0].order, "2,10,");	/* array-index ids ascending */
	CHECK_EQ_STR(r.ev[1].value,
				 "{\"10\":{\"trackIdentifier\":\"a\",\"type\":\"inbound-rtp\",\"qualityLimitationDurations\":{\"none\":1,\"cpu\":3},\"arr\":[9],\"timestamp\":200,\"packetsReceived\":7},\"2\":{\"type\":\"transport\",\"timestamp\":200}}");
	CHECK_EQ_STR(r.ev[2].value,
				 "{\"10\":{\"trackIdentifier\":\"a\",\"type\":\"inbound-rtp\",\"qualityLimitationDurations\":{\"none\":1,\"cpu\":3},\"arr\":[9],\"timestamp\":300,\"packetsReceived\":7},\"1\":{\"type\":99,\"timestamp\":300}}");
	CHECK_EQ_STR(r.ev[2].order, "1,10,");
	CHECK_EQ_STR(r.ev[3].value, "{\"x\":{\"type\":\"codec\"}}");	/* no t: no timestamp */

	/* SDP: sections "m=" / "v=" taken from the reference description */
	CHECK_EQ_LONG(read_dump(HEAD
							"[3,\"PC_0\",{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=x\\r\\nm=audio 9\\r\\na=mid:0\\r\\nm=video 9\\r\\na=mid:1\\r\\n\"},1]\n"
							"[6,\"PC_0\",{\"type\":\"offer\",\"sdp\":\"v=\\r\\nm=\\r\\nm=video 9\\r\\na=mid:1\\r\\na=new\\r\\n\"},1]\n"
							"[6,\"PC_0\",{\"type\":\"answer\",\"sdp\":\"v=\\r\\n\"},1]\n"
							"[6,\"PC_0\",null,1]\n"
							"[5,\"PC_0\",{\"type\":\"answer\",\"sdp\":\"v=\\r\\nm=\\r\\n\"},1]", &r, &err), RTCSTATS_OK);
	CHECK_EQ_STR(r.ev[1].value,
				 "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=x\\r\\nm=audio 9\\r\\na=mid:0\\r\\nm=video 9\\r\\na=mid:1\\r\\na=new\\r\\n\"}");
	/* no createAnswerOnSuccess before: the answer stays as written */
	CHECK_EQ_STR(r.ev[2].value, "{\"type\":\"answer\",\"sdp\":\"v=\\r\\n\"}");
	CHECK_EQ_STR(r.ev[3].value, "null");	/* implicit setLocalDescription() */
	/* create*OnSuccess refers to the latest setLocalDescription; types differ: unchanged */
	CHECK_EQ_STR(r.ev[4].value, "{\"type\":\"answer\",\"sdp\":\"v=\\r\\nm=\\r\\n\"}");

	/* errors name the line */
	CHECK_EQ_LONG(read_dump("nope\n", &r, &err), RTCSTATS_ERR_FORMAT);
	CHECK_EQ_LONG(err.line, 1);
	{
		rtcstats_reader_options strict = {.strict_lines = true};

		CHECK_EQ_LONG(read_dump_opts(HEAD "[1,2,3]\n[\"x\",null,{},\"no delta\"]", &strict, &r, &err),
					  RTCSTATS_ERR_LINE_SHAPE);
		CHECK_EQ_LONG(err.line, 4);
		CHECK_EQ_LONG(read_dump_opts(HEAD "[\"x\",null]", &strict, &r, &err), RTCSTATS_ERR_LINE_SHAPE);
		CHECK_EQ_LONG(read_dump_opts(HEAD "[\"x\",null,1,2] trailing", &strict, &r, &err),
					  RTCSTATS_ERR_JSON);
		CHECK_EQ_LONG(read_dump_opts(HEAD "[0]", &strict, &r, &err), RTCSTATS_ERR_LINE_SHAPE);
	}

	/*
	 * Malformed event lines (what the proxy stores and the extractor cannot
	 * read: [0], ["a", 1], not JSON, not an array, no time delta) are skipped
	 * and counted by default; the good lines around them are read.
	 */
	CHECK_EQ_LONG(read_dump(HEAD "[\"a\",null,{},1]\n[0]\n[\"a\", 1]\n[\"g\",\"PC_0\",{\"0\":\n"
							"{\"an\":\"object\"}\n[\"x\",null,{},\"no delta\"]\n[\"x\",null,1,2] trailing\n"
							"[\"b\",\"PC_0\",null,2]\n", &r, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 2);
	CHECK_EQ_STR(r.ev[1].method, "b");
	CHECK_EQ_DOUBLE(r.ev[1].ts, 3);
	CHECK_EQ_LONG(skipped, 6);
	CHECK_EQ_LONG(skipped_at[0], 4);
	CHECK_EQ_LONG(skipped_at[5], 9);
	/* more than are kept: the count goes on, the first numbers stay */
	{
		char		text[4096] = HEAD;

		for (int i = 0; i < 25; i++)
			strcat(text, "[0]\n");
		strcat(text, "[\"a\",null,{},1]\n");
		CHECK_EQ_LONG(read_dump(text, &r, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(skipped, 25);
		CHECK_EQ_LONG(skipped_at[RTCSTATS_SKIPPED_LINES_KEPT - 1], 2 + RTCSTATS_SKIPPED_LINES_KEPT);
		CHECK_EQ_LONG(r.n, 1);
	}
	/* not a dump at all still fails: first line, metadata */
	CHECK_EQ_LONG(read_dump("RTCStatsDump\n{\"a\":\n[\"a\",null,{},1]\n", &r, &err), RTCSTATS_ERR_JSON);
	CHECK_EQ_LONG(err.line, 2);
	CHECK_EQ_LONG(read_dump("RTCStatsDump\n[0]\n", &r, &err), RTCSTATS_ERR_FORMAT);

	/*
	 * A null method is read as upstream reads it (decompressMethod(null) is
	 * null, String(null) "null"), not refused.
	 */
	CHECK_EQ_LONG(read_dump(HEAD "[null,\"PC_0\",{\"x\":1},5]\n[null,null,null,1]\n", &r, &err),
				  RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 2);
	CHECK_EQ_STR(r.ev[0].method, "null");
	CHECK_EQ_STR(r.ev[0].pc, "PC_0");
	CHECK_EQ_DOUBLE(r.ev[1].ts, 6);
	CHECK_EQ_LONG(skipped, 0);

	/*
	 * Integers beyond 2^53 are the doubles JSON.parse() makes of them and
	 * print as JavaScript prints them (json-c would saturate beyond 2^64);
	 * the same digits in a string, and safe integers, are untouched.
	 */
	CHECK_EQ_LONG(read_dump(HEAD "[\"x\",null,[123456789012345678901234567890,-99999999999999999999,"
							"18446744073709551615,9007199254740993,9007199254740992,-9007199254740993,"
							"1e400,1"
							"0000000000000000000000000000000000000000000000000000000000000000000000"
							"0000000000000000000000000000000000000000000000000000000000000000000000"
							"0000000000000000000000000000000000000000000000000000000000000000000000"
							"0000000000000000000000000000000000000000000000000000000000000000000000"
							"00000000000000000000"
							","
							"\"123456789012345678901234567890\",\"a\\\"123456789012345678901\",1.5E3,"
							"1234567890123456789],1]\n", &r, &err), RTCSTATS_OK);
	CHECK_EQ_STR(r.ev[0].value, "[1.2345678901234568e+29,-100000000000000000000,18446744073709552000,"
				 "9007199254740992,9007199254740992,-9007199254740992,1e400,1e+300,"
				 "\"123456789012345678901234567890\",\"a\\\"123456789012345678901\",1500,"
				 "1234567890123456800]");
	CHECK_EQ_LONG(read_dump("RTCStatsDump\n", &r, &err), RTCSTATS_ERR_FORMAT);
	CHECK(strstr(err.detail, "metadata") != NULL);
	CHECK_EQ_LONG(read_dump("", &r, &err), RTCSTATS_ERR_FORMAT);
	CHECK(strstr(err.detail, "empty") != NULL);
	return check_summary("reader");
}
