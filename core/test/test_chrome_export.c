/*
 * test_chrome_export.c: Chrome's own rtcstats export (section 6 of the dump
 * format) reads like the rtcstats-js dump it was made from.
 *
 * The export has full method names, whole (uncompressed) getStats reports,
 * peer connection ids like "92-1", a metadata line of just {"fileFormat":3}
 * and the page URL as an extra element before the time delta.  This test
 * rewrites a recorded rtcstats-js dump into that form with the reader itself
 * and checks that the features agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "rtcstats/features.h"
#include "rtcstats/reader.h"

typedef struct sink
{
	char	   *buf;
	size_t		len,
				cap;
	double		last_ts;
	bool		first;
} sink;

static void
append(sink *s, const char *text)
{
	size_t		n = strlen(text);

	if (s->len + n + 1 > s->cap)
	{
		s->cap = (s->len + n + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, text, n + 1);
	s->len += n;
}

static rtcstats_status
on_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	sink	   *s = arg;
	json_object *line = json_object_new_array();
	char		pc[64];
	double		delta = s->first ? ev->timestamp : ev->timestamp - s->last_ts;

	s->first = false;
	s->last_ts = ev->timestamp;
	json_object_array_add(line, json_object_new_string(ev->method));
	if (ev->pc)
	{
		snprintf(pc, sizeof(pc), "92-%d", ev->pc_index + 1);
		json_object_array_add(line, json_object_new_string(pc));
	}
	else
		json_object_array_add(line, NULL);
	/* full reports: a deep copy, so later in-place updates do not leak in */
	if (ev->value)
	{
		json_object *copy = NULL;

		json_object_deep_copy(ev->value, &copy, NULL);
		json_object_array_add(line, copy);
	}
	else
		json_object_array_add(line, NULL);
	for (size_t i = 0; i < json_object_array_length(ev->extra); i++)
		json_object_array_add(line, json_object_get(json_object_array_get_idx(ev->extra, i)));
	if (json_object_array_length(ev->extra) == 0)
		json_object_array_add(line, json_object_new_string("https://app.example/call"));
	json_object_array_add(line, json_object_new_double(delta));
	append(s, json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	append(s, "\n");
	json_object_put(line);
	return RTCSTATS_OK;
}

static void
check_dump(const char *path)
{
	rtcstats_reader_callbacks cb = {NULL, on_event};
	sink		s = {.first = true};
	rtcstats_reader *r = rtcstats_reader_new(NULL, &cb, &s);
	rtcstats_error err;
	json_object *want = NULL,
			   *got = NULL;
	FILE	   *f = fopen(path, "rb");
	static char buf[1 << 20];
	size_t		n;

	CHECK(f != NULL);
	if (!f)
		return;
	append(&s, "RTCStatsDump\n{\"fileFormat\":3}\n");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		CHECK_EQ_LONG(rtcstats_reader_feed(r, buf, n, &err), RTCSTATS_OK);
	fclose(f);
	CHECK_EQ_LONG(rtcstats_reader_finish(r, &err), RTCSTATS_OK);
	rtcstats_reader_free(r);

	CHECK_EQ_LONG(rtcstats_extract_file(path, &want, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(rtcstats_extract_buffer(s.buf, s.len, &got, &err), RTCSTATS_OK);
	if (want && got)
	{
		json_object *wp,
				   *gp;

		json_object_object_get_ex(want, "peerConnections", &wp);
		json_object_object_get_ex(got, "peerConnections", &gp);
		CHECK_EQ_LONG(json_object_array_length(gp), json_object_array_length(wp));
		for (size_t i = 0; i < json_object_array_length(wp) && i < json_object_array_length(gp); i++)
		{
			json_object *w = json_object_array_get_idx(wp, i);
			json_object *g = json_object_array_get_idx(gp, i);

			/* every connection feature, tracks included, is the same */
			json_object_object_foreach(w, key, wv)
			{
				json_object *gv = NULL;

				if (!json_object_object_get_ex(g, key, &gv))
				{
					check_eq_str("(missing)", key, __FILE__, __LINE__, "connection feature");
					continue;
				}
				check_eq_str(json_object_to_json_string_ext(gv, JSON_C_TO_STRING_PLAIN),
							 json_object_to_json_string_ext(wv, JSON_C_TO_STRING_PLAIN),
							 __FILE__, __LINE__, key);
			}
		}
	}
	json_object_put(want);
	json_object_put(got);
	free(s.buf);
}

int
main(int argc, char **argv)
{
	static const char *const dumps[] = {
		"test/corpus/dumps/av-call.rtcstats", "test/corpus/dumps/simulcast.rtcstats",
		"test/corpus/dumps/multi-pc.rtcstats", "test/corpus/dumps/renegotiation.rtcstats",
		"test/corpus/dumps/ice-failure.rtcstats", NULL
	};

	if (argc > 1)
		for (int i = 1; i < argc; i++)
			check_dump(argv[i]);
	else
		for (const char *const *d = dumps; *d; d++)
			check_dump(*d);
	return check_summary("chrome-export");
}
