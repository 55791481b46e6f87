/*
 * dump.c: load a recorded dump into the list of messages its client sent.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rtcstats/input.h"
#include "replay.h"

typedef struct load_state
{
	replay_dump *d;
	size_t		cap;
	bool		first_message;
	long		lines;			/* lines seen, empty ones included */
} load_state;

/*
 * The time delta is the last element of the array (spec section 3); the
 * first message carries an absolute time instead, which pacing ignores.  A
 * line whose end is not a number (a garbage line in a fault test) gets 0.
 */
static double
line_delta(const char *line, size_t len)
{
	size_t		end = len;
	size_t		start;
	char		num[64];
	char	   *stop;
	double		v;

	while (end > 0 && isspace((unsigned char) line[end - 1]))
		end--;
	if (end == 0 || line[end - 1] != ']')
		return 0;
	end--;
	start = end;
	while (start > 0 && line[start - 1] != ',' && line[start - 1] != '[')
		start--;
	if (end - start == 0 || end - start >= sizeof(num))
		return 0;
	memcpy(num, line + start, end - start);
	num[end - start] = '\0';
	v = strtod(num, &stop);
	while (isspace((unsigned char) *stop))
		stop++;
	if (stop == num || *stop != '\0' || !(v >= 0))
		return 0;				/* also rejects NaN and negative deltas */
	return v;
}

static char *
metadata_string(struct json_object *meta, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(meta, key, &v) && json_object_is_type(v, json_type_string))
		return strdup(json_object_get_string(v));
	return NULL;
}

static rtcstats_status
on_line(void *arg, const char *line, size_t len, long lineno, rtcstats_error *err)
{
	load_state *st = arg;
	replay_dump *d = st->d;
	replay_msg *m;

	st->lines = lineno;
	if (lineno == 1)
	{
		if (len != 12 || memcmp(line, "RTCStatsDump", 12) != 0)
			return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, lineno,
								 "not a format 3 dump: the first line is not \"RTCStatsDump\"");
		return RTCSTATS_OK;
	}
	if (lineno == 2)
	{
		struct json_object *meta = json_tokener_parse(line);

		if (meta == NULL || !json_object_is_type(meta, json_type_object))
		{
			json_object_put(meta);
			return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, lineno,
								 "the metadata line is not a JSON object");
		}
		d->origin = metadata_string(meta, "origin");
		d->user_agent = metadata_string(meta, "userAgent");
		json_object_put(meta);
		return RTCSTATS_OK;
	}
	if (len == 0)
		return RTCSTATS_OK;		/* empty lines are ignored (spec section 2) */
	if (d->n == st->cap)
	{
		size_t		cap = st->cap ? st->cap * 2 : 256;
		replay_msg *p = realloc(d->msgs, cap * sizeof(*p));

		if (p == NULL)
			return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
		d->msgs = p;
		st->cap = cap;
	}
	m = &d->msgs[d->n];
	m->data = malloc(len + 1);
	if (m->data == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, lineno, "out of memory");
	memcpy(m->data, line, len + 1);
	m->len = len;
	m->delta_ms = st->first_message ? 0 : line_delta(line, len);
	st->first_message = false;
	d->n++;
	return RTCSTATS_OK;
}

/*
 * The server appends ["close", null, code, delta] as the last line; the
 * client never sent it.  Only the last line is checked, and only this exact
 * shape is dropped, so a client method that happens to be called "close"
 * earlier in the dump is still replayed.
 */
static void
drop_server_close(replay_dump *d)
{
	struct json_object *a;
	replay_msg *last;

	if (d->n == 0)
		return;
	last = &d->msgs[d->n - 1];
	if (strncmp(last->data, "[\"close\"", 8) != 0)
		return;
	a = json_tokener_parse(last->data);
	if (a != NULL && json_object_is_type(a, json_type_array) &&
		json_object_array_length(a) == 4 &&
		json_object_array_get_idx(a, 1) == NULL &&
		json_object_is_type(json_object_array_get_idx(a, 2), json_type_int))
	{
		d->close_code = json_object_get_int(json_object_array_get_idx(a, 2));
		free(last->data);
		d->n--;
	}
	json_object_put(a);
}

bool
replay_dump_load(const char *path, replay_dump *d, char *errbuf, size_t errlen)
{
	load_state	st = {d, 0, true, 0};
	rtcstats_error err;
	rtcstats_input *in;
	rtcstats_status rc;

	memset(d, 0, sizeof(*d));
	d->path = path;
	rtcstats_error_clear(&err);
	in = rtcstats_input_new(on_line, &st, RTCSTATS_DEFAULT_MAX_LINE_BYTES);
	if (in == NULL)
	{
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return false;
	}
	rc = rtcstats_input_feed_file(in, path, &err);
	rtcstats_input_free(in);
	if (rc == RTCSTATS_OK && st.lines < 2)
		rc = rtcstats_fail(&err, RTCSTATS_ERR_FORMAT, 0,
						   "not a format 3 dump: no metadata line");
	if (rc != RTCSTATS_OK)
	{
		if (err.line > 0)
			snprintf(errbuf, errlen, "%s:%ld: %s", path, err.line, err.detail);
		else
			snprintf(errbuf, errlen, "%s: %s", path, err.detail);
		replay_dump_free(d);
		return false;
	}
	drop_server_close(d);
	for (size_t i = 0; i < d->n; i++)
	{
		d->bytes += d->msgs[i].len;
		if (d->msgs[i].len > d->max_len)
			d->max_len = d->msgs[i].len;
	}
	return true;
}

void
replay_dump_free(replay_dump *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i].data);
	free(d->msgs);
	free(d->origin);
	free(d->user_agent);
	d->msgs = NULL;
	d->origin = d->user_agent = NULL;
	d->n = 0;
}
