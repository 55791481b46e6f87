/*
 * recorder.c: see recorder.h.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "recorder.h"

#define TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static rtcstats_status
record_metadata(void *arg, json_object *m, rtcstats_error *err)
{
	recorder   *r = arg;

	snprintf(r->metadata, sizeof(r->metadata), "%s", json_object_to_json_string_ext(m, TEXT_FLAGS));
	return RTCSTATS_OK;
}

static rtcstats_status
record_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	recorder   *r = arg;
	recorded   *e;

	if (r->n >= RECORDER_MAX_EVENTS)
		return RTCSTATS_OK;
	e = &r->ev[r->n++];
	snprintf(e->pc, sizeof(e->pc), "%s", ev->pc ? ev->pc : "(null)");
	e->pc_index = ev->pc_index;
	snprintf(e->method, sizeof(e->method), "%s", ev->method);
	e->ts = ev->timestamp;
	snprintf(e->value, sizeof(e->value), "%s",
			 ev->value ? json_object_to_json_string_ext(ev->value, TEXT_FLAGS) : "null");
	snprintf(e->extra, sizeof(e->extra), "%s", json_object_to_json_string_ext(ev->extra, TEXT_FLAGS));
	e->order[0] = '\0';
	for (size_t i = 0; i < ev->nstats; i++)
	{
		strncat(e->order, ev->stats[i].id, sizeof(e->order) - strlen(e->order) - 2);
		strcat(e->order, ",");
	}
	e->line = ev->line;
	return RTCSTATS_OK;
}

const rtcstats_reader_callbacks recorder_callbacks = {record_metadata, record_event};
