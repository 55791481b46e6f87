/*
 * client.c: client features (upstream rtcstats-features/features/client.js),
 * from the events of the client-level (null) trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features_internal.h"

#define GUM "navigator.mediaDevices.getUserMedia"
#define GDM "navigator.mediaDevices.getDisplayMedia"

typedef struct gum_track
{
	char	   *kind;
	double		start;
} gum_track;

struct client_features
{
	bool		any;
	double		first_ts;
	double		last_ts;
	bool		have_create;
	jsval		create;

	long		enumerate_devices;
	bool		gdm,
				gdm_audio,
				gdm_video;
	long		gdm_errors,
				gdm_successes;
	bool		gum,
				gum_audio,
				gum_video,
				gum_combined;
	jsval		gum_error;
	long		gum_errors,
				gum_successes;
	char	   *usb_id[2];		/* audio, video */
	bool		have_websocket;
	jsval		websocket_time;

	strmap		tracks;			/* getUserMedia track id -> gum_track */
	json_object *track_flags;	/* audioEnded, videoShortDuration, ... */
};

client_features *
client_new(void)
{
	client_features *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->track_flags = json_object_new_object();
	if (c->track_flags == NULL)
	{
		free(c);
		return NULL;
	}
	return c;
}

static void
free_gum_track(void *p)
{
	gum_track  *t = p;

	if (t)
		free(t->kind);
	free(t);
}

void
client_free(client_features *c)
{
	jsval_clear(&c->create);
	jsval_clear(&c->gum_error);
	jsval_clear(&c->websocket_time);
	free(c->usb_id[0]);
	free(c->usb_id[1]);
	strmap_free(&c->tracks, free_gum_track);
	json_object_put(c->track_flags);
	free(c);
}

/*
 * label.slice(-10, -1) with the vendor:product check of deviceUsbId().
 * Labels are counted in UTF-16 units as JavaScript does; non-ASCII
 * characters in the tail can never form an id, so bytes suffice when the
 * last ten bytes are ASCII.
 */
static bool
usb_id_of(const char *label, char out[10])
{
	size_t		len = strlen(label);
	const char *start;
	size_t		n;

	if (len == 0 || label[len - 1] != ')')
		return false;
	start = len >= 10 ? label + len - 10 : label;
	for (const char *p = start; p < label + len; p++)
		if ((unsigned char) *p >= 0x80)
			return false;
	n = (size_t) (label + len - 1 - start);
	memcpy(out, start, n);
	out[n] = '\0';
	return n > 4 && out[4] == ':';
}

static void
gum_success(client_features *c, const rtcstats_event *ev)
{
	size_t		n;

	if (!json_object_is_type(ev->value, json_type_array))
		return;
	n = json_object_array_length(ev->value);
	for (size_t i = 0; i < n; i++)
	{
		json_object *track = json_object_array_get_idx(ev->value, i);
		json_object *kind,
				   *id,
				   *label;

		if (!json_object_is_type(track, json_type_array))
			continue;
		kind = json_object_array_get_idx(track, 0);
		id = json_object_array_get_idx(track, 1);
		label = json_object_array_get_idx(track, 2);

		/* deviceUsbId(): the first success event with a matching label wins */
		if (label && json_object_is_type(label, json_type_string) &&
			json_object_is_type(kind, json_type_string))
		{
			int			k = js_is_string(kind, "audio") ? 0 : js_is_string(kind, "video") ? 1 : -1;
			char		usb[10];

			if (k >= 0 && c->usb_id[k] == NULL && usb_id_of(json_object_get_string(label), usb))
				c->usb_id[k] = strdup(usb);
		}
		/* trackFeatures(): allTracks[track[1]] = {kind, start} */
		if (id != NULL)
		{
			const char *key = json_object_is_type(id, json_type_string) ?
				json_object_get_string(id) : json_object_to_json_string(id);
			void	  **slot;
			gum_track  *t;

			if (c->tracks.count >= MAX_REMEMBERED_ITEMS && strmap_get(&c->tracks, key) == NULL)
				continue;
			slot = strmap_put(&c->tracks, key, NULL);
			if (slot == NULL)
				continue;
			free_gum_track(*slot);
			*slot = t = calloc(1, sizeof(gum_track));
			if (t == NULL)
				continue;
			t->kind = strdup(kind && json_object_is_type(kind, json_type_string) ?
							 json_object_get_string(kind) : "undefined");
			t->start = ev->timestamp;
		}
	}
}

static void
track_ended(client_features *c, const rtcstats_event *ev)
{
	gum_track  *t;
	char		key[300];

	if (ev->value == NULL)
		return;
	t = strmap_get(&c->tracks, json_object_is_type(ev->value, json_type_string) ?
				   json_object_get_string(ev->value) : json_object_to_json_string(ev->value));
	if (t == NULL || t->kind == NULL)
		return;
	snprintf(key, sizeof(key), "%sEnded", t->kind);
	put_bool(c->track_flags, key, true);
	if (ev->timestamp - t->start < 1000)
	{
		snprintf(key, sizeof(key), "%sShortDuration", t->kind);
		put_bool(c->track_flags, key, true);
	}
}

void
client_event(client_features *c, const rtcstats_event *ev)
{
	const char *m = ev->method;
	bool		found;

	if (!c->any)
	{
		c->any = true;
		c->first_ts = ev->timestamp;
	}
	c->last_ts = ev->timestamp;

	if (strcmp(m, "create") == 0)
	{
		if (!c->have_create)
		{
			c->have_create = true;
			jsval_set(&c->create, ev->value);
		}
	}
	else if (strcmp(m, "navigator.mediaDevices.enumerateDevices") == 0)
		c->enumerate_devices++;
	else if (strcmp(m, GDM) == 0)
	{
		json_object *v;

		c->gdm = true;
		v = js_get(ev->value, "audio", &found);
		if (js_truthy(v, found))
			c->gdm_audio = true;
		v = js_get(ev->value, "video", &found);
		/* value?.video !== false */
		if (!(found && v != NULL && json_object_is_type(v, json_type_boolean) &&
			  !json_object_get_boolean(v)))
			c->gdm_video = true;
	}
	else if (strcmp(m, GDM "OnFailure") == 0)
		c->gdm_errors++;
	else if (strcmp(m, GDM "OnSuccess") == 0)
		c->gdm_successes++;
	else if (strcmp(m, GUM) == 0)
	{
		json_object *a = js_get(ev->value, "audio", &found);
		bool		audio = js_truthy(a, found);
		json_object *v = js_get(ev->value, "video", &found);
		bool		video = js_truthy(v, found);

		c->gum = true;
		c->gum_audio |= audio;
		c->gum_video |= video;
		c->gum_combined |= audio && video;
	}
	else if (strcmp(m, GUM "OnFailure") == 0)
	{
		if (c->gum_errors++ == 0)
			jsval_set(&c->gum_error, ev->value);
	}
	else if (strcmp(m, GUM "OnSuccess") == 0)
	{
		c->gum_successes++;
		gum_success(c, ev);
	}
	else if (strcmp(m, "MediaStreamTrack.onended") == 0)
		track_ended(c, ev);
	else if (strcmp(m, "websocket") == 0 && !c->have_websocket)
	{
		json_object *t = js_get(ev->value, "connectionTime", &found);

		c->have_websocket = true;
		jsval_set_if(&c->websocket_time, found, t);
	}
}

void
client_finish(client_features *c, json_object *out)
{
	json_object *platform = NULL;
	bool		found = false;
	jsval		os = {0};

	if (!c->any)
		return;

	/* ...create: the create event's fields first, computed features override */
	if (c->create.v && json_object_is_type(c->create.v, json_type_object))
	{
		json_object_object_foreach(c->create.v, key, val)
			json_object_object_add(out, key, json_object_get(val));
		platform = js_get(js_get(c->create.v, "userAgentData", NULL), "platform", &found);
	}
	put_number(out, "duration", c->last_ts - c->first_ts);
	jsval_set_if(&os, found, platform);
	jsval_put(out, "operatingSystem", &os);
	jsval_clear(&os);
	put_number(out, "enumerateDevicesCount", (double) c->enumerate_devices);
	put_bool(out, "calledGetDisplayMedia", c->gdm);
	put_bool(out, "calledGetDisplayMediaAudio", c->gdm_audio);
	put_bool(out, "calledGetDisplayMediaVideo", c->gdm_video);
	put_number(out, "getDisplayMediaErrorCount", (double) c->gdm_errors);
	put_number(out, "getDisplayMediaSuccessCount", (double) c->gdm_successes);
	if (c->usb_id[0])
		json_object_object_add(out, "audioDeviceUsbId", json_object_new_string(c->usb_id[0]));
	else
		json_object_object_del(out, "audioDeviceUsbId");
	put_bool(out, "calledGetUserMedia", c->gum);
	put_bool(out, "calledGetUserMediaAudio", c->gum_audio);
	put_bool(out, "calledGetUserMediaCombined", c->gum_combined);
	put_bool(out, "calledGetUserMediaVideo", c->gum_video);
	jsval_put(out, "getUserMediaError", &c->gum_error);
	put_number(out, "getUserMediaErrorCount", (double) c->gum_errors);
	put_number(out, "getUserMediaSuccessCount", (double) c->gum_successes);
	if (c->usb_id[1])
		json_object_object_add(out, "videoDeviceUsbId", json_object_new_string(c->usb_id[1]));
	else
		json_object_object_del(out, "videoDeviceUsbId");
	put_number(out, "startTime", c->first_ts);
	json_object_object_foreach(c->track_flags, key, val)
		json_object_object_add(out, key, json_object_get(val));
	jsval_put(out, "webSocketConnectionTime", &c->websocket_time);
}
