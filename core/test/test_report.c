/*
 * test_report.c: the HTML report page (report.h): client strings escaped,
 * the same page whatever the key order of its inputs, charts scaled, and a
 * page for every corpus dump.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "rtcstats/features.h"
#include "rtcstats/report.h"

static json_object *
parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	CHECK(o != NULL);
	return o;
}

static int
count(const char *haystack, const char *needle)
{
	int			n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* text as the page writes it (the five HTML metacharacters escaped), malloc'd */
static char *
escaped(const char *text)
{
	char	   *out = malloc(strlen(text) * 6 + 1),
			   *o = out;

	for (; *text; text++)
	{
		const char *e = *text == '&' ? "&amp;" : *text == '<' ? "&lt;" : *text == '>' ? "&gt;" :
			*text == '"' ? "&quot;" : *text == '\'' ? "&#39;" : NULL;

		if (e)
			o += sprintf(o, "%s", e);
		else
			*o++ = *text;
	}
	*o = '\0';
	return out;
}

/* Hand-made analysis: two pcs inserted as PC_10 then PC_2, series keys in two orders. */
static const char analysis_a[] =
"{\"summary\":\"Fine <b>call</b> & more\","
"\"scores\":{\"call\":{\"overall\":4.5,\"audio\":4.4},\"connections\":{\"PC_10\":{\"overall\":4},\"PC_2\":{\"overall\":3}}},"
"\"observations\":[{\"type\":\"high_rtt\",\"category\":\"network\",\"severity\":\"warning\","
" \"pc\":\"PC_2\",\"track\":null,\"first_seen\":1000002500,\"duration_ms\":1500,"
" \"explanation\":\"RTT was \\\"high\\\" <script>alert(1)</script>\"}],"
"\"connections\":[\"PC_2\",\"PC_10\"],"
"\"timeseries\":{\"PC_10\":{\"series\":{\"b\":[[1000001000,1500],[1000002000,3000]],\"a\":[[1000001000,0]]},\"events\":[],\"tracks\":[]},"
" \"PC_2\":{\"series\":{\"a\":[[1000000000,10],[1000001000,null],[1000003000,20]]},"
"  \"events\":[[1000000500,\"iceConnectionState\",\"connected\"]],"
"  \"tracks\":[{\"kind\":\"video\",\"direction\":\"inbound\",\"track\":\"t<1>\",\"series\":{\"framesPerSecond\":[[1000002000,30]]}}]}}}";
static const char analysis_b[] =
"{\"timeseries\":{\"PC_2\":{\"tracks\":[{\"series\":{\"framesPerSecond\":[[1000002000,30]]},\"track\":\"t<1>\",\"direction\":\"inbound\",\"kind\":\"video\"}],"
"  \"events\":[[1000000500,\"iceConnectionState\",\"connected\"]],"
"  \"series\":{\"a\":[[1000000000,10],[1000001000,null],[1000003000,20]]}},"
" \"PC_10\":{\"tracks\":[],\"events\":[],\"series\":{\"a\":[[1000001000,0]],\"b\":[[1000001000,1500],[1000002000,3000]]}}},"
"\"connections\":[\"PC_2\",\"PC_10\"],"
"\"observations\":[{\"explanation\":\"RTT was \\\"high\\\" <script>alert(1)</script>\",\"duration_ms\":1500,"
" \"first_seen\":1000002500,\"track\":null,\"pc\":\"PC_2\",\"severity\":\"warning\",\"category\":\"network\",\"type\":\"high_rtt\"}],"
"\"scores\":{\"connections\":{\"PC_2\":{\"overall\":3},\"PC_10\":{\"overall\":4}},\"call\":{\"audio\":4.4,\"overall\":4.5}},"
"\"summary\":\"Fine <b>call</b> & more\"}";

static void
hand_made(void)
{
	json_object *meta = parse("{\"url\":\"https://x.test/?q=<script>&a='1'\",\"userAgent\":\"UA\\\"x\","
							  "\"startTime\":1000000000}");
	json_object *features = parse("{\"duration\":3000,\"peerConnections\":[{\"iceConnectionTime\":42},{}]}");
	json_object *a = parse(analysis_a),
			   *b = parse(analysis_b);
	char	   *page = rtcstats_report_html(meta, features, a),
			   *again = rtcstats_report_html(meta, features, b);
	const char *p2,
			   *p10;

	CHECK(page != NULL && again != NULL);
	if (page == NULL || again == NULL)
		return;
	CHECK(strncmp(page, "<!DOCTYPE html>", 15) == 0);
	/* the same page whatever the inputs' key order */
	CHECK_EQ_STR(page, again);
	/* nothing from the inputs becomes markup */
	CHECK(strstr(page, "<script") == NULL);
	CHECK(strstr(page, "<b>") == NULL);
	CHECK(strstr(page, "Fine &lt;b&gt;call&lt;/b&gt; &amp; more") != NULL);
	CHECK(strstr(page, "q=&lt;script&gt;&amp;a=&#39;1&#39;") != NULL);
	CHECK(strstr(page, "UA&quot;x") != NULL);
	CHECK(strstr(page, "RTT was &quot;high&quot; &lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(page, "t&lt;1&gt;") != NULL);
	/* times relative to the start, UTC start time, duration */
	CHECK(strstr(page, "started 1970-01-12 13:46:40 UTC, 3.0 s") != NULL);
	CHECK(strstr(page, "<td>+2.5 s</td><td>1.5 s</td>") != NULL);
	CHECK(strstr(page, "<tr class=\"warning\">") != NULL);
	CHECK(strstr(page, "<td>+0.5 s</td><td>iceConnectionState</td><td>connected</td>") != NULL);
	/* PC_2 before PC_10, with its own features (position in "connections") */
	p2 = strstr(page, "<h2>Connection PC_2</h2>");
	p10 = strstr(page, "<h2>Connection PC_10</h2>");
	CHECK(p2 != NULL && p10 != NULL && p2 < p10);
	CHECK(p2 && strstr(p2, "<dt>iceConnectionTime</dt><dd>42</dd>") != NULL &&
		  strstr(p2, "<dt>iceConnectionTime</dt>") < p10);
	CHECK(count(page, "<tr><th>PC_") == 2);
	CHECK(strstr(page, "<th>PC_2</th>") < strstr(page, "<th>PC_10</th>"));
	/* a chart per series: 4 + the track's; a null lifts the pen; x over the call, y from 0 */
	CHECK_EQ_LONG(count(page, "<svg "), 4);
	CHECK(strstr(page, "a: min 10, max 20, last 20</figcaption>") != NULL);
	CHECK(strstr(page, "d=\"M0.0 45.0 M640.0 2.0\"") != NULL);
	CHECK(strstr(page, "b: min 1.5 k, max 3 k, last 3 k</figcaption>") != NULL);
	CHECK(strstr(page, "d=\"M213.3 45.0 L426.7 2.0\"") != NULL);
	CHECK(strstr(page, "framesPerSecond (1/s): min 30, max 30, last 30</figcaption>") != NULL);
	free(page);
	free(again);

	/* nothing known: still a page */
	page = rtcstats_report_html(NULL, NULL, NULL);
	CHECK(page != NULL && strstr(page, "<h2>Observations (0)</h2>") != NULL &&
		  strstr(page, "started &ndash;") != NULL && strstr(page, "</html>") != NULL);
	free(page);
	json_object_put(meta);
	json_object_put(features);
	json_object_put(a);
	json_object_put(b);
}

/* Every corpus dump gives a page with its summary and a chart per series. */
static void
corpus(void)
{
	static const char *const dumps[] = {"av-call", "multi-pc", "ice-failure", "gum-failure"};

	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++)
	{
		char		path[256];
		FILE	   *f;
		static char buf[1 << 20];
		size_t		n;
		rtcstats_extractor *x = rtcstats_extractor_new(NULL);
		rtcstats_error err;
		json_object *features = NULL,
				   *analysis,
				   *summary;
		char	   *page;

		snprintf(path, sizeof(path), "test/corpus/dumps/%s.rtcstats", dumps[i]);
		f = fopen(path, "rb");
		CHECK(f != NULL && x != NULL && rtcstats_extractor_enable_analysis(x));
		if (f == NULL || x == NULL)
		{
			rtcstats_extractor_free(x);
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		CHECK_EQ_LONG(rtcstats_extractor_feed(x, buf, n, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(rtcstats_extractor_finish(x, &features, &err), RTCSTATS_OK);
		analysis = rtcstats_extractor_analysis(x, features);
		page = rtcstats_report_html(rtcstats_extractor_metadata(x), features, analysis);
		CHECK(page != NULL);
		if (page && json_object_object_get_ex(analysis, "summary", &summary))
		{
			char	   *want = escaped(json_object_get_string(summary));

			CHECK(strstr(page, want) != NULL);
			free(want);
			CHECK(count(page, "<svg ") == count(page, "<figcaption>"));
			CHECK(count(page, "<table>") == count(page, "</table>"));
		}
		free(page);
		json_object_put(analysis);
		json_object_put(features);
		rtcstats_extractor_free(x);
	}
}

int
main(void)
{
	hand_made();
	corpus();
	return check_summary("report");
}
